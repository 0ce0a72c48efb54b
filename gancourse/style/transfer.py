"""Feed-forward style transfer on real photos: preparing any photo, measuring the strength sweep.

Derived in lesson 08 (stylising Grace Hopper with the AdaIN stylizer, and checking that the style
distance falls and the content-structure distance rises as alpha grows); lesson 09 uses
:func:`prepare_photo` for the photos whose background it restyles.

- :func:`prepare_photo` accepts what people actually have (a file path, a tensor, a NumPy array,
  a PIL image in any mode; uint8 or float; grey, RGB or RGBA; any size) and returns (3, H, W) in
  [-1, 1], resized so the longer side is at most ``max_size`` (with a note), with H and W
  multiples of 4.
- :func:`alpha_sweep` stylises at several strengths and measures each output in the stylizer's
  encoder space; :func:`is_monotonic` says whether a curve only goes one way.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gancourse.data.folders import open_image, to_rgb
from gancourse.style.statistics import content_distance, structure_distance, style_distance

__all__ = ["MAX_SIZE", "alpha_sweep", "is_monotonic", "prepare_photo"]

MAX_SIZE = 512


def prepare_photo(
    image, size: int | None = None, max_size: int = MAX_SIZE, multiple: int = 4
) -> torch.Tensor:
    """Any photo -> float (3, H, W) in [-1, 1].

    - a path (``str`` or ``Path``) or a PIL image goes through the course's one picture loader,
      :func:`gancourse.data.folders.open_image` / ``to_rgb`` (EXIF orientation, 16-bit, CMYK,
      transparency on white);
    - grey (H, W) or (1, H, W) is repeated to RGB; RGBA is composited on white (the alpha is dropped
      after that) and RGB is kept;
    - uint8 (0..255) is scaled; floats must be in [0, 1] or [-1, 1] (negative values mean [-1, 1]);
    - channels-last arrays (H, W, C) are permuted;
    - ``size``: resize the shorter side to ``size`` and centre-crop a square;
    - otherwise, if the longer side is above ``max_size``, it is resized down (a warning says so):
      stylising a 4000-pixel photo on a CPU would take minutes and gigabytes;
    - H and W are cropped to multiples of ``multiple`` (the encoder halves the size twice).
    """
    from PIL import Image

    if isinstance(image, str | Path):
        image = open_image(image)
    if isinstance(image, Image.Image):
        image = np.array(to_rgb(image, where="the PIL image"))
    if isinstance(image, np.ndarray):
        image = torch.from_numpy(np.ascontiguousarray(image))
    if not isinstance(image, torch.Tensor):
        raise TypeError(
            f"photo must be a torch.Tensor, NumPy array or PIL image, got {type(image).__name__}"
        )
    x = image.detach().cpu()
    if x.is_floating_point() and not torch.isfinite(x).all():
        raise ValueError("the photo holds NaN or inf values; load or compute it again")
    if x.dim() == 4 and x.shape[0] == 1:
        x = x[0]
    if x.dim() == 2:
        x = x[None]
    if x.dim() != 3:
        raise ValueError(
            f"photo must be (H, W), (C, H, W) or (H, W, C) with C in 1, 3, 4; "
            f"got {tuple(image.shape)}"
        )
    if x.shape[0] not in (1, 3, 4) and x.shape[-1] in (1, 3, 4):
        x = x.permute(2, 0, 1)  # (H, W, C) -> (C, H, W)
    if x.shape[0] not in (1, 3, 4):
        raise ValueError(
            f"photo must have 1 (grey), 3 (RGB) or 4 (RGBA) channels, "
            f"got shape {tuple(image.shape)}"
        )
    if x.dtype == torch.uint8:
        x = x.float() / 255.0
    elif x.dtype == torch.bool:
        x = x.float()
    else:
        x = x.float()
        if x.min() < -1e-3:
            if x.min() < -1.001 or x.max() > 1.001:
                raise ValueError(
                    f"float photo values must be in [0, 1] or [-1, 1], "
                    f"got [{x.min():.3g}, {x.max():.3g}]"
                )
            x = (x + 1) / 2
        elif x.max() > 1.001:
            raise ValueError(
                f"float photo values must be in [0, 1] or [-1, 1], "
                f"got max {x.max():.3g}; "
                "uint8 photos (0..255) should keep dtype uint8"
            )
    if x.shape[0] == 4:  # RGBA: composite on white
        alpha = x[3:4]
        x = x[:3] * alpha + (1 - alpha)
    if x.shape[0] == 1:
        x = x.expand(3, -1, -1)
    h, w = x.shape[-2:]
    if min(h, w) < 16:
        raise ValueError(f"photo is {h} x {w} pixels; at least 16 x 16 is needed")
    if size is not None:
        scale = size / min(h, w)
        x = F.interpolate(
            x[None],
            size=(max(size, round(h * scale)), max(size, round(w * scale))),
            mode="bilinear",
            align_corners=False,
            antialias=True,
        )[0]
        top, left = (x.shape[1] - size) // 2, (x.shape[2] - size) // 2
        x = x[:, top : top + size, left : left + size]
    elif max(h, w) > max_size:
        scale = max_size / max(h, w)
        new = (max(16, round(h * scale)), max(16, round(w * scale)))
        warnings.warn(
            f"photo of {h} x {w} pixels resized to {new[0]} x {new[1]} "
            f"(max_size={max_size}); pass max_size=... to change this",
            stacklevel=2,
        )
        x = F.interpolate(x[None], size=new, mode="bilinear", align_corners=False, antialias=True)[
            0
        ]
    h, w = x.shape[-2:]
    x = x[:, : h - h % multiple, : w - w % multiple]
    return (x.clamp(0, 1) * 2 - 1).contiguous()


@torch.no_grad()
def alpha_sweep(
    stylizer: nn.Module, content: torch.Tensor, style_image: torch.Tensor, alphas
) -> dict:
    """Stylise at each alpha and measure, in the stylizer's encoder space:

    - ``style``: :func:`~gancourse.style.statistics.style_distance` of the output to the style
      image (all encoder levels);
    - ``content``: :func:`~gancourse.style.statistics.content_distance` to the content at the
      deepest level;
    - ``structure``: :func:`~gancourse.style.statistics.structure_distance` to the content at the
      deepest level.
    """
    fc, fs = stylizer.encode(content, "content"), stylizer.encode(style_image, "style_image")
    out = {"alpha": [float(a) for a in alphas], "style": [], "content": [], "structure": []}
    for a in out["alpha"]:
        fo = stylizer.encode(stylizer.decode(stylizer.target(fc[-1], fs[-1], a)))
        out["style"].append(style_distance(fo, fs).item())
        out["content"].append(content_distance(fo[-1], fc[-1]).item())
        out["structure"].append(structure_distance(fo[-1], fc[-1]).item())
    return out


def is_monotonic(values, increasing: bool = True) -> bool:
    """True when every step goes strictly up (or down when ``increasing=False``)."""
    pairs = list(zip(values, values[1:]))
    return all(b > a for a, b in pairs) if increasing else all(b < a for a, b in pairs)
