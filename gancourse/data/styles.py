"""Painting styles drawn by code, and a photo -> painting filter (paired data for pix2pix).

Every style is a *technique* that turns an image (B, 3, H, W) into a painting of it:

- ``brush``         oil-paint strokes: blocky colour dabs smeared along a flow field by line
                    integral convolution (LIC), with bristle streaks;
- ``stained_glass`` Voronoi cells of flat, saturated glass with dark lead lines;
- ``pointillism``   overlapping dots of jittered colour on a light canvas (Seurat);
- ``hatching``      pencil strokes on paper: darker tones get more layers of crossed lines;
- ``woodblock``     posterised flat colours from a small ukiyo-e palette, dark outlines, wood grain.

``style_image(name, size, seed)`` paints a procedural landscape (``scene``: sky, sun, clouds,
mountains, a lake) with a technique: the style images for lessons 08-09. Swirls are added to the
brush flow there for a Van Gogh feel. ``paint_filter(images, style)`` applies a technique to any
image, e.g. synthetic faces or photos, to make (photo, painting) pairs.

All in torch, vectorised over the batch, deterministic from ``seed``; images in [-1, 1].
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F

from ._checks import as_generator, check_image_values, check_size
from ._threads import single_thread
from .brushwork import (
    blur,
    fractal,
    gather_colour,
    grid,
    jittered_points,
    luma,
    neighbours,
    noise,
    point_colours,
    sample,
    saturate,
    two_nearest,
)

STYLE_NAMES: tuple[str, ...] = ("brush", "stained_glass", "pointillism", "hatching", "woodblock")


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def _check_size(size) -> int:
    return check_size(size, 16, "for a painting")


def _check_style(style: str) -> str:
    if style not in STYLE_NAMES:
        raise ValueError(f"unknown style {style!r}; choose one of {STYLE_NAMES}")
    return style


# ---------------------------------------------------------------------------------------------
# Techniques: image (B, 3, H, W) in [0, 1] -> painting (B, 3, H, W) in [0, 1]
# ---------------------------------------------------------------------------------------------
def _flow_from_image(image, g, swirl=0.0):
    """A unit direction field (B, 2, H, W) along the image's edges (perpendicular to the gradient).

    Structure tensor J = blur(grad grad^T); the edge direction is the minor eigenvector,
    angle = 0.5 atan2(2 Jxy, Jxx - Jyy) + pi / 2. Where the image is flat, smooth noise angles
    (plus optional swirls) take over.
    """
    b, _, h, w = image.shape
    lum = blur(luma(image), max(0.6, h / 128))
    gx = F.pad(lum[..., :, 2:] - lum[..., :, :-2], (1, 1, 0, 0), mode="replicate") / 2
    gy = F.pad(lum[..., 2:, :] - lum[..., :-2, :], (0, 0, 1, 1), mode="replicate") / 2
    sigma = max(1.5, h / 40)
    jxx, jyy, jxy = blur(gx * gx, sigma), blur(gy * gy, sigma), blur(gx * gy, sigma)
    angle = 0.5 * torch.atan2(2 * jxy, jxx - jyy) + math.pi / 2
    strength = torch.sqrt((jxx - jyy) ** 2 + 4 * jxy**2)
    strength = strength / (strength.amax(dim=(2, 3), keepdim=True) + 1e-8)
    noise_angle = (noise(b, h, w, 3, g) - 0.5) * 2 * math.pi
    if swirl:
        x, y = grid(h, w)
        for _ in range(3):
            cx, cy = torch.rand(2, generator=g) * torch.tensor([w, h * 0.6])
            r2 = ((x - cx) ** 2 + (y - cy) ** 2) / (0.18 * h) ** 2
            noise_angle = noise_angle + swirl * torch.exp(-r2) * (
                torch.atan2(y - cy, x - cx) + math.pi / 2 - noise_angle
            )
    t = (strength / 0.08).clamp(0, 1)
    vx = t * torch.cos(2 * angle) + (1 - t) * torch.cos(
        2 * noise_angle
    )  # blend doubled angles (sign-free)
    vy = t * torch.sin(2 * angle) + (1 - t) * torch.sin(2 * noise_angle)
    final = 0.5 * torch.atan2(vy, vx)
    return torch.cat([torch.cos(final), torch.sin(final)], 1)


def brush(
    image: torch.Tensor, g: torch.Generator, swirl: float = 0.0, detail: float = 1.0
) -> torch.Tensor:
    """Oil paint: colour dabs (a Voronoi mosaic of the image) smeared along the flow by LIC."""
    b, _, h, w = image.shape
    flow = _flow_from_image(image, g, swirl)  # (B, 2, H, W)
    cell = max(1.5, h / (36 * detail))
    px, py = jittered_points(b, h, w, cell, g)
    _, _, nearest = two_nearest(neighbours(px, py, h, w, cell))  # (B, H, W)
    colours = saturate(point_colours(blur(image, cell / 3), px, py), 1.25)
    colours = (colours * (0.9 + 0.2 * torch.rand(b, 1, *colours.shape[-2:], generator=g))).clamp(
        0, 1
    )
    dabs = gather_colour(colours, nearest)
    bristle = torch.rand(b, 1, h, w, generator=g) - 0.5
    field = torch.cat([dabs, bristle, flow], 1)  # (B, 6, H, W)
    # Line integral convolution: average the field along the streamline through each pixel.
    x, y = grid(h, w)
    steps, step = 5, max(0.6, cell / 3)
    acc = field[:, :4].clone()
    for sign in (1.0, -1.0):
        qx, qy = x.expand(b, h, w).clone(), y.expand(b, h, w).clone()
        vx, vy = flow[:, 0] * sign, flow[:, 1] * sign
        for _ in range(steps):
            qx, qy = qx + vx * step, qy + vy * step
            s = sample(field, qx, qy)
            nx, ny = s[:, 4], s[:, 5]
            flip = torch.where(nx * vx + ny * vy < 0, -1.0, 1.0)  # keep heading
            vx, vy = nx * flip, ny * flip
            acc = acc + s[:, :4]
    acc = acc / (2 * steps + 1)
    paint, streaks = acc[:, :3], acc[:, 3:4] * 3.0
    light = 1 + 0.35 * streaks + 0.05 * (noise(b, h, w, max(4, h // 6), g) - 0.5)
    return (paint * light).clamp(0, 1)


def stained_glass(image: torch.Tensor, g: torch.Generator, detail: float = 1.0) -> torch.Tensor:
    """Voronoi cells of flat saturated glass, brighter at their centres, with dark lead lines."""
    b, _, h, w = image.shape
    cell = max(4.5, h / (14 * detail))
    px, py = jittered_points(b, h, w, cell, g)
    d1, d2, nearest = two_nearest(neighbours(px, py, h, w, cell))  # (B, H, W) each
    d1, d2 = d1.unsqueeze(1), d2.unsqueeze(1)
    colours = point_colours(blur(image, cell / 3), px, py)
    colours = saturate(torch.round(colours * 5) / 5 * 0.7 + colours * 0.3, 1.9)  # glass tints
    glass = gather_colour(colours, nearest)
    border = (d2 - d1) / 2  # ~ distance to edge
    glow = 1.12 - 0.25 * (d1 / cell).clamp(0, 1)
    lead = (border - max(0.3, cell / 14) + 0.5).clamp(0, 1)  # 0 on the lines
    ripple = 1 + 0.06 * (noise(b, h, w, max(4, h // 8), g) - 0.5)
    lead_colour = torch.tensor([0.12, 0.11, 0.10]).view(1, 3, 1, 1)
    return (lead_colour + (glass * glow * ripple - lead_colour) * lead).clamp(0, 1)


def pointillism(image: torch.Tensor, g: torch.Generator, detail: float = 1.0) -> torch.Tensor:
    """Dots of jittered colour on light canvas; two passes of dots at different grids."""
    b, _, h, w = image.shape
    out = torch.tensor([0.96, 0.93, 0.86]).view(1, 3, 1, 1).expand(b, 3, h, w).clone()
    for cell_frac in (30, 42):
        cell = max(1.5, h / (cell_frac * detail))
        radius = cell * 0.62
        px, py = jittered_points(b, h, w, cell, g, jitter=1.0)
        candidates = neighbours(px, py, h, w, cell)
        colours = saturate(point_colours(image, px, py), 1.5)
        colours = (colours + 0.12 * (torch.rand(colours.shape, generator=g) - 0.5)).clamp(0, 1)
        for dist, idx in candidates:
            alpha = (radius - dist + 0.5).clamp(0, 1).unsqueeze(1)
            out = out + (gather_colour(colours, idx) - out) * alpha
    return out


def hatching(image: torch.Tensor, g: torch.Generator, detail: float = 1.0) -> torch.Tensor:
    """Graphite on paper: tone from luminance, each darker tone adds a layer of crossed lines.

    The tone is stretched per image (2nd..98th percentile -> 0..1) so every picture uses all layers.
    """
    b, _, h, w = image.shape
    tone = blur(luma(image), max(0.5, h / 160))  # (B, 1, H, W)
    flat = tone.flatten(1)
    lo, hi = (
        flat.quantile(0.02, dim=1).view(b, 1, 1, 1),
        flat.quantile(0.98, dim=1).view(b, 1, 1, 1),
    )
    tone = ((tone - lo) / (hi - lo + 1e-3)).clamp(0, 1)
    x, y = grid(h, w)
    period = max(3.0, h / (42 * detail))
    wobble = (noise(b, h, w, max(3, h // 24), g) - 0.5) * period * 1.2
    paper = torch.tensor([0.97, 0.95, 0.90]).view(1, 3, 1, 1)
    ink = torch.tensor([0.20, 0.22, 0.28]).view(1, 3, 1, 1)
    cover = torch.zeros(b, 1, h, w)
    for k, (angle, threshold) in enumerate(((0.8, 0.82), (-0.7, 0.62), (0.05, 0.42), (1.45, 0.25))):
        u = (x * math.cos(angle) + y * math.sin(angle) + wobble) / period + k * 0.37
        line = 1 - ((u - u.round()).abs() * period / max(0.55, h / 220)).clamp(0, 1)  # thin lines
        strength = ((threshold - tone) / 0.12).clamp(0, 1)
        cover = torch.maximum(
            cover, line * strength * (0.75 + 0.25 * noise(b, h, w, max(4, h // 10), g))
        )
    grain = 0.04 * (torch.rand(b, 1, h, w, generator=g) - 0.5)
    outline = ((blur(tone, 1.0) - tone).abs() * 6).clamp(0, 0.6)  # contours
    cover = torch.maximum(cover, outline)
    return (paper + (ink - paper) * cover + grain).clamp(0, 1)


_WOODBLOCK_PALETTE = torch.tensor(
    [
        [0.13, 0.16, 0.27],  # indigo ink
        [0.22, 0.36, 0.52],  # Prussian blue
        [0.49, 0.65, 0.70],  # pale blue
        [0.93, 0.88, 0.74],  # paper cream
        [0.80, 0.33, 0.24],  # vermilion
        [0.86, 0.66, 0.36],  # ochre
        [0.33, 0.47, 0.35],  # moss green
    ]
)


def woodblock(image: torch.Tensor, g: torch.Generator, detail: float = 1.0) -> torch.Tensor:
    """Posterised flat colours from a small ukiyo-e palette, dark outlines, wood grain."""
    b, _, h, w = image.shape
    smooth = blur(image, max(0.5, h / (90 * detail)))
    smooth = saturate(smooth, 1.3)
    dist = ((smooth.unsqueeze(1) - _WOODBLOCK_PALETTE.view(1, -1, 3, 1, 1)) ** 2).sum(
        2
    )  # (B, K, H, W)
    label = dist.argmin(1)  # (B, H, W)
    flat = _WOODBLOCK_PALETTE[label].permute(0, 3, 1, 2)  # (B, 3, H, W)
    flat = blur(flat, 0.5)
    # Outlines where the palette label changes.
    lab = label.float().unsqueeze(1)
    edge = (lab[..., 1:, :] != lab[..., :-1, :]).float()
    edge = F.pad(edge, (0, 0, 0, 1)) + F.pad(
        (lab[..., :, 1:] != lab[..., :, :-1]).float(), (0, 1, 0, 0)
    )
    edge = (blur(edge.clamp(0, 1), max(0.4, h / 300)) * 1.8).clamp(0, 1)
    grain = noise(b, h, max(4, w // 48), max(4, h // 3), g)  # stretched noise
    grain = F.interpolate(grain, size=(h, w), mode="bilinear", align_corners=False)
    texture = 1 + 0.08 * (grain - 0.5) + 0.05 * (torch.rand(b, 1, h, w, generator=g) - 0.5)
    ink = torch.tensor([0.10, 0.10, 0.14]).view(1, 3, 1, 1)
    return ((flat * texture) * (1 - edge) + ink * edge).clamp(0, 1)


_TECHNIQUES = {
    "brush": brush,
    "stained_glass": stained_glass,
    "pointillism": pointillism,
    "hatching": hatching,
    "woodblock": woodblock,
}


# ---------------------------------------------------------------------------------------------
# A procedural landscape to paint
# ---------------------------------------------------------------------------------------------
_SKIES = [  # (top, horizon, sun, mountains near, ground)
    (
        [0.20, 0.38, 0.72],
        [0.98, 0.76, 0.50],
        [1.00, 0.90, 0.55],
        [0.20, 0.24, 0.36],
        [0.22, 0.42, 0.30],
    ),
    (
        [0.30, 0.55, 0.85],
        [0.80, 0.90, 0.98],
        [1.00, 0.97, 0.80],
        [0.22, 0.38, 0.32],
        [0.35, 0.58, 0.28],
    ),
    (
        [0.07, 0.09, 0.28],
        [0.30, 0.36, 0.62],
        [0.98, 0.95, 0.75],
        [0.08, 0.10, 0.20],
        [0.10, 0.16, 0.22],
    ),
    (
        [0.55, 0.30, 0.55],
        [0.99, 0.62, 0.38],
        [1.00, 0.85, 0.45],
        [0.30, 0.18, 0.32],
        [0.45, 0.30, 0.25],
    ),
]


@single_thread()
def scene(size: int = 256, seed=0) -> torch.Tensor:
    """A procedural landscape (3, size, size) in [-1, 1]: sky gradient, sun, clouds, three mountain
    ranges fading into haze (atmospheric perspective), a lake with the sky's reflection."""
    size = _check_size(size)
    g = as_generator(seed)
    h = w = size
    top, horizon, sun_c, near_c, ground_c = (
        torch.tensor(c).view(1, 3, 1, 1)
        for c in _SKIES[int(torch.randint(0, len(_SKIES), (1,), generator=g))]
    )
    x, y = grid(h, w)
    u, v = x / w, y / h  # [0, 1]
    sky = top + (horizon - top) * (v / 0.62).clamp(0, 1).unsqueeze(1) ** 1.3
    image = sky.expand(1, 3, h, w).clone()
    sx, sy, sr = (
        0.2 + 0.6 * torch.rand(1, generator=g).item(),
        0.18 + 0.2 * torch.rand(1, generator=g).item(),
        0.07,
    )
    d = torch.sqrt((u - sx) ** 2 + (v - sy) ** 2)
    glow = torch.exp(-((d / 0.2) ** 2)).unsqueeze(1) * 0.35
    image = image + (sun_c - image) * glow
    image = image + (sun_c - image) * ((sr - d) * size + 0.5).clamp(0, 1).unsqueeze(1)
    clouds = fractal(1, h, w, g, octaves=4, base=4)
    clouds = ((clouds - 0.55) * 5).clamp(0, 1) * (1 - v / 0.5).clamp(0, 1).unsqueeze(1)
    image = image + (torch.tensor([0.98, 0.96, 0.95]).view(1, 3, 1, 1) - image) * clouds * 0.8
    water_line = 0.72
    for k, (base, amp) in enumerate(((0.42, 0.16), (0.52, 0.12), (0.62, 0.08))):
        ridge = torch.zeros(1, 1, w)
        for octave in range(5):
            f = 2**octave * (1.5 + torch.rand(1, generator=g).item())
            phase = torch.rand(1, generator=g).item() * 2 * math.pi
            ridge = ridge + torch.sin(u * f * 2 * math.pi + phase) / 2**octave
        ridge = base - amp * ridge / 1.5  # (1, 1, W)
        haze = 0.55 - 0.25 * k  # far = hazier
        colour = near_c * (1 - haze) + horizon * haze
        shade = 1 + 0.12 * (fractal(1, h, w, g, octaves=3, base=6) - 0.5)
        alpha = ((v - ridge) * size + 0.5).clamp(0, 1).unsqueeze(1) * (
            v < water_line
        ).float().unsqueeze(1)
        image = image + (colour * shade - image) * alpha
    # The lake: the sky flipped about the water line, darkened, with ripples; a grassy shore.
    rows = (2 * water_line * h - y.view(-1)).clamp(0, h - 1).long()
    ripple = 0.9 + 0.1 * noise(1, h, w, 12, g)
    reflection = image[:, :, rows, :] * 0.8 * ripple
    water = (v >= water_line).float().unsqueeze(1)
    image = image * (1 - water) + reflection * water
    shore = ((v - (0.86 + 0.04 * torch.sin(u * 9 + 1.0))) * size + 0.5).clamp(0, 1).unsqueeze(1)
    image = image + (ground_c * (0.85 + 0.3 * fractal(1, h, w, g, 3, 8)) - image) * shore
    return image[0].clamp(0, 1) * 2 - 1


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------
def paint_filter(
    images: torch.Tensor, style: str = "brush", seed=0, detail: float = 1.6
) -> torch.Tensor:
    """Turn photos into paintings: (3, H, W) or (B, 3, H, W) in [-1, 1] -> same shape in [-1, 1].

    Any of ``STYLE_NAMES``. Deterministic from ``seed``. ``detail`` scales how fine the strokes,
    cells and dots are (1 = as in the style images; the default 1.6 keeps faces recognisable).
    Use it to make (photo, painting) pairs for pix2pix:
    ``images, paint_filter(images, "woodblock")``.
    """
    _check_style(style)
    if not isinstance(images, torch.Tensor):
        raise TypeError(
            f"images must be a torch.Tensor (B, 3, H, W) in [-1, 1], got {type(images).__name__}"
        )
    single = images.dim() == 3
    batch = images.unsqueeze(0) if single else images
    if batch.dim() != 4 or batch.shape[1] != 3:
        raise ValueError(
            f"images must have shape (3, H, W) or (B, 3, H, W), got {tuple(images.shape)}"
        )
    if min(batch.shape[-2:]) < 16:
        raise ValueError(
            f"images must be at least 16 x 16 pixels to paint, got {tuple(batch.shape[-2:])}"
        )
    check_image_values(batch, "images")
    device, dtype = batch.device, batch.dtype
    with torch.no_grad(), single_thread():
        x01 = ((batch.detach().float().cpu() + 1) / 2).clamp(0, 1)
        if not detail > 0:
            raise ValueError(f"detail must be > 0, got {detail}")
        out = _TECHNIQUES[style](x01, as_generator(seed), detail=detail) * 2 - 1
    out = out.to(device=device, dtype=dtype)
    return out[0] if single else out


def style_image(name: str, size: int = 256, seed: int = 0) -> torch.Tensor:
    """A painting (3, size, size) in [-1, 1].

    The landscape ``scene(size, seed)`` painted with ``name``.

    The brush style gets swirling strokes in the sky (a Van Gogh feel). Results are cached, so
    asking again is free (you get a fresh copy).
    """
    _check_style(name)
    size = _check_size(size)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    return _style_image(name, size, seed).clone()


@functools.lru_cache(maxsize=64)
def _style_image(name: str, size: int, seed: int) -> torch.Tensor:
    g = as_generator(seed)
    with torch.no_grad(), single_thread():
        content = ((scene(size, g) + 1) / 2).unsqueeze(0)
        if name == "brush":
            out = brush(content, g, swirl=0.9)
        else:
            out = _TECHNIQUES[name](content, g)
    return out[0] * 2 - 1


def all_styles(size: int = 256, seed=0) -> dict[str, torch.Tensor]:
    """Every style image at ``size``: {name: (3, size, size) in [-1, 1]}."""
    return {name: style_image(name, size, seed) for name in STYLE_NAMES}
