"""Input checks shared by the data generators (lesson 02 and later)."""

from __future__ import annotations

import torch


def check_size(size, minimum: int = 1, why: str = "") -> int:
    """``size`` as a validated int number of pixels, at least ``minimum``.

    ``why`` completes the message for a size below the minimum, e.g. ``"to draw a face"``.
    """
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError(
            f"size must be an int number of pixels, got {type(size).__name__}: {size!r}"
        )
    if size <= 0:
        raise ValueError(f"size must be a positive number of pixels, got {size}")
    if size < minimum:
        raise ValueError(f"size {size} is too small {why}; use at least {minimum}")
    return size


def as_generator(seed) -> torch.Generator:
    """``seed`` (an int) as a fresh ``torch.Generator``; a generator is returned as it is."""
    if isinstance(seed, torch.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int or a torch.Generator, got {type(seed).__name__}")
    return torch.Generator().manual_seed(seed)
