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


def check_finite(values: torch.Tensor, name: str) -> torch.Tensor:
    """Raise ``ValueError`` naming ``name`` if ``values`` hold NaN or inf; return them unchanged."""
    finite = torch.isfinite(values)
    if not finite.all():
        bad = int((~finite).sum())
        raise ValueError(
            f"NaN or inf values in {name} ({bad} of {values.numel()}): a NaN usually comes from "
            "a diverged model or a division by zero upstream; load or compute it again"
        )
    return values


def check_image_values(
    images: torch.Tensor, name: str = "images", value_range=(-1.0, 1.0), slack: float = 1e-3
) -> torch.Tensor:
    """Raise a clear ``ValueError`` unless the float tensor ``images`` is finite and inside
    ``value_range`` (give or take ``slack``); return it unchanged.

    The course's images live in [-1, 1] (``x = v / 127.5 - 1`` for 0..255 pixels). The message
    names the argument, the range it saw and the conversion that fixes the common mix-ups:
    0..255 pixels (``x / 127.5 - 1``) and, where [0, 1] is asked for, [-1, 1] images
    (``(x + 1) / 2``). Tools that clamp a generator's small overshoot pass a larger ``slack``.
    """
    check_finite(images, name)
    if images.numel() == 0:
        return images
    low, high = (float(v) for v in value_range)
    lo, hi = images.min().item(), images.max().item()
    if lo >= low - slack and hi <= high + slack:
        return images
    if hi > 2 and lo >= -slack:
        fix = (
            "they look like 0..255 pixels: use x / 127.5 - 1"
            if low == -1
            else f"they look like 0..255 pixels: use x / 255 for [{low:g}, {high:g}]"
        )
    elif low == 0 and lo >= -1 - slack and hi <= 1 + slack:
        fix = "they look like [-1, 1] images: use (x + 1) / 2"
    else:
        fix = "clamp or rescale them"
    raise ValueError(
        f"{name} must be in [{low:g}, {high:g}], but the values span [{lo:.3g}, {hi:.3g}]; {fix}"
    )
