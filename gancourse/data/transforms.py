"""Preprocessing: torchvision transforms v2 pipelines, [-1, 1] <-> uint8, DiffAugment.

Derived in lesson 02.

The pipeline every image goes through before a GAN sees it::

    PIL / uint8  ->  resize (shorter side)  ->  crop (centre or random)  ->  float in [0, 1]
                 ->  normalise to [-1, 1]: x = (v - 0.5) / 0.5

[-1, 1] matches the generator's ``tanh`` output, so real and fake images live in the same range;
``denormalize`` maps back to [0, 1] for display.

- ``make_transform(size, crop="center", flip=False)``: the v2 pipeline above.
- ``normalize`` / ``denormalize``: [0, 1] <-> [-1, 1] (or any mean / std).
- ``to_uint8`` / ``from_uint8``: [-1, 1] floats <-> 8-bit pixels (exercise 00 derives both):
  ``v = clamp(round((x + 1) · 127.5), 0, 255)`` and ``x = v / 127.5 - 1``.
- ``DiffAugment(policy="color,translation,cutout")``: differentiable augmentation applied to
  *both* real and fake batches before the discriminator (Zhao et al., 2020, "Differentiable
  Augmentation for Data-Efficient GAN Training").

Your own pictures and the public datasets' files go through the same pipeline:
:mod:`gancourse.data.folders`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.transforms import v2

from ._checks import check_image_values, check_size


# ---------------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------------
def normalize(x: torch.Tensor, mean=0.5, std=0.5) -> torch.Tensor:
    """[0, 1] -> [-1, 1] by default: x' = (x - mean) / std (mean / std per channel or scalar)."""
    mean, std = _stats(mean, x), _stats(std, x)
    return (x - mean) / std


def denormalize(x: torch.Tensor, mean=0.5, std=0.5, clamp: bool = True) -> torch.Tensor:
    """The inverse, for display: x = x' * std + mean, clamped to [0, 1].

    (A generator can overshoot.)
    """
    mean, std = _stats(mean, x), _stats(std, x)
    out = x * std + mean
    return out.clamp(0, 1) if clamp else out


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] float images (any shape) -> uint8: ``v = clamp(round((x + 1) · 127.5), 0, 255)``.

    Rounding (``.to(torch.uint8)`` alone truncates) makes the round trip through :func:`from_uint8`
    exact for every pixel value; the clamp keeps a generator's overshoot (x < -1 or x > 1) at 0 or
    255 instead of wrapping around. No gradient flows through the result. Used to store image sets
    in a quarter of the memory, to encode JPEGs and to hash pixels (lesson 10, zoo training).
    """
    if not isinstance(images, torch.Tensor) or not images.is_floating_point():
        got = images.dtype if isinstance(images, torch.Tensor) else type(images).__name__
        raise TypeError(f"to_uint8 needs float images in [-1, 1], got {got}")
    check_image_values(images, "images", slack=0.5)  # small overshoot is clamped, 0..255 is not
    return ((images.detach() + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)


def from_uint8(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 pixels (any shape) -> float32 in [-1, 1]: ``x = v / 127.5 - 1`` (0 -> -1, 255 -> 1).

    The inverse of :func:`to_uint8`; a new tensor on the same device.
    """
    if not isinstance(pixels, torch.Tensor) or pixels.dtype != torch.uint8:
        got = pixels.dtype if isinstance(pixels, torch.Tensor) else type(pixels).__name__
        raise TypeError(f"from_uint8 needs a uint8 tensor of pixels (0..255), got {got}")
    return pixels.float().div_(127.5).sub_(1)


def _stats(value, x: torch.Tensor) -> torch.Tensor:
    t = torch.as_tensor(value, dtype=x.dtype, device=x.device)
    if t.dim() == 1:  # per channel: broadcast over (..., C, H, W)
        t = t.view(-1, 1, 1)
    return t


def make_transform(
    size: int = 64, crop: str = "center", flip: bool = False, scale: bool = True
) -> v2.Compose:
    """The course's v2 pipeline: PIL / uint8 tensor -> float (3, size, size) in [-1, 1].

    Resize the shorter side to ``size`` (antialiased), crop ``size`` x ``size`` (``"center"`` or
    ``"random"``), optionally flip left-right at random, convert to float in [0, 1], then
    normalise with mean 0.5 and std 0.5 to [-1, 1]. Grey or RGBA pictures become RGB.
    ``scale=False`` skips the resize (crop only).
    """
    size = check_size(size)
    if crop not in ("center", "random"):
        raise ValueError(f"crop must be 'center' or 'random', got {crop!r}")
    steps = [v2.ToImage(), v2.RGB()]
    if scale:
        steps.append(v2.Resize(size, antialias=True))
    steps.append(
        v2.CenterCrop(size) if crop == "center" else v2.RandomCrop(size, pad_if_needed=True)
    )
    if flip:
        steps.append(v2.RandomHorizontalFlip())
    steps += [v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.5] * 3, [0.5] * 3)]
    return v2.Compose(steps)


# ---------------------------------------------------------------------------------------------
# DiffAugment
# ---------------------------------------------------------------------------------------------
def _rand(shape, x, generator):
    return torch.rand(shape, generator=generator, device="cpu").to(device=x.device, dtype=x.dtype)


def _randint(low, high, shape, x, generator):
    return torch.randint(low, high, shape, generator=generator, device="cpu").to(x.device)


def aug_brightness(x, generator=None):
    """x + u, u ~ U(-0.5, 0.5) per image."""
    return x + (_rand((x.shape[0], 1, 1, 1), x, generator) - 0.5)


def aug_saturation(x, generator=None):
    """Scale the distance to the per-pixel channel mean by s ~ U(0, 2)."""
    mean = x.mean(dim=1, keepdim=True)
    return (x - mean) * (_rand((x.shape[0], 1, 1, 1), x, generator) * 2) + mean


def aug_contrast(x, generator=None):
    """Scale the distance to the image mean by c ~ U(0.5, 1.5)."""
    mean = x.mean(dim=[1, 2, 3], keepdim=True)
    return (x - mean) * (_rand((x.shape[0], 1, 1, 1), x, generator) + 0.5) + mean


def aug_translation(x, generator=None, ratio: float = 0.125):
    """Shift each image by up to ``ratio`` of its size, filling with zeros (grey in [-1, 1])."""
    b, _, h, w = x.shape
    sx, sy = int(h * ratio + 0.5), int(w * ratio + 0.5)
    tx = _randint(-sx, sx + 1, (b, 1, 1), x, generator)
    ty = _randint(-sy, sy + 1, (b, 1, 1), x, generator)
    gb, gx, gy = torch.meshgrid(
        torch.arange(b, device=x.device),
        torch.arange(h, device=x.device),
        torch.arange(w, device=x.device),
        indexing="ij",
    )
    gx = torch.clamp(gx + tx + 1, 0, h + 1)
    gy = torch.clamp(gy + ty + 1, 0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])
    return padded.permute(0, 2, 3, 1)[gb, gx, gy].permute(0, 3, 1, 2)


def aug_cutout(x, generator=None, ratio: float = 0.5):
    """Zero a random square of ``ratio`` times the image size in each image."""
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ox = _randint(0, h + (1 - ch % 2), (b, 1, 1), x, generator)
    oy = _randint(0, w + (1 - cw % 2), (b, 1, 1), x, generator)
    gb, gx, gy = torch.meshgrid(
        torch.arange(b, device=x.device),
        torch.arange(ch, device=x.device),
        torch.arange(cw, device=x.device),
        indexing="ij",
    )
    gx = torch.clamp(gx + ox - ch // 2, min=0, max=h - 1)
    gy = torch.clamp(gy + oy - cw // 2, min=0, max=w - 1)
    mask = torch.ones(b, h, w, dtype=x.dtype, device=x.device)
    mask[gb, gx, gy] = 0
    return x * mask.unsqueeze(1)


AUGMENT_FNS = {
    "color": [aug_brightness, aug_saturation, aug_contrast],
    "translation": [aug_translation],
    "cutout": [aug_cutout],
}


def diff_augment(
    x: torch.Tensor, policy: str = "color,translation,cutout", generator=None
) -> torch.Tensor:
    """Apply the DiffAugment ``policy`` (comma-separated: color, translation, cutout) to a batch.

    Every operation is differentiable with respect to ``x``, so the generator's gradient flows
    through the augmentation. Each image gets its own random parameters.
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        raise ValueError(
            f"diff_augment needs a batch (B, C, H, W), got {getattr(x, 'shape', type(x).__name__)}"
        )
    check_image_values(x, "x", slack=0.5)  # a generator may overshoot a little
    for name in _parse_policy(policy):
        for fn in AUGMENT_FNS[name]:
            x = fn(x, generator)
    return x.contiguous()


def _parse_policy(policy: str) -> list[str]:
    if not isinstance(policy, str):
        raise TypeError(
            f"policy must be a string like 'color,translation,cutout', got {type(policy).__name__}"
        )
    names = [p.strip() for p in policy.split(",") if p.strip()]
    unknown = [p for p in names if p not in AUGMENT_FNS]
    if unknown:
        raise ValueError(
            f"unknown DiffAugment policy {unknown}; "
            f"choose from {tuple(AUGMENT_FNS)} (comma-separated)"
        )
    return names


class DiffAugment(nn.Module):
    """``DiffAugment("color,translation,cutout")(images)``: use the *same* module on real and fake
    batches before the discriminator (``D(aug(real))``, ``D(aug(G(z)))``), in both the D and the G
    step. It is differentiable, so G learns through it; D never sees un-augmented images, so it
    cannot memorise a small training set. ``enabled=False`` (or ``policy=""``) passes images
    through.
    """

    def __init__(
        self,
        policy: str = "color,translation,cutout",
        enabled: bool = True,
        seed: int | None = None,
    ):
        super().__init__()
        self.names = _parse_policy(policy)
        self.policy = ",".join(self.names)
        self.enabled = enabled
        self.generator = None if seed is None else torch.Generator().manual_seed(seed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.enabled or not self.names:
            return x
        return diff_augment(x, self.policy, self.generator)

    def extra_repr(self) -> str:
        return f"policy={self.policy!r}, enabled={self.enabled}"
