"""Synthetic cartoon faces with ground-truth attributes, drawn by code. Shown in lessons 00 and 02.

The course's main image set. Every face is a function of a small attribute vector, so we always
know *what* a picture shows: conditioning, attribute directions and edit quality become measurable
("did the edit change the smile, and only the smile?").

How a face is drawn
-------------------
Each part (head, eyes, mouth, hair, ...) is a **signed distance field** ``d(x, y)`` on the pixel
grid: negative inside the shape, positive outside, in image units (the image spans [-1, 1]).
A pixel's coverage is ``alpha = clamp(0.5 - d / pixel, 0, 1)`` with ``pixel = 2 / size``: a 1-pixel
linear ramp at the edge, which is what antialiasing means. Parts are composited back to front,
``image = lerp(image, colour, alpha)``. All of this is tensor arithmetic on a whole batch at once,
so thousands of faces per second come out of one CPU core. Head tilt rotates the face's coordinate
frame about the neck; everything else is fixed in place, so a small GAN can learn it.

Public API
----------
- ``ATTRIBUTE_NAMES`` (fixed order) and ``ATTRIBUTES`` (name -> ``AttributeSpec``).
- ``sample_attributes(n, generator)`` -> (n, A) float tensor.
- ``render_faces(attributes, size)`` -> (n, 3, size, size) float32 in [-1, 1].
- ``render_face(size, **attrs)`` -> (3, size, size), defaults for the attributes you leave out.
- ``with_attributes(attrs, smile=0.9, ...)`` -> a copy with some attributes replaced.
- ``face_batch(n, size, seed)`` -> (images, attributes), fast batched sampling for training loops.
- ``FaceDataset(size, length, seed)`` -> a torch ``Dataset`` of (image, attributes).
- ``attribute_region(name, size)`` -> (size, size) mask of where an attribute acts (upright face).

Continuous attributes are stored normalised in [0, 1]; categorical ones as the class index (a float
tensor holding whole numbers, so one tensor holds them all).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch.utils.data import Dataset

from ._checks import check_size
from ._threads import single_thread


@dataclass(frozen=True)
class AttributeSpec:
    """What one attribute means: ``kind`` is 'continuous' (value in ``range``) or 'categorical'."""

    name: str
    kind: str
    description: str
    range: tuple[float, float] = (0.0, 1.0)
    classes: tuple[str, ...] = ()
    low: str = ""  # what 0 looks like (continuous)
    high: str = ""  # what 1 looks like (continuous)
    default: float = 0.5

    @property
    def num_classes(self) -> int:
        return len(self.classes)


ATTRIBUTES: dict[str, AttributeSpec] = {
    spec.name: spec
    for spec in (
        AttributeSpec(
            "smile",
            "continuous",
            "mouth curvature: 0 frown, 0.5 straight, 1 big open smile",
            low="frown",
            high="big smile",
            default=0.7,
        ),
        AttributeSpec(
            "eye_size",
            "continuous",
            "radius of the eyes",
            low="small eyes",
            high="big eyes",
            default=0.5,
        ),
        AttributeSpec(
            "skin_tone",
            "continuous",
            "skin colour from light to dark",
            low="light",
            high="dark",
            default=0.3,
        ),
        AttributeSpec(
            "head_tilt",
            "continuous",
            "rotation about the neck, 0.5 upright (±20°)",
            low="tilted left",
            high="tilted right",
            default=0.5,
        ),
        AttributeSpec(
            "hair_color",
            "categorical",
            "hair (and eyebrow) colour",
            classes=("black", "brown", "blonde", "red"),
            default=1,
        ),
        AttributeSpec(
            "hair_style",
            "categorical",
            "how much hair",
            classes=("none", "short", "long"),
            default=1,
        ),
        AttributeSpec(
            "glasses", "categorical", "round glasses or not", classes=("no", "yes"), default=0
        ),
        AttributeSpec(
            "background",
            "categorical",
            "background colour or pattern",
            classes=("blue", "green", "sunset", "stripes"),
            default=0,
        ),
    )
}
ATTRIBUTE_NAMES: tuple[str, ...] = tuple(ATTRIBUTES)
CONTINUOUS: tuple[str, ...] = tuple(n for n, s in ATTRIBUTES.items() if s.kind == "continuous")
CATEGORICAL: tuple[str, ...] = tuple(n for n, s in ATTRIBUTES.items() if s.kind == "categorical")
NUM_ATTRIBUTES = len(ATTRIBUTE_NAMES)
# The same table as model configs use it: name -> number of classes (0: continuous in [0, 1]).
FACE_ATTRIBUTES: dict[str, int] = {n: s.num_classes for n, s in ATTRIBUTES.items()}
FACE_CLASSES: dict[str, int] = {n: k for n, k in FACE_ATTRIBUTES.items() if k}
MAX_TILT_DEGREES = 20.0

# ---------------------------------------------------------------------------------------------
# Palette (RGB in [0, 1]).
# ---------------------------------------------------------------------------------------------
_SKIN = torch.tensor(
    [[1.00, 0.87, 0.76], [0.87, 0.65, 0.48], [0.62, 0.42, 0.29], [0.36, 0.23, 0.17]]
)
_HAIR = torch.tensor(
    [[0.10, 0.08, 0.08], [0.50, 0.29, 0.12], [0.96, 0.80, 0.38], [0.86, 0.33, 0.10]]
)
_BG_SOLID = torch.tensor([[0.62, 0.80, 0.96], [0.66, 0.88, 0.62]])
_SUNSET_TOP, _SUNSET_BOTTOM = torch.tensor([0.99, 0.90, 0.52]), torch.tensor([0.96, 0.56, 0.66])
_STRIPE_A, _STRIPE_B = torch.tensor([0.74, 0.66, 0.93]), torch.tensor([0.97, 0.95, 1.00])
_SHIRT = torch.tensor([0.16, 0.50, 0.52])
_EYE_WHITE = torch.tensor([1.0, 1.0, 1.0])
_IRIS = torch.tensor([0.18, 0.11, 0.07])
_MOUTH = torch.tensor([0.50, 0.07, 0.13])
_TEETH = torch.tensor([1.0, 0.98, 0.95])
_BLUSH = torch.tensor([0.98, 0.45, 0.48])
_FRAME = torch.tensor([0.08, 0.08, 0.12])
_LENS = torch.tensor([0.80, 0.95, 1.00])

# Geometry in image units (the image spans [-1, 1], y points down).
_HEAD_C = (0.0, -0.08)
_HEAD_R = (0.46, 0.56)
_PIVOT = (0.0, 0.45)  # head tilt rotates about the neck
_EYE_X, _EYE_Y = 0.205, -0.06
_MOUTH_Y, _MOUTH_W, _MOUTH_DEPTH, _MOUTH_T = 0.23, 0.21, 0.13, 0.026
_OPEN_FROM = 0.58  # smiles above this open the mouth
_GLASS_R, _GLASS_T = 0.165, 0.035


# ---------------------------------------------------------------------------------------------
# Signed distance fields (negative inside). Arguments broadcast: grids (n, H, W), scalars (n, 1, 1).
# ---------------------------------------------------------------------------------------------
def _circle(x, y, cx, cy, r):
    """d = |p - c| - r"""
    return torch.sqrt((x - cx) ** 2 + (y - cy) ** 2) - r


def _ellipse(x, y, cx, cy, rx, ry):
    """Approximate ellipse distance: (|(p - c) / r| - 1) * min(rx, ry). Exact for circles."""
    return (torch.sqrt(((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2) - 1) * min(rx, ry)


def _round_box(x, y, cx, cy, hx, hy, r):
    """Box with half sizes (hx, hy) and corner radius r.

    |max(|p| - h + r, 0)| + min(max(q), 0) - r.
    """
    qx = (x - cx).abs() - (hx - r)
    qy = (y - cy).abs() - (hy - r)
    outside = torch.sqrt(qx.clamp(min=0) ** 2 + qy.clamp(min=0) ** 2)
    return outside + torch.maximum(qx, qy).clamp(max=0) - r


def _segment(x, y, ax, ay, bx, by, r):
    """Capsule around the segment a-b.

    |p - a - h (b - a)| - r with h = clamp(<p-a, b-a>/|b-a|², 0, 1).
    """
    px, py = x - ax, y - ay
    dx, dy = bx - ax, by - ay
    h = ((px * dx + py * dy) / (dx * dx + dy * dy)).clamp(0, 1)
    return torch.sqrt((px - h * dx) ** 2 + (py - h * dy) ** 2) - r


def _coverage(d, pixel: float):
    """Antialiased coverage of a shape: clamp(0.5 - d / pixel, 0, 1)."""
    return (0.5 - d / pixel).clamp_(0, 1)


def _paint(image, colour, alpha):
    """image <- image + alpha (colour - image); colour (3,) or (n, 3), alpha (n, H, W)."""
    if colour.dim() == 1:
        colour = colour.view(1, 3, 1, 1)
    else:
        colour = colour.view(-1, 3, 1, 1)
    image.lerp_(colour.expand_as(image), alpha.unsqueeze(1))


# ---------------------------------------------------------------------------------------------
# Attributes
# ---------------------------------------------------------------------------------------------
def _as_generator(generator) -> torch.Generator | None:
    if generator is None:
        return None  # PyTorch's global generator (so torch.manual_seed / seed_everything apply)
    if isinstance(generator, torch.Generator):
        return generator
    if isinstance(generator, int) and not isinstance(generator, bool):
        return torch.Generator().manual_seed(generator)
    raise TypeError(
        f"generator must be None, an int seed or a torch.Generator, got {type(generator).__name__}"
    )


def _check_count(n, what="n") -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{what} must be an int, got {type(n).__name__}: {n!r}")
    if n < 0:
        raise ValueError(f"{what} must be >= 0, got {n}")
    return n


def sample_attributes(n: int, generator=None) -> torch.Tensor:
    """Draw ``n`` attribute vectors, shape (n, A), columns in ``ATTRIBUTE_NAMES`` order.

    Continuous attributes are uniform in [0, 1]; each categorical class is equally likely.
    ``generator`` is None (PyTorch's global generator), an int seed, or a ``torch.Generator``.
    One uniform matrix is drawn and mapped column-wise (class = floor(u * K)).
    """
    _check_count(n)
    u = torch.rand(n, NUM_ATTRIBUTES, generator=_as_generator(generator))
    for j, name in enumerate(ATTRIBUTE_NAMES):
        k = ATTRIBUTES[name].num_classes
        if k:
            u[:, j] = (u[:, j] * k).floor().clamp(max=k - 1)
    return u


def _check_attributes(attributes) -> torch.Tensor:
    if not isinstance(attributes, torch.Tensor):
        raise TypeError(
            f"attributes must be a torch.Tensor of shape (n, {NUM_ATTRIBUTES}), "
            f"got {type(attributes).__name__}"
        )
    if attributes.dim() == 1:
        attributes = attributes.unsqueeze(0)
    if attributes.dim() != 2 or attributes.shape[1] != NUM_ATTRIBUTES:
        raise ValueError(
            f"attributes must have shape (n, {NUM_ATTRIBUTES}) with columns {ATTRIBUTE_NAMES}, "
            f"got {tuple(attributes.shape)}"
        )
    if not torch.isfinite(attributes).all():
        raise ValueError("attributes hold NaN or inf values; every attribute needs a number")
    return attributes.float()


def _check_value(name: str, value) -> float:
    spec = ATTRIBUTES[name]
    if isinstance(value, str) and spec.kind == "categorical":
        if value not in spec.classes:
            raise ValueError(f"{name}={value!r} is not a class; choose one of {spec.classes}")
        return float(spec.classes.index(value))
    if isinstance(value, bool):
        value = int(value)
    value = float(value)
    if spec.kind == "categorical":
        if value != int(value) or not 0 <= value < spec.num_classes:
            raise ValueError(
                f"{name} must be a class index 0..{spec.num_classes - 1} "
                f"or a name in {spec.classes}, got {value}"
            )
    elif not 0.0 <= value <= 1.0:
        raise ValueError(
            f"{name} is stored normalised in [0, 1] ({spec.low} .. {spec.high}), got {value}"
        )
    return value


def _check_names(names) -> None:
    unknown = [k for k in names if k not in ATTRIBUTES]
    if unknown:
        raise ValueError(f"unknown attribute(s) {unknown}; the attributes are {ATTRIBUTE_NAMES}")


def attribute_index(name: str) -> int:
    """Column of ``name`` in the attribute tensor."""
    _check_names([name])
    return ATTRIBUTE_NAMES.index(name)


def default_attributes(n: int = 1) -> torch.Tensor:
    """(n, A) tensor with every attribute at its default (a smiling, upright, brown-haired face)."""
    _check_count(n)
    return torch.tensor(
        [ATTRIBUTES[k].default for k in ATTRIBUTE_NAMES], dtype=torch.float32
    ).repeat(n, 1)


def with_attributes(attributes: torch.Tensor, **changes) -> torch.Tensor:
    """A copy of ``attributes`` (n, A) with some columns set.

    E.g. ``with_attributes(a, smile=0.9)``.

    Categorical values may be given by index or by class name (``hair_color="red"``).
    """
    _check_names(changes)
    out = _check_attributes(attributes).clone()
    for name, value in changes.items():
        out[:, ATTRIBUTE_NAMES.index(name)] = _check_value(name, value)
    return out


def describe(attributes: torch.Tensor) -> list[dict]:
    """Human-readable attributes: one dict per face, class names for categorical ones."""
    out = []
    for row in _check_attributes(attributes).tolist():
        item = {}
        for name, value in zip(ATTRIBUTE_NAMES, row):
            spec = ATTRIBUTES[name]
            item[name] = (
                spec.classes[int(round(value))] if spec.kind == "categorical" else round(value, 3)
            )
        out.append(item)
    return out


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------
def _check_size(size) -> int:
    return check_size(size, 16, "to draw a face (32, 64 and 128 work well)")


def _grid(size: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    coords = (torch.arange(size, device=device, dtype=torch.float32) + 0.5) * (2.0 / size) - 1.0
    return coords.view(1, 1, size), coords.view(1, size, 1)  # x (1, 1, W), y (1, H, 1)


def _lerp_palette(palette: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Piecewise-linear colour ramp through the rows of ``palette`` for t in [0, 1] -> (n, 3)."""
    palette = palette.to(t.device)
    pos = t.clamp(0, 1) * (len(palette) - 1)
    lo = pos.floor().long().clamp(max=len(palette) - 2)
    frac = (pos - lo).unsqueeze(1)
    return palette[lo] * (1 - frac) + palette[lo + 1] * frac


def _background(a_bg, x, y, size, device):
    """(n, 3, H, W) background.

    Solid blue, solid green, vertical sunset gradient, diagonal stripes.
    """
    n = a_bg.shape[0]
    cls = a_bg.round().long().clamp(0, 3)
    image = torch.empty(n, 3, size, size, device=device)
    solid = torch.cat([_BG_SOLID, torch.zeros(2, 3)]).to(device)[cls]  # (n, 3)
    image.copy_(solid.view(n, 3, 1, 1).expand(n, 3, size, size))
    sunset = cls == 2
    if sunset.any():
        t = ((y + 1) / 2).view(1, 1, size, 1)
        grad = (
            _SUNSET_TOP.to(device).view(1, 3, 1, 1) * (1 - t)
            + _SUNSET_BOTTOM.to(device).view(1, 3, 1, 1) * t
        )
        image[sunset] = grad.expand(int(sunset.sum()), 3, size, size)
    stripes = cls == 3
    if stripes.any():
        period, pixel = 0.28, 2.0 / size
        u = torch.remainder(x + y, period) - period / 2  # (1, H, W), stripe of half width
        d = u.abs() - period / 4
        alpha = _coverage(d, pixel * 1.4)  # slightly soft edges: diagonal stripes alias otherwise
        stripe = _STRIPE_A.to(device).view(1, 3, 1, 1) * alpha.unsqueeze(1) + _STRIPE_B.to(
            device
        ).view(1, 3, 1, 1) * (1 - alpha.unsqueeze(1))
        image[stripes] = stripe.expand(int(stripes.sum()), 3, size, size)
    return image


def _window(box, size: int, rotates: bool) -> tuple[int, int, int, int]:
    """Pixel rows/cols (r0, r1, c0, c1) that hold a part whose box (x0, y0, x1, y1) is given in the
    face frame; for parts that tilt, the union over all tilts (so each part is drawn only where it
    can be: the eyes touch 3% of the pixels, not 100%)."""
    x0, y0, x1, y1 = box
    xs, ys = [], []
    angles = [math.radians(MAX_TILT_DEGREES) * (i / 4 - 1) for i in range(9)] if rotates else [0.0]
    px, py = _PIVOT
    for a in angles:
        c, s = math.cos(a), math.sin(a)
        for cx, cy in ((x0, y0), (x0, y1), (x1, y0), (x1, y1)):
            xs.append(c * (cx - px) - s * (cy - py) + px)
            ys.append(s * (cx - px) + c * (cy - py) + py)

    def to_pixel(v):
        return (v + 1) / 2 * size

    c0 = max(0, math.floor(to_pixel(min(xs))) - 1)
    c1 = min(size, math.ceil(to_pixel(max(xs))) + 1)
    r0 = max(0, math.floor(to_pixel(min(ys))) - 1)
    r1 = min(size, math.ceil(to_pixel(max(ys))) + 1)
    return r0, r1, c0, c1


def _render_chunk(attributes: torch.Tensor, size: int) -> torch.Tensor:
    device = attributes.device
    n = attributes.shape[0]
    col = {name: attributes[:, j] for j, name in enumerate(ATTRIBUTE_NAMES)}
    pixel = 2.0 / size
    gx, gy = _grid(size, device)  # (1,1,W), (1,H,1)

    def s(v):  # per-face scalar -> (n, 1, 1) for broadcasting against (n, h, w)
        return v.view(n, 1, 1)

    theta = (col["head_tilt"] - 0.5) * 2 * math.radians(MAX_TILT_DEGREES)
    cos, sin = s(torch.cos(theta)), s(torch.sin(theta))
    px, py = _PIVOT
    image = _background(col["background"], gx, gy, size, device)

    def part(box, rotates=True):
        """(x, y, view): face-frame coordinates (n, h, w) of a window and the image view there.

        The face frame is the image grid rotated by -theta about the neck pivot, so features are
        drawn upright in it and come out tilted: x' = cos (x - px) + sin (y - py) + px, ...
        """
        r0, r1, c0, c1 = _window(box, size, rotates)
        wx, wy = gx[..., c0:c1], gy[:, r0:r1]
        view = image[:, :, r0:r1, c0:c1]
        if not rotates:
            return wx, wy, view
        return cos * (wx - px) + sin * (wy - py) + px, -sin * (wx - px) + cos * (wy - py) + py, view

    skin = _lerp_palette(_SKIN, col["skin_tone"])  # (n, 3)
    skin_dark = skin * 0.78
    hair = _HAIR.to(device)[col["hair_color"].round().long().clamp(0, 3)]  # (n, 3)
    style = col["hair_style"].round().long()
    has_hair, long_hair = s((style >= 1).float()), s((style == 2).float())
    hx, hy = _HEAD_C
    rx, ry = _HEAD_R

    # Shoulders (they do not tilt).
    x, y, view = part((-1, 0.72, 1, 1), rotates=False)
    _paint(
        view,
        _SHIRT.to(device),
        _coverage(_ellipse(x, y, 0.0, 1.32, 0.92, 0.58).expand(n, -1, -1), pixel),
    )

    # Long hair behind the head, down to the shoulders.
    if bool((style == 2).any()):
        x, y, view = part((-rx - 0.12, -0.56, rx + 0.12, 0.76))
        back = _round_box(x, y, 0.0, 0.10, rx + 0.10, 0.64, 0.34)
        _paint(view, hair, _coverage(back, pixel) * long_hair)

    # Neck (upright, so it stays on the shoulders).
    x, y, view = part((-0.17, 0.30, 0.17, 0.93), rotates=False)
    _paint(
        view,
        skin_dark,
        _coverage(_round_box(x, y, 0.0, 0.62, 0.15, 0.30, 0.08).expand(n, -1, -1), pixel),
    )

    # Ears, then the head with a thin darker outline, then the cheeks.
    x, y, view = part((-rx - 0.12, hy - ry - 0.04, rx + 0.12, hy + ry + 0.04))
    ears = torch.minimum(_circle(x, y, -rx, hy + 0.04, 0.10), _circle(x, y, rx, hy + 0.04, 0.10))
    _paint(view, skin_dark, _coverage(ears, pixel))
    head = _ellipse(x, y, hx, hy, rx, ry)
    _paint(view, skin_dark, _coverage(head - 0.022, pixel))
    _paint(view, skin, _coverage(head + 0.008, pixel))

    x, y, view = part((-0.38, 0.07, 0.38, 0.25))
    cheeks = torch.minimum(_circle(x, y, -0.29, 0.16, 0.075), _circle(x, y, 0.29, 0.16, 0.075))
    _paint(view, _BLUSH.to(device), _coverage(cheeks, pixel) * 0.35)

    # Hair cap (short and long): a slightly larger ellipse above a scalloped fringe line.
    if bool((style >= 1).any()):
        x, y, view = part((-rx - 0.05, hy - ry - 0.1, rx + 0.05, 0.12))
        hairline = -0.36 + 1.6 * (x.abs() - 0.26).clamp(min=0) + 0.035 * torch.cos(x * 22.0)
        cap = torch.maximum(
            _ellipse(x, y, hx, hy - 0.03, rx + 0.035, ry + 0.05), (y - hairline) * 0.6
        )
        _paint(view, hair, _coverage(cap, pixel) * has_hair)

    # Eyes: dark rim, white, iris, highlight. Radius grows with eye_size.
    r_eye = s(0.062 + 0.058 * col["eye_size"])
    for side in (-1.0, 1.0):
        ex = side * _EYE_X
        x, y, view = part((ex - 0.15, _EYE_Y - 0.15, ex + 0.15, _EYE_Y + 0.15))
        d_eye = _circle(x, y, ex, _EYE_Y, r_eye)
        _paint(view, _IRIS.to(device), _coverage(d_eye - 0.018, pixel))
        _paint(view, _EYE_WHITE.to(device), _coverage(d_eye, pixel))
        _paint(
            view,
            _IRIS.to(device),
            _coverage(_circle(x, y, ex, _EYE_Y + 0.1 * r_eye, 0.58 * r_eye), pixel),
        )
        highlight = _circle(x, y, ex + 0.22 * r_eye, _EYE_Y - 0.18 * r_eye, 0.2 * r_eye)
        _paint(view, _EYE_WHITE.to(device), _coverage(highlight, pixel))

    # Eyebrows in the hair colour, above the eyes (they rise with bigger eyes).
    brow_y = _EYE_Y - r_eye - 0.085
    x, y, view = part((-0.34, _EYE_Y - 0.27, 0.34, _EYE_Y - 0.08))
    brows = torch.minimum(
        _segment(x, y, -0.30, brow_y + 0.015, -0.12, brow_y - 0.015, 0.032),
        _segment(x, y, 0.12, brow_y - 0.015, 0.30, brow_y + 0.015, 0.032),
    )
    _paint(view, hair * 0.85, _coverage(brows, pixel))

    # Nose.
    x, y, view = part((-0.07, 0.04, 0.07, 0.14))
    _paint(view, skin_dark, _coverage(_ellipse(x, y, 0.0, 0.09, 0.055, 0.04), pixel) * 0.8)

    # Mouth: the region between two parabolas through the corners (±w, y0).
    # k in [-1, 1] is the curvature; the lower curve sags by k * depth at the centre, the upper by
    # (1 - 0.85 openness) of it, so a big smile opens into a "D" shape with teeth.
    x, y, view = part(
        (
            -_MOUTH_W - 0.04,
            _MOUTH_Y - _MOUTH_DEPTH - 0.04,
            _MOUTH_W + 0.04,
            _MOUTH_Y + _MOUTH_DEPTH + 0.04,
        )
    )
    k = s((col["smile"] - 0.5) * 2)
    open_ = s(((col["smile"] - _OPEN_FROM) / (1 - _OPEN_FROM)).clamp(0, 1))
    curve = k * _MOUTH_DEPTH * (1 - (x / _MOUTH_W) ** 2)  # centre-line sag (n, h, w)
    upper = _MOUTH_Y + curve * (1 - 0.85 * open_)
    lower = _MOUTH_Y + curve
    top, bottom = torch.minimum(upper, lower), torch.maximum(upper, lower)
    mid, half = (top + bottom) / 2, (bottom - top) / 2 + _MOUTH_T
    slope = 2 * k * _MOUTH_DEPTH / _MOUTH_W**2 * x
    mouth = torch.maximum((y - mid).abs() - half, x.abs() - _MOUTH_W) / torch.sqrt(
        1 + slope * slope
    )
    mouth_alpha = _coverage(mouth, pixel)
    _paint(view, _MOUTH.to(device), mouth_alpha)
    teeth = torch.maximum(
        torch.maximum(y - (top + 0.45 * (bottom - top)), top - y), x.abs() - 0.8 * _MOUTH_W
    )
    _paint(view, _TEETH.to(device), _coverage(teeth, pixel) * mouth_alpha * (open_ > 0.15).float())

    # Glasses: tinted lenses, round frames, bridge and arms.
    if bool((col["glasses"] > 0.5).any()):
        glasses = s((col["glasses"] > 0.5).float())
        x, y, view = part(
            (-rx - 0.02, _EYE_Y - _GLASS_R - 0.04, rx + 0.02, _EYE_Y + _GLASS_R + 0.04)
        )
        lens = torch.minimum(
            _circle(x, y, -_EYE_X, _EYE_Y, _GLASS_R), _circle(x, y, _EYE_X, _EYE_Y, _GLASS_R)
        )
        _paint(view, _LENS.to(device), _coverage(lens, pixel) * 0.25 * glasses)
        half_t, inner = _GLASS_T / 2, _EYE_X - _GLASS_R
        bridge = _segment(x, y, -inner, _EYE_Y - 0.02, inner, _EYE_Y - 0.02, half_t)
        arms = torch.minimum(
            _segment(x, y, -_EYE_X - _GLASS_R, _EYE_Y - 0.01, -rx + 0.01, _EYE_Y - 0.03, half_t),
            _segment(x, y, _EYE_X + _GLASS_R, _EYE_Y - 0.01, rx - 0.01, _EYE_Y - 0.03, half_t),
        )
        frame = torch.minimum(lens.abs() - half_t, torch.minimum(bridge, arms))
        _paint(view, _FRAME.to(device), _coverage(frame, pixel) * glasses)

    return image.mul_(2).sub_(1).clamp_(-1, 1)


def render_faces(attributes: torch.Tensor, size: int = 64, chunk: int = 64) -> torch.Tensor:
    """Draw faces: attributes (n, A) -> images (n, 3, size, size), float32 in [-1, 1].

    Renders on ``attributes.device`` (a GPU works too), ``chunk`` faces at a time (small chunks
    stay in the CPU cache; this is a speed setting, not a quality one). On the CPU it runs on one
    thread (see ``_threads.py``: many threads make these small operations slower on a busy machine).
    """
    size = _check_size(size)
    attributes = _check_attributes(attributes)
    if attributes.shape[0] == 0:
        return torch.empty(0, 3, size, size, device=attributes.device)
    chunk = max(1, int(chunk) if attributes.device.type == "cpu" else attributes.shape[0])
    with torch.no_grad(), single_thread(attributes.device):
        return torch.cat([_render_chunk(part, size) for part in attributes.split(chunk)])


def render_face(size: int = 64, **attrs) -> torch.Tensor:
    """Draw one face (3, size, size) in [-1, 1]; attributes you leave out take their defaults.

    >>> before = render_face(smile=0.1); after = render_face(smile=0.9)
    """
    return render_faces(with_attributes(default_attributes(1), **attrs), size=size)[0]


def face_batch(n: int, size: int = 64, seed=0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random faces and their attributes: (n, 3, size, size) in [-1, 1] and (n, A).

    Deterministic from ``seed`` (int or ``torch.Generator``). Training loops call this with a new
    seed (or one running generator) each step; it is far faster than indexing ``FaceDataset``.
    """
    _check_count(n)
    attributes = sample_attributes(n, seed)
    return render_faces(attributes, size=size), attributes


class FaceDataset(Dataset):
    """A map-style dataset of ``length`` faces.

    Item i is (image (3, H, W) in [-1, 1], attributes (A,)).

    The attributes of all items are drawn once from ``seed`` (``sample_attributes(length, seed)``),
    so item i depends only on (seed, i) and equals ``face_batch(length, size, seed)`` at row i.
    ``dataset.batch(indices)`` renders many items in one vectorised call.
    """

    def __init__(self, size: int = 64, length: int = 10000, seed: int = 0):
        self.size = _check_size(size)
        self.length = _check_count(length, "length")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an int, got {type(seed).__name__}")
        self.seed = seed
        self.attributes = sample_attributes(length, seed)  # (length, A)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int):
        if not -self.length <= index < self.length:
            raise IndexError(
                f"index {index} out of range for a FaceDataset of length {self.length}"
            )
        attrs = self.attributes[index]
        return render_faces(attrs.unsqueeze(0), size=self.size)[0], attrs.clone()

    def batch(self, indices) -> tuple[torch.Tensor, torch.Tensor]:
        """Render the items at ``indices`` together: (images (B, 3, H, W), attributes (B, A))."""
        attrs = self.attributes[torch.as_tensor(indices, dtype=torch.long)]
        return render_faces(attrs, size=self.size), attrs.clone()


# Approximate boxes (x0, y0, x1, y1 in image units) where each attribute acts, upright face.
_REGIONS = {
    "smile": (-0.30, 0.12, 0.30, 0.40),
    "eye_size": (-0.40, -0.22, 0.40, 0.10),
    "skin_tone": (-0.40, -0.05, 0.40, 0.45),
    "head_tilt": (-0.70, -0.75, 0.70, 0.55),
    "hair_color": (-0.56, -0.75, 0.56, -0.18),  # hair and eyebrows
    "hair_style": (-0.65, -0.75, 0.65, 0.70),
    "glasses": (-0.42, -0.26, 0.42, 0.12),
    "background": (-1.00, -1.00, -0.70, -0.40),
}


def attribute_region(name: str, size: int = 64) -> torch.Tensor:
    """(size, size) float mask (1 inside) of the box where ``name`` changes the picture.

    Approximate, for an upright face; useful for masked edits and for measuring leakage.
    ``background``'s box is the top-left corner; it acts everywhere outside the person.
    """
    _check_names([name])
    size = _check_size(size)
    x, y = _grid(size, "cpu")
    x0, y0, x1, y1 = _REGIONS[name]
    mask = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    if name == "background":
        mask = mask | ((x >= -x1) & (x <= -x0) & (y >= y0) & (y <= y1))  # top-right corner too
    return mask.float().squeeze(0)


@torch.no_grad()
def person_mask(attributes: torch.Tensor, size: int = 64) -> torch.Tensor:
    """The exact person mask (n, size, size) bool (True = person) of the faces ``attributes``
    render: the pixels that stay the same whatever the background.

    Each face is rendered with every background class; a pixel that changes is background. Ground
    truth for foreground masks (lesson 09 measures its background restyle's mask with it).
    """
    attributes = _check_attributes(attributes)
    b = ATTRIBUTE_NAMES.index("background")
    base = render_faces(attributes, size=size)
    background = torch.zeros(len(attributes), size, size, dtype=torch.bool, device=base.device)
    for shift in range(1, FACE_CLASSES["background"]):
        other = attributes.clone()
        other[:, b] = (attributes[:, b] + shift) % FACE_CLASSES["background"]
        background |= (base - render_faces(other, size=size)).abs().sum(1) > 0.02
    return ~background
