"""The drawing operations behind the painting styles: noise, blur, colour, point sets, lookups.

Used by :mod:`gancourse.data.styles` (the styles of lessons 08 and 09). All in torch, vectorised
over the batch; images (B, C, H, W) in [0, 1].
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def noise(b, h, w, cells, g, channels=1) -> torch.Tensor:
    """Smooth value noise (b, channels, h, w) in about [0, 1].

    Random cells x cells upsampled bicubically.
    """
    low = torch.rand(b, channels, cells + 3, cells + 3, generator=g)
    up = F.interpolate(
        low, size=(h + 3 * h // cells, w + 3 * w // cells), mode="bicubic", align_corners=False
    )
    return up[..., h // cells : h // cells + h, w // cells : w // cells + w].clamp(0, 1)


def fractal(b, h, w, g, octaves=4, base=3, channels=1) -> torch.Tensor:
    """Sum of noise octaves (each twice as fine, half as strong), normalised to [0, 1]."""
    total, amp, norm = 0, 1.0, 0.0
    for k in range(octaves):
        total = total + amp * noise(b, h, w, base * 2**k, g, channels)
        norm += amp
        amp /= 2
    return total / norm


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur with reflect padding."""
    if sigma <= 0:
        return x
    radius = max(1, int(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype)
    k = torch.exp(-t * t / (2 * sigma * sigma))
    k = k / k.sum()
    c = x.shape[1]
    radius = min(radius, x.shape[-1] - 1, x.shape[-2] - 1)
    k = k[len(k) // 2 - radius : len(k) // 2 + radius + 1]
    k = k / k.sum()
    x = F.conv2d(
        F.pad(x, (radius, radius, 0, 0), mode="reflect"),
        k.view(1, 1, 1, -1).repeat(c, 1, 1, 1),
        groups=c,
    )
    return F.conv2d(
        F.pad(x, (0, 0, radius, radius), mode="reflect"),
        k.view(1, 1, -1, 1).repeat(c, 1, 1, 1),
        groups=c,
    )


def luma(x: torch.Tensor) -> torch.Tensor:
    """Luminance (B, 1, H, W) of RGB in [0, 1]: 0.299 R + 0.587 G + 0.114 B."""
    return (x * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)


def saturate(x: torch.Tensor, amount: float) -> torch.Tensor:
    """Push colours away from (amount > 1) or towards (< 1) their grey."""
    grey = luma(x)
    return (grey + (x - grey) * amount).clamp(0, 1)


def grid(h, w):
    """Pixel-centre coordinates in pixels: x (1, 1, W), y (1, H, 1)."""
    return torch.arange(w, dtype=torch.float32).view(1, 1, w) + 0.5, torch.arange(
        h, dtype=torch.float32
    ).view(1, h, 1) + 0.5


def sample(image: torch.Tensor, px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
    """Bilinear lookup of image (B, C, H, W) at pixel coordinates px, py (B, h, w).

    Returns (B, C, h, w).
    """
    h, w = image.shape[-2:]
    grid = torch.stack([px / w * 2 - 1, py / h * 2 - 1], -1)
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=False)


def jittered_points(b, h, w, cell, g, jitter=0.9):
    """One random point per cell of a (gh, gw) grid, padded by one cell all round.

    Returns px, py (b, gh + 2, gw + 2) in pixels and the cell size actually used.
    """
    gh, gw = math.ceil(h / cell), math.ceil(w / cell)
    iy = torch.arange(-1, gh + 1, dtype=torch.float32).view(1, -1, 1)
    ix = torch.arange(-1, gw + 1, dtype=torch.float32).view(1, 1, -1)
    off = (torch.rand(b, 2, gh + 2, gw + 2, generator=g) - 0.5) * jitter
    return (ix + 0.5 + off[:, 0]) * cell, (iy + 0.5 + off[:, 1]) * cell


def neighbours(px, py, h, w, cell):
    """For every pixel, the 9 points of its own and neighbouring cells.

    Returns a list of 9 (dist, index) pairs: the distance pixel -> point (B, H, W) and the flat
    point index (B, H, W). Nearest-neighbour search on a jittered grid only needs these 9.
    """
    b, gh2, gw2 = px.shape
    x, y = grid(h, w)
    cx = (x / cell).floor().long() + 1  # (1, 1, W)
    cy = (y / cell).floor().long() + 1  # (1, H, 1)
    flat_x, flat_y = px.reshape(b, -1), py.reshape(b, -1)
    out = []
    for oy in (-1, 0, 1):
        for ox in (-1, 0, 1):
            idx = (
                ((cy + oy).clamp(0, gh2 - 1) * gw2 + (cx + ox).clamp(0, gw2 - 1))
                .expand(1, h, w)
                .reshape(1, -1)
            )
            idx = idx.expand(b, -1)
            qx = flat_x.gather(1, idx).view(b, h, w)
            qy = flat_y.gather(1, idx).view(b, h, w)
            out.append((torch.sqrt((x - qx) ** 2 + (y - qy) ** 2), idx.view(b, h, w)))
    return out


def two_nearest(candidates):
    """Distances to the nearest and second-nearest point and the nearest point's index.

    (B, H, W) each.
    """
    d1, i1 = candidates[0]
    d2 = torch.full_like(d1, float("inf"))
    for d, i in candidates[1:]:
        closer = d < d1
        d2 = torch.where(closer, d1, torch.minimum(d2, d))
        d1, i1 = torch.where(closer, d, d1), torch.where(closer, i, i1)
    return d1, d2, i1


def point_colours(image, px, py):
    """Colour of the image at each point: (B, 3, gh + 2, gw + 2)."""
    return sample(image, px, py)


def gather_colour(colours, idx):
    """colours (B, 3, gh, gw), idx (B, H, W) flat point index -> (B, 3, H, W)."""
    b, c = colours.shape[:2]
    flat = colours.reshape(b, c, -1)
    h, w = idx.shape[-2:]
    return flat.gather(2, idx.reshape(b, 1, -1).expand(b, c, -1)).view(b, c, h, w)
