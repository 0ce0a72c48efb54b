"""Input checks shared by the data generators."""

from __future__ import annotations


def check_size(size, minimum: int, why: str) -> int:
    """``size`` as a validated int number of pixels, at least ``minimum``.

    ``why`` completes the message for a size below the minimum, e.g. ``"to draw a face"``.
    """
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError(f"size must be an int number of pixels, got {type(size).__name__}: {size!r}")
    if size <= 0:
        raise ValueError(f"size must be a positive number of pixels, got {size}")
    if size < minimum:
        raise ValueError(f"size {size} is too small {why}; use at least {minimum}")
    return size
