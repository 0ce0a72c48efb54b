"""Restyling a photo's background: find the subject, soften the mask's edge, blend.

Derived in lesson 09 (the seed's example: replace a photo's background with a stylised background).

- :func:`foreground_mask` finds the person in a portrait: a rough outline *provided by the course*
  (a hand-drawn polygon in ``OUTLINES`` for astronaut and grace_hopper, or yours) is refined to the
  photo's colour edges by scikit-image's **random walker** segmentation (Grady, 2006) in a band
  around the outline, then cleaned with morphology. Or pass any mask of your own.
- :func:`feather` softens a mask's edge with a Gaussian blur so the blend shows no seam.
- :func:`blend_background`: ``out = m * photo + (1 - m) * ((1 - s) * photo + s * styled)`` with the
  feathered mask m (1 = foreground) and the background strength s in [0, 1].
- :func:`photo_mask` checks a mask against a photo, with the course's one mask check
  (:func:`gancourse.editing.check_mask`).
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
import torch.nn.functional as F

from gancourse.data._checks import check_image_values
from gancourse.editing import check_mask
from gancourse.style.transfer import prepare_photo


def photo_mask(mask, photo: torch.Tensor) -> torch.Tensor:
    """A mask for ``photo`` -> float (1, H, W) in [0, 1] (1 = foreground).

    Accepts (H, W), (1, H, W) or (1, 1, H, W), bool or float, a tensor or a NumPy array. The checks
    are :func:`gancourse.editing.check_mask`'s; this adds NumPy masks and, when the size is not the
    photo's, says how to fix it.
    """
    if isinstance(mask, np.ndarray):
        mask = torch.from_numpy(mask)
    size = tuple(photo.shape[-2:])
    if isinstance(mask, torch.Tensor) and tuple(mask.shape[-2:]) != size:
        raise ValueError(
            f"mask is {tuple(mask.shape[-2:])} but the photo is {size}: "
            "they must match. Compute the mask on the prepared photo, or resize it "
            "with "
            "F.interpolate(mask[None, None].float(), size=photo.shape[-2:])[0, 0]"
        )
    return check_mask(mask, size)[0]  # (1, 1, H, W) -> (1, H, W)


# Rough outlines of the subjects of the two course portraits, drawn by hand for the course as
# polygons (x, y) in fractions of the square photo given by
# prepare_photo(images.load(name), size=S).
OUTLINES = {
    "grace_hopper": [
        (0.30, 0.10),
        (0.33, 0.02),
        (0.70, 0.00),
        (0.74, 0.05),
        (0.74, 0.22),
        (0.72, 0.28),
        (0.68, 0.40),
        (0.66, 0.52),
        (0.72, 0.58),
        (0.85, 0.62),
        (0.95, 0.68),
        (1.0, 0.75),
        (1.0, 1.0),
        (0.0, 1.0),
        (0.0, 0.72),
        (0.05, 0.66),
        (0.20, 0.60),
        (0.34, 0.55),
        (0.35, 0.45),
        (0.33, 0.27),
        (0.33, 0.20),
    ],
    "astronaut": [
        (0.38, 0.10),
        (0.45, 0.06),
        (0.55, 0.06),
        (0.62, 0.12),
        (0.65, 0.22),
        (0.62, 0.30),
        (0.68, 0.35),
        (0.70, 0.45),
        (0.72, 0.50),
        (0.75, 0.60),
        (0.80, 0.65),
        (0.92, 0.70),
        (1.0, 0.78),
        (1.0, 1.0),
        (0.10, 1.0),
        (0.12, 0.75),
        (0.15, 0.60),
        (0.22, 0.52),
        (0.25, 0.45),
        (0.22, 0.38),
        (0.28, 0.32),
        (0.36, 0.30),
        (0.35, 0.20),
    ],
}


def outline_mask(outline, shape) -> torch.Tensor:
    """Rasterise a polygon [(x, y), ...] in fractions of the image (or a name in ``OUTLINES``)
    -> (H, W) bool."""
    from skimage.draw import polygon

    if isinstance(outline, str):
        if outline not in OUTLINES:
            raise ValueError(
                f"no course outline for {outline!r}; outlines exist for "
                f"{sorted(OUTLINES)}. Pass your own polygon [(x, y), ...] in "
                "fractions of the image, or your own mask."
            )
        outline = OUTLINES[outline]
    h, w = shape
    pts = np.asarray(outline, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3:
        raise ValueError(
            "outline must be a list of at least 3 (x, y) points in fractions of the image"
        )
    rr, cc = polygon(pts[:, 1] * h, pts[:, 0] * w, shape=(h, w))
    mask = np.zeros((h, w), dtype=bool)
    mask[rr, cc] = True
    return torch.from_numpy(mask)


def foreground_mask(
    photo: torch.Tensor, outline, band: float = 0.04, beta: float = 90.0, work_size: int = 128
) -> torch.Tensor:
    """The subject's mask (H, W) bool: a rough ``outline`` refined to the photo's edges.

    1. rasterise the outline (a polygon or a name in ``OUTLINES``);
    2. a *trimap*: pixels deeper than ``band`` (fraction of the image) inside are certainly
       foreground, deeper outside certainly background, the band between is unknown;
    3. scikit-image's **random walker** (Grady 2006) labels the band: a graph over pixels with edge
       weights ``exp(-beta |colour difference|^2)``; each unknown pixel takes the label a random
       walk from it most likely reaches first, so the boundary snaps to colour edges;
    4. morphology: keep the largest region, fill holes.

    Runs on a ``work_size`` copy (fast on a CPU) and is upsampled back.
    """
    from scipy import ndimage
    from skimage import segmentation

    is_prepared = isinstance(photo, torch.Tensor) and photo.dim() == 3 and photo.shape[0] == 3
    x = check_image_values(photo, "photo") if is_prepared else prepare_photo(photo)
    h, w = x.shape[-2:]
    small = F.interpolate(
        x[None], size=(work_size, work_size), mode="bilinear", align_corners=False, antialias=True
    )[0]
    rough = outline_mask(outline, (work_size, work_size)).numpy()
    r = max(1, int(band * work_size))
    sure_fg = ndimage.binary_erosion(rough, iterations=r)
    sure_bg = ~ndimage.binary_dilation(rough, iterations=r)
    labels = np.zeros(rough.shape, dtype=np.int32)
    labels[sure_fg], labels[sure_bg] = 1, 2
    rgb = ((small + 1) / 2).permute(1, 2, 0).numpy().astype(np.float64)
    with warnings.catch_warnings():  # the solver's tolerance notes are not the learner's concern
        warnings.simplefilter("ignore")
        seg = segmentation.random_walker(
            rgb, labels, beta=beta, mode="cg", tol=1e-3, channel_axis=-1
        )
    fg = seg == 1
    lab, count = ndimage.label(fg)
    if count > 1:
        fg = lab == (1 + int(np.argmax(ndimage.sum(fg, lab, range(1, count + 1)))))
    fg = ndimage.binary_fill_holes(fg)
    big = F.interpolate(
        torch.from_numpy(fg).float()[None, None], size=(h, w), mode="bilinear", align_corners=False
    )
    return big[0, 0] > 0.5


def feather(mask: torch.Tensor, sigma: float = 3.0) -> torch.Tensor:
    """Soft edges: Gaussian blur of a (H, W) or (1, H, W) mask with std ``sigma`` pixels
    -> (1, H, W) in [0, 1]."""
    m = mask.float()
    while m.dim() > 2:
        m = m[0]
    if sigma <= 0:
        return m[None]
    radius = max(1, int(3 * sigma))
    k = torch.exp(-(torch.arange(-radius, radius + 1, dtype=torch.float32) ** 2) / (2 * sigma**2))
    k = k / k.sum()
    y = F.pad(m[None, None], (radius, radius, radius, radius), mode="replicate")
    y = F.conv2d(y, k.view(1, 1, 1, -1))
    y = F.conv2d(y, k.view(1, 1, -1, 1))
    return y[0].clamp(0, 1)


def blend_background(
    photo: torch.Tensor, styled: torch.Tensor, mask: torch.Tensor, strength: float = 1.0
) -> torch.Tensor:
    """``m * photo + (1 - m) * ((1 - s) * photo + s * styled)``: restyle only where m = 0 (the
    background).

    ``photo``, ``styled`` (3, H, W) in [-1, 1]; ``mask`` (1, H, W) or (H, W) in [0, 1] (1 = keep);
    ``strength`` s in [0, 1].
    """
    if photo.shape != styled.shape:
        raise ValueError(
            f"photo {tuple(photo.shape)} and styled {tuple(styled.shape)} must have the same shape"
        )
    check_image_values(photo, "photo", slack=0.5)
    check_image_values(styled, "styled", slack=0.5)
    m = photo_mask(mask, photo)
    s = float(strength)
    if not 0.0 <= s <= 1.0:
        raise ValueError(f"background strength must be in [0, 1], got {strength}")
    background = (1 - s) * photo + s * styled
    return m * photo + (1 - m) * background
