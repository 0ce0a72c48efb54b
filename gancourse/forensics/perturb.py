"""Perturbations an image meets on its way through the web: blur, JPEG, resizing, cropping.

Used in lesson 10 to ask whether a detector (or a watermark) survives them:
:func:`gaussian_blur`, :func:`jpeg` (PIL, in memory), :func:`rescale` (down and back up),
:func:`crop`; :func:`perturbations` gives the standard set the lesson tests against.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torchvision.transforms.v2 import functional as TF

from gancourse.data.transforms import from_uint8, to_uint8

from ._checks import check_images


def gaussian_blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian blur, standard deviation ``sigma`` px (kernel 2·ceil(3σ) + 1, reflect padding)."""
    images = check_images(images)
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}")
    if sigma == 0:
        return images.clone()
    side = min(images.shape[-2:])
    k = min(2 * math.ceil(3 * sigma) + 1, side if side % 2 else side - 1)  # odd, fits the image
    return TF.gaussian_blur(images, kernel_size=[k, k], sigma=[sigma, sigma])


def jpeg(images: torch.Tensor, quality: int = 75) -> torch.Tensor:
    """Encode every image as JPEG at ``quality`` (1 … 95) in memory with PIL and decode it again."""
    images = check_images(images)
    if not isinstance(quality, int) or not 1 <= quality <= 95:
        raise ValueError(f"JPEG quality must be an int in 1 … 95, got {quality!r}")
    pixels = to_uint8(images).permute(0, 2, 3, 1).cpu().numpy()
    out = []
    for array in pixels:
        pil = Image.fromarray(array[..., 0] if array.shape[2] == 1 else array)
        buffer = io.BytesIO()
        pil.save(buffer, format="JPEG", quality=quality)
        decoded = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert(pil.mode))
        out.append(torch.from_numpy(decoded.copy()).reshape(array.shape))
    return from_uint8(torch.stack(out).permute(0, 3, 1, 2)).to(images.device)


def rescale(images: torch.Tensor, factor: float) -> torch.Tensor:
    """Resize by ``factor`` (bilinear, antialiased) and back to the original size: what a thumbnail
    does to the high frequencies, while the detector still gets the size it was trained on."""
    images = check_images(images)
    if not 0 < factor <= 4:
        raise ValueError(f"factor must be in (0, 4], got {factor}")
    h, w = images.shape[-2:]
    small = (max(1, round(h * factor)), max(1, round(w * factor)))
    down = F.interpolate(
        images, size=small, mode="bilinear", antialias=factor < 1, align_corners=False
    )
    return F.interpolate(down, size=(h, w), mode="bilinear", align_corners=False).clamp(-1, 1)


def crop(images: torch.Tensor, top: int, left: int, height: int, width: int) -> torch.Tensor:
    """The window ``images[..., top:top + height, left:left + width]``, checked to lie inside."""
    images = check_images(images)
    h, w = images.shape[-2:]
    if top < 0 or left < 0 or height < 1 or width < 1 or top + height > h or left + width > w:
        raise ValueError(
            f"crop window top={top}, left={left}, {height}x{width} does not fit in {h}x{w} images"
        )
    return images[..., top : top + height, left : left + width]


def perturbations(size: int = 64) -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    """The standard test set of lesson 10: name -> function (images -> images of the same size)."""
    return {
        "none": lambda x: x,
        "blur σ=1": lambda x: gaussian_blur(x, 1.0),
        "JPEG q=90": lambda x: jpeg(x, 90),
        "JPEG q=75": lambda x: jpeg(x, 75),
        "resize ×0.5": lambda x: rescale(x, 0.5),
    }
