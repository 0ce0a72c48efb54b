"""The input check every forensics tool starts with: float images (B, C, H, W) in [-1, 1].

Used in lesson 10 (re-exported as ``gancourse.forensics.check_images``).
"""

from __future__ import annotations

import numpy as np
import torch

from gancourse.data._checks import check_finite, check_image_values


def check_images(
    images, name: str = "images", min_size: int = 2, signal: bool = False
) -> torch.Tensor:
    """``images`` as a float tensor (B, C, H, W), C in {1, 3}; a clear error otherwise.

    Values must be finite and, as pixels, in [-1, 1]; ``signal=True`` (spectra, which also take
    residuals and other signals) drops the range.
    """
    if isinstance(images, np.ndarray):
        raise TypeError(
            f"{name} must be a torch.Tensor (B, C, H, W); convert NumPy arrays with "
            "torch.from_numpy(array).permute(0, 3, 1, 2) (channels-last to channels-first)."
        )
    if not isinstance(images, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor of shape (B, C, H, W), got {type(images).__name__}"
        )
    if images.dim() == 3:
        images = images.unsqueeze(0)
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        hint = ""
        if images.dim() == 4 and images.shape[-1] in (1, 3):
            hint = " Channels-last arrays (B, H, W, C) need .permute(0, 3, 1, 2) first."
        raise ValueError(
            f"{name} must have shape (B, C, H, W) with C = 1 or 3, got {tuple(images.shape)}.{hint}"
        )
    if images.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (B = 0)")
    if min(images.shape[-2:]) < min_size:
        raise ValueError(
            f"{name} must be at least {min_size}x{min_size} pixels, got {tuple(images.shape[-2:])}"
        )
    if not images.is_floating_point():
        raise TypeError(
            f"{name} must be float images in [-1, 1], got dtype {images.dtype}; "
            "convert uint8 pixels with x / 127.5 - 1."
        )
    if signal:
        check_finite(images, name)
    else:
        check_image_values(images, name)
    return images.float()
