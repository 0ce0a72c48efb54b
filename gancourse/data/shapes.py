"""Simple shapes: one coloured circle, square or triangle per image, with its label.

A tiny labelled image set for the first lessons (and for conditional GANs on something simpler
than faces). Drawn as signed distance fields with 1-pixel antialiasing, like the faces, a whole
batch at once. Each image is a function of its parameters (label, centre, radius, rotation,
colour), which ``shape_batch`` draws from a seed.

- ``SHAPE_NAMES`` = ("circle", "square", "triangle")
- ``shape_batch(n, size=32, seed=0)`` -> (images (n, 3, size, size) in [-1, 1], labels (n,) int64)
- ``render_shapes(labels, size, ...)`` draws given parameters
- ``ShapesDataset(size, length, seed)`` a torch ``Dataset`` of (image, label)
"""

from __future__ import annotations

import math

import torch
from torch.utils.data import Dataset

from ._checks import as_generator, check_size
from ._threads import single_thread

SHAPE_NAMES: tuple[str, ...] = ("circle", "square", "triangle")


def _check_size(size) -> int:
    return check_size(size, 8, "to tell shapes apart (16, 32, 64 work well)")


@single_thread()
def render_shapes(
    labels: torch.Tensor,
    size: int = 32,
    centers=None,
    radii=None,
    angles=None,
    colors=None,
    background=None,
) -> torch.Tensor:
    """Draw one shape per image: (n,) labels -> (n, 3, size, size) in [-1, 1].

    centers (n, 2) in image units ([-1, 1], default 0), radii (n,) (default 0.55, the circumradius),
    angles (n,) radians (default 0), colors and background (n, 3) in [0, 1] (default orange on
    dark blue). Distances: circle |p| - r; square max(|x|, |y|) - r / sqrt 2; triangle
    max over its three edge normals of <p, n_k> - r / 2 (equilateral, circumradius r).
    """
    size = _check_size(size)
    labels = torch.as_tensor(labels).long()
    if labels.dim() != 1:
        raise ValueError(f"labels must have shape (n,), got {tuple(labels.shape)}")
    if labels.numel() and (labels.min() < 0 or labels.max() >= len(SHAPE_NAMES)):
        raise ValueError(f"labels must be 0..{len(SHAPE_NAMES) - 1} for {SHAPE_NAMES}")
    n = len(labels)

    def param(value, default, shape):
        return (
            torch.as_tensor(default if value is None else value, dtype=torch.float32)
            .expand(*shape)
            .reshape(*shape)
        )

    centers = param(centers, [0.0, 0.0], (n, 2))
    radii = param(radii, 0.55, (n,)).view(n, 1, 1)
    angles = param(angles, 0.0, (n,)).view(n, 1, 1)
    colors = param(colors, [0.98, 0.62, 0.18], (n, 3))
    background = param(background, [0.10, 0.13, 0.25], (n, 3))

    coords = (torch.arange(size, dtype=torch.float32) + 0.5) * (2.0 / size) - 1.0
    x = coords.view(1, 1, size) - centers[:, 0].view(n, 1, 1)  # (n, 1, W)
    y = coords.view(1, size, 1) - centers[:, 1].view(n, 1, 1)  # (n, H, 1)
    c, s = torch.cos(angles), torch.sin(angles)
    u, v = c * x + s * y, -s * x + c * y  # (n, H, W)
    circle = torch.sqrt(u * u + v * v) - radii
    square = torch.maximum(u.abs(), v.abs()) - radii / math.sqrt(2)
    triangle = torch.full_like(u, -1e9)
    for k in range(3):  # edge normals pointing down, upper-right and upper-left
        a = math.pi / 2 + k * 2 * math.pi / 3
        triangle = torch.maximum(triangle, u * math.cos(a) + v * math.sin(a) - radii / 2)
    d = torch.stack([circle, square, triangle], 1)[torch.arange(n), labels]  # (n, H, W)
    alpha = (0.5 - d / (2.0 / size)).clamp(0, 1).unsqueeze(1)  # (n, 1, H, W)
    image = background.view(n, 3, 1, 1) * (1 - alpha) + colors.view(n, 3, 1, 1) * alpha
    return image * 2 - 1


def shape_params(n: int, seed=0) -> dict:
    """Random parameters for ``n`` shapes: labels, centres, radii, angles, colours, backgrounds."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be an int >= 0, got {n!r}")
    g = as_generator(seed)
    labels = torch.randint(0, len(SHAPE_NAMES), (n,), generator=g)
    centers = (torch.rand(n, 2, generator=g) - 0.5) * 0.5
    radii = 0.35 + 0.25 * torch.rand(n, generator=g)
    angles = torch.rand(n, generator=g) * 2 * math.pi
    hue = torch.rand(n, generator=g)
    # Bright saturated colours from a hue (a cheap HSV -> RGB), on a dark background.
    colors = (
        0.55 + 0.45 * torch.cos(2 * math.pi * (hue.view(n, 1) - torch.tensor([0.0, 1 / 3, 2 / 3])))
    ).clamp(0, 1)
    background = 0.08 + 0.12 * torch.rand(n, 3, generator=g)
    return {
        "labels": labels,
        "centers": centers,
        "radii": radii,
        "angles": angles,
        "colors": colors,
        "background": background,
    }


def shape_batch(n: int, size: int = 32, seed=0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random shapes, from ``seed``.

    Returns (images (n, 3, size, size) in [-1, 1], labels (n,) int64).
    """
    p = shape_params(n, seed)
    labels = p.pop("labels")
    return render_shapes(labels, size, **p), labels


class ShapesDataset(Dataset):
    """``length`` shapes, item i = (image (3, H, W) in [-1, 1], label) fixed by (seed, i)."""

    def __init__(self, size: int = 32, length: int = 5000, seed: int = 0):
        self.size = _check_size(size)
        self.images, self.labels = shape_batch(length, size, seed)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        return self.images[index], self.labels[index]
