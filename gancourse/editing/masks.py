"""Local (masked) edits: take the edited image only inside a soft mask.

Derived in lesson 07: ``x_local = m · G(z + α n) + (1 - m) · G(z)`` with a mask m in [0, 1]
(1 = edit here), softened with a Gaussian so the blend has no visible seam.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def check_mask(mask, size: int | tuple[int, int]) -> torch.Tensor:
    """A mask as a float (1, 1, H, W) tensor in [0, 1]; wrong shapes are a clear error."""
    H, W = (size, size) if isinstance(size, int) else size
    if not isinstance(mask, torch.Tensor):
        raise TypeError(
            f"mask must be a torch.Tensor of shape ({H}, {W}), got {type(mask).__name__}"
        )
    m = mask.float()
    while m.dim() < 4:
        m = m.unsqueeze(0)
    if m.dim() != 4 or m.shape[0] != 1 or m.shape[1] != 1 or tuple(m.shape[2:]) != (H, W):
        raise ValueError(
            f"mask must have shape ({H}, {W}) like the images (or (1, {H}, {W})), "
            f"got {tuple(mask.shape)}. "
            f"Make one with faces.attribute_region(name, size={H}) or resize yours."
        )
    if not torch.isfinite(m).all():
        raise ValueError("the mask holds NaN or inf values; make it again")
    if m.min() < 0 or m.max() > 1:
        raise ValueError(
            "mask values must be in [0, 1] (1 = edit here), "
            f"got [{m.min().item():.3g}, {m.max().item():.3g}]"
        )
    return m


def soften_mask(mask: torch.Tensor, sigma: float = 1.5) -> torch.Tensor:
    """Blur a hard mask with a Gaussian of ``sigma`` pixels, so a blended edit shows no seam."""
    m = mask.float()
    shape = m.shape
    while m.dim() < 4:
        m = m.unsqueeze(0)
    if sigma <= 0:
        return mask.float()
    radius = max(1, int(math.ceil(3 * sigma)))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-(x**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    m = F.pad(m, (radius, radius, radius, radius), mode="replicate")
    m = F.conv2d(m, kernel.view(1, 1, 1, -1))
    m = F.conv2d(m, kernel.view(1, 1, -1, 1))
    return m.reshape(shape).clamp(0, 1)


def masked_blend(original: torch.Tensor, edited: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """A local edit: ``m · edited + (1 - m) · original``, a soft mask m in [0, 1] (1 = the edit)."""
    if original.shape != edited.shape:
        raise ValueError(
            "original and edited must have the same shape, "
            f"got {tuple(original.shape)} and {tuple(edited.shape)}"
        )
    m = check_mask(mask, tuple(original.shape[-2:])).to(original)
    if original.dim() == 3:
        m = m[0]
    return m * edited + (1 - m) * original
