"""Texture synthesis by optimisation on random multi-scale features.

Derived in lesson 08: start from noise and adjust the pixels until their Gram matrices
(:func:`gancourse.style.statistics.gram_matrix`) match a target's. Start from a photo instead, and
keep its deep features too, and the same optimisation is style transfer
(:func:`transfer_by_optimisation`, Gatys et al. 2016). The features need no download:
:class:`RandomMultiScaleFeatures` are random filters at several scales (random features make good
textures, Ustyuzhaninov et al., ICLR 2017).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from gancourse.data._checks import check_image_values
from gancourse.style.statistics import gram_matrix, mean_std

__all__ = ["RandomMultiScaleFeatures", "synthesize_texture", "transfer_by_optimisation"]


class RandomMultiScaleFeatures(nn.Module):
    """Fixed random conv features at several scales: ``f_s = relu(conv_s(avgpool_s(x)))``,
    s = 1, 2, 4, 8.

    Each scale has its own random 5x5 filters (``channels`` per scale, seeded, never trained).
    Pooling by s before a 5x5 filter sees a 5s x 5s window: a cheap multi-scale filter bank in the
    spirit of Ustyuzhaninov et al. (2017), who showed that Gram matrices of *random* single-layer
    multi-scale features already synthesise convincing textures. Returns a list of
    (B, channels, H/s, W/s).
    """

    def __init__(
        self,
        channels: int = 64,
        scales: Sequence[int] = (1, 2, 4, 8),
        kernel: int = 5,
        seed: int = 0,
    ):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.scales, self.kernel = tuple(scales), kernel
        weights = []
        for _ in self.scales:
            w = torch.randn(channels, 3, kernel, kernel, generator=g)
            w = w - w.mean(dim=(1, 2, 3), keepdim=True)  # zero-mean: structure, not brightness
            weights.append(w / w.flatten(1).norm(dim=1).view(-1, 1, 1, 1))
        self.register_buffer("weights", torch.stack(weights))  # (S, C, 3, k, k)
        self.register_buffer("bias", torch.randn(len(self.scales), channels, generator=g) * 0.1)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(
                f"RandomMultiScaleFeatures expects RGB images (B, 3, H, W), got {tuple(x.shape)}"
            )
        smallest = (self.kernel // 2 + 1) * max(self.scales)  # reflect padding needs pad < side
        if min(x.shape[-2:]) < smallest:
            raise ValueError(
                f"RandomMultiScaleFeatures needs images of at least {smallest} x {smallest} pixels "
                f"(scales up to {max(self.scales)}, kernel {self.kernel}), got "
                f"{tuple(x.shape[-2:])}; use a larger size or fewer scales"
            )
        out = []
        for i, s in enumerate(self.scales):
            xs = F.avg_pool2d(x, s) if s > 1 else x
            xs = F.pad(xs, [self.kernel // 2] * 4, mode="reflect")
            out.append(F.relu(F.conv2d(xs, self.weights[i], self.bias[i])))  # (B, C, H/s, W/s)
        return out


def _one_image(x: torch.Tensor, name: str) -> torch.Tensor:
    if x.dim() == 3:
        x = x.unsqueeze(0)
    if x.dim() != 4 or x.shape[:2] != (1, 3):
        raise ValueError(
            f"{name} must be one RGB image (3, H, W) or (1, 3, H, W), got {tuple(x.shape)}"
        )
    return check_image_values(x.float(), name)


def synthesize_texture(
    target: torch.Tensor,
    features: nn.Module | None = None,
    size: int = 64,
    steps: int = 200,
    lr: float = 0.05,
    seed: int = 0,
    callback=None,
    progress: bool = True,
) -> tuple[torch.Tensor, list[float]]:
    """Texture synthesis by optimisation: start from noise, match the target's Gram matrices.

    ``x* = argmin_x sum_l || G_l(x) - G_l(target) ||^2``, by Adam on the pixels, which live in
    [-1, 1] through ``x = tanh(u)``. ``target`` (3, H, W) or (1, 3, H, W) in [-1, 1]; ``features``
    defaults to :class:`RandomMultiScaleFeatures`. Returns the texture (1, 3, size, size) and the
    Gram distance at every step (it falls: that is the measurement). ``progress``: a progress bar.
    """
    target = _one_image(target, "target")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    features = RandomMultiScaleFeatures() if features is None else features
    with torch.no_grad():
        target_grams = [gram_matrix(f) for f in features(target)]
    g = torch.Generator().manual_seed(seed)
    u = (torch.randn(1, 3, size, size, generator=g) * 0.5).requires_grad_(True)
    opt = torch.optim.Adam([u], lr=lr)
    history = []
    bar = tqdm(range(steps), desc="texture", disable=not progress, leave=False, mininterval=1)
    for step in bar:
        feats = features(torch.tanh(u))
        loss = sum(F.mse_loss(gram_matrix(f), t) for f, t in zip(feats, target_grams)) * 1e3
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        history.append(loss.item())
        if callback is not None:
            callback(step, torch.tanh(u.detach()), loss.item())
    return torch.tanh(u.detach()), history


def transfer_by_optimisation(
    photo: torch.Tensor,
    style_target: torch.Tensor,
    features: nn.Module | None = None,
    steps: int = 200,
    lr: float = 0.03,
    style_weight: float = 1e3,
    content_levels: int = 2,
    progress: bool = True,
) -> tuple[torch.Tensor, dict]:
    """Style transfer by optimising the pixels (Gatys et al. 2016), on random features.

    Start from the photo and minimise, by Adam on the pixels (clamped to [-1, 1] after each step),

        L(x) = sum_{l in coarsest content_levels} mean (F_l(x) - F_l(photo))^2
             + style_weight * sum_l || G_l(x) - G_l(style_target) ||^2

    The content term keeps the coarse features (the layout), the style term pulls every scale's
    Gram matrix to the style image's. ``photo`` and ``style_target``: (3, H, W) or (1, 3, H, W)
    in [-1, 1], any sizes. Returns the painted image (1, 3, H, W) and the two terms at each step.
    ``progress``: a progress bar while it runs.
    """
    photo, style_target = _one_image(photo, "photo"), _one_image(style_target, "style_target")
    if steps < 1 or content_levels < 1:
        raise ValueError(f"steps and content_levels must be >= 1, got {steps}, {content_levels}")
    features = RandomMultiScaleFeatures() if features is None else features
    with torch.no_grad():
        content = features(photo)[-content_levels:]
        style_grams = [gram_matrix(f) for f in features(style_target)]
    x = photo.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=lr)
    history = {"content": [], "style": []}
    for _ in tqdm(range(steps), desc="painting", disable=not progress, leave=False, mininterval=1):
        feats = features(x)
        content_loss = sum(F.mse_loss(f, c) for f, c in zip(feats[-content_levels:], content))
        style_loss = sum(((gram_matrix(f) - g) ** 2).sum() for f, g in zip(feats, style_grams))
        opt.zero_grad(set_to_none=True)
        (content_loss + style_weight * style_loss).backward()
        opt.step()
        with torch.no_grad():
            x.clamp_(-1, 1)
        history["content"].append(content_loss.item())
        history["style"].append(style_loss.item())
    return x.detach(), history


@torch.no_grad()
def texture_distance(a: torch.Tensor, b: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """How different the *textures* of ``a`` and ``b`` (B, 3, H, W) are, one number per pair (B,):
    the style distance of lesson 08 on :class:`RandomMultiScaleFeatures` (``seed``),
    ``sum_s mean_c (mu_sc(a) - mu_sc(b))^2 + (sigma_sc(a) - sigma_sc(b))^2``.

    Statistics average over positions, so a brush stroke one pixel to the left costs nothing,
    while a blur (lower sigma at the fine scales) does: the measure lesson 09 sets beside L1, which
    rewards blur (lesson 03)."""
    for name, x in (("a", a), ("b", b)):
        check_image_values(x, name)
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    features = RandomMultiScaleFeatures(seed=seed).to(a.device)
    total = torch.zeros(a.shape[0], device=a.device)
    for fa, fb in zip(features(a), features(b)):
        (ma, sa), (mb, sb) = mean_std(fa), mean_std(fb)  # (B, C, 1, 1) each
        total += ((ma - mb) ** 2 + (sa - sb) ** 2).flatten(1).mean(1)
    return total
