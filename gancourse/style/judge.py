"""Does it look painted, and is it still the same picture? Two measures for style transfer
(lessons 08 and 09, the zoo's style cards and ``benchmarks/zoo_quality.py``).

- **The style judge** (:class:`gancourse.models.judge.StyleJudge`, zoo model ``style_judge``)
  classifies 64-pixel patches as "photo" or one of the five painting styles. An image is cut into
  overlapping patches (:func:`patch_grid`); :func:`patch_verdicts` labels each one, and
  :func:`image_verdicts` labels the whole image by the patches' average log-probability,
  ``argmax_k mean_p log softmax(judge(patch_p))_k``. :func:`style_share` is the fraction of images
  (or of the patches lying inside a mask) judged a given style.
- **The structure score** (:func:`structure_score`) says whether the content survived: the Pearson
  correlation of two images' edge maps, ``corr(|∇ blur(luma(a))|, |∇ blur(luma(b))|)``, computed at
  a coarse scale (a Gaussian blur of ``sigma`` = 4 pixels first, for 256-pixel images) so that
  brush strokes and dots, which add fine edges everywhere, count little against a painting whose
  outlines are where the photo's were. 1 = same edges; unrelated pictures score about 0.1.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gancourse.data._checks import check_image_values
from gancourse.runtime import device_of
from gancourse.style.texture import texture_distance


def _check_batch(images: torch.Tensor, name: str, minimum: int = 32) -> torch.Tensor:
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor (B, 3, H, W), got {type(images).__name__}")
    if images.dim() == 3:
        images = images.unsqueeze(0)
    if images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(
            f"{name} must have shape (3, H, W) or (B, 3, H, W), got {tuple(images.shape)}"
        )
    if min(images.shape[-2:]) < minimum:
        raise ValueError(
            f"{name} must be at least {minimum} x {minimum} pixels, got {tuple(images.shape[-2:])}"
        )
    return check_image_values(images.float(), name, slack=0.05)


def patch_grid(images: torch.Tensor, patch: int = 64, stride: int | None = None) -> torch.Tensor:
    """Overlapping patches of each image on a regular grid: (B, 3, H, W) -> (B, R, C, 3, p, p).

    ``stride`` defaults to half the patch. Patches that would cross the border are left out, so
    an H x W image gives ``R = (H - p) // stride + 1`` rows and as many columns for W.
    """
    images = _check_batch(images, "images", patch)
    stride = stride or patch // 2
    tiles = images.unfold(2, patch, stride).unfold(3, patch, stride)  # (B, 3, R, C, p, p)
    return tiles.permute(0, 2, 3, 1, 4, 5)


@torch.no_grad()
def patch_log_probs(
    judge: nn.Module, images: torch.Tensor, stride: int | None = None
) -> torch.Tensor:
    """Log-probabilities (B, R, C, K) of each class for each patch of :func:`patch_grid`."""
    tiles = patch_grid(images, judge.patch, stride)
    b, r, c = tiles.shape[:3]
    flat = tiles.reshape(-1, 3, judge.patch, judge.patch)
    was_training = judge.training
    judge.eval()
    try:
        device = device_of(judge)
        out = torch.cat(
            [judge(flat[i : i + 512].to(device)).float().cpu() for i in range(0, len(flat), 512)]
        )
    finally:
        judge.train(was_training)
    return out.log_softmax(1).reshape(b, r, c, -1)


def patch_verdicts(judge: nn.Module, images: torch.Tensor, stride: int | None = None) -> list:
    """Each patch's class name: a list (B) of lists (R) of lists (C) of names."""
    index = patch_log_probs(judge, images, stride).argmax(-1)
    return [[[judge.classes[k] for k in row] for row in image.tolist()] for image in index]


def image_verdicts(judge: nn.Module, images: torch.Tensor, stride: int | None = None) -> list[str]:
    """One class name per image: the class of highest mean log-probability over its patches."""
    log_p = patch_log_probs(judge, images, stride).mean((1, 2))  # (B, K)
    return [judge.classes[k] for k in log_p.argmax(1).tolist()]


def _check_class(judge: nn.Module, name: str) -> int:
    if name not in judge.classes:
        raise ValueError(f"unknown class {name!r}; the judge knows {tuple(judge.classes)}")
    return judge.classes.index(name)


def style_share(
    judge: nn.Module,
    images: torch.Tensor,
    style: str,
    where: torch.Tensor | None = None,
    stride: int | None = None,
) -> float:
    """The fraction judged ``style``: of whole images, or, with a mask ``where`` (H, W) (True =
    count it), of the patches lying entirely inside the mask (over all images). Patches that
    straddle the mask's edge are left out: they hold both regions."""
    k = _check_class(judge, style)
    if where is None:
        verdicts = image_verdicts(judge, images, stride)
        return sum(v == style for v in verdicts) / len(verdicts)
    log_p = patch_log_probs(judge, images, stride)  # (B, R, C, K)
    where = torch.as_tensor(where).bool()
    if where.shape != images.shape[-2:]:
        raise ValueError(
            f"where must be a mask {tuple(images.shape[-2:])}, got {tuple(where.shape)}"
        )
    p, s = judge.patch, stride or judge.patch // 2
    tiles = where.float().unfold(0, p, s).unfold(1, p, s)  # (R, C, p, p)
    inside = tiles.flatten(2).min(-1).values > 0  # (R, C): every pixel inside
    if not inside.any():
        raise ValueError(
            "no patch lies entirely inside the mask: use a larger region or a smaller stride"
        )
    hits = log_p.argmax(-1)[:, inside] == k  # (B, n inside)
    return hits.float().mean().item()


def _edges(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """|∇ blur(luma(x))|: (B, 3, H, W) in [-1, 1] -> (B, H, W)."""
    luma = (images * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    radius = max(1, int(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-(t**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    x = F.pad(luma, [radius] * 4, mode="reflect")
    x = F.conv2d(x, kernel.view(1, 1, 1, -1))
    x = F.conv2d(x, kernel.view(1, 1, -1, 1))  # (B, 1, H, W)
    gx = x[..., :, 1:] - x[..., :, :-1]
    gy = x[..., 1:, :] - x[..., :-1, :]
    return (gx[..., :-1, :] ** 2 + gy[..., :, :-1] ** 2).sqrt()[:, 0]


def structure_score(a: torch.Tensor, b: torch.Tensor, sigma: float = 4.0) -> torch.Tensor:
    """Pearson correlation (B,) of the edge maps of ``a`` and ``b`` (B, 3, H, W) in [-1, 1], at
    the scale of a Gaussian blur of ``sigma`` pixels. 1 = edges in the same places."""
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0 pixels, got {sigma}")
    smallest = 2 * max(1, int(3 * sigma)) + 1  # the blur's reflect padding needs this much
    a, b = _check_batch(a, "a", smallest), _check_batch(b, "b", smallest)
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    ea, eb = _edges(a.cpu(), sigma).flatten(1), _edges(b.cpu(), sigma).flatten(1)
    ea, eb = ea - ea.mean(1, keepdim=True), eb - eb.mean(1, keepdim=True)
    return (ea * eb).sum(1) / (ea.norm(dim=1) * eb.norm(dim=1)).clamp_min(1e-12)


@torch.no_grad()
def translation_scores(
    judge: nn.Module, outputs: torch.Tensor, photos: torch.Tensor, target: torch.Tensor, style: str
) -> dict:
    """How well a translator turned ``photos`` into ``style``, one float per measure (lesson 09):

    - ``judged``: the share of ``outputs`` the judge labels ``style`` (:func:`image_verdicts`);
    - ``patches``: the share of their patches it labels ``style``;
    - ``structure``: the mean :func:`structure_score` against the photos (content kept);
    - ``l1``: the mean ``|output - target|``, against the paint filter's own painting;
    - ``texture``: the mean :func:`gancourse.style.texture.texture_distance` to the target.
    """
    k = _check_class(judge, style)
    if not outputs.shape == photos.shape == target.shape:
        raise ValueError(
            "outputs, photos and target must have the same shape, got "
            f"{tuple(outputs.shape)}, {tuple(photos.shape)}, {tuple(target.shape)}"
        )
    log_p = patch_log_probs(judge, outputs)  # (B, R, C, K), judged once
    return {
        "judged": (log_p.mean((1, 2)).argmax(1) == k).float().mean().item(),
        "patches": (log_p.argmax(-1) == k).float().mean().item(),
        "structure": structure_score(outputs, photos).mean().item(),
        "l1": (outputs - target).abs().mean().item(),
        "texture": texture_distance(outputs, target).mean().item(),
    }
