"""Style as feature statistics: Gram matrices, channel mean/std, AdaIN, texture synthesis.

A conv feature map ``F`` of an image has shape (B, C, H, W). Its *spatial* arrangement is the
content (where things are); statistics that average over positions forget the arrangement and keep
what repeats everywhere, which is what we call style or texture:

- **Gram matrix** (Gatys et al., 2015): ``G_ij = (1 / (C H W)) * sum_p F_ip F_jp`` (B, C, C): which
  channels fire together, averaged over the positions p. Normalising by ``C H W`` makes it
  independent of the image size and the number of channels.
- **channel mean and std** (Huang & Belongie, 2017): ``mu_c = mean_p F_cp`` and
  ``sigma_c = sqrt(var_p F_cp + eps)`` (B, C): cheaper, and what AdaIN matches.
- **AdaIN**: ``adain(x, y) = sigma(y) (x - mu(x)) / sigma(x) + mu(y)``: x's layout with y's statistics.
  With a strength ``alpha``: ``alpha * adain(x, y) + (1 - alpha) * x`` (0 = content, 1 = full style).

The features come from networks that need no download: :class:`RandomMultiScaleFeatures` (random
filters at several scales; random features make good textures, Ustyuzhaninov et al., ICLR 2017),
and the encoder of :class:`gancourse.models.adain.AdaINStylizer`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

EPS = 1e-5


def _check_features(x, name: str = "features") -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (B, C, H, W), got {type(x).__name__}")
    if x.dim() != 4:
        raise ValueError(f"{name} must have shape (B, C, H, W), got {tuple(x.shape)}; add a batch dimension "
                         "with x.unsqueeze(0) for a single feature map")
    return x


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """Gram matrix (B, C, C) of features (B, C, H, W): ``G = F F^T / (C H W)`` with F = (B, C, H*W)."""
    f = _check_features(features)
    b, c, h, w = f.shape
    flat = f.reshape(b, c, h * w)  # (B, C, HW)
    return flat @ flat.transpose(1, 2) / (c * h * w)  # (B, C, C)


def mean_std(features: torch.Tensor, eps: float = EPS) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and std over the positions: two (B, C, 1, 1); ``std = sqrt(var + eps)``.

    The variance is the biased one (divide by H W), and ``eps`` keeps the std away from 0 so AdaIN
    never divides by zero on a flat channel.
    """
    f = _check_features(features)
    mean = f.mean(dim=(2, 3), keepdim=True)
    var = f.var(dim=(2, 3), keepdim=True, unbiased=False)
    return mean, (var + eps).sqrt()


def adain(content: torch.Tensor, style: torch.Tensor, alpha: float = 1.0, eps: float = EPS) -> torch.Tensor:
    """Adaptive instance normalisation with strength ``alpha`` in [0, 1].

    ``t = sigma_s (c - mu_c) / sigma_c + mu_s``;  returns ``alpha t + (1 - alpha) c``.
    ``content`` (B, C, H, W) and ``style`` (B or 1, C, H', W'): the sizes may differ, the channels
    may not.
    """
    c, s = _check_features(content, "content"), _check_features(style, "style")
    if c.shape[1] != s.shape[1]:
        raise ValueError(f"content and style features need the same channels, got {c.shape[1]} and {s.shape[1]}")
    if s.shape[0] not in (1, c.shape[0]):
        raise ValueError(f"style batch must be 1 or the content batch {c.shape[0]}, got {s.shape[0]}")
    alpha = float(alpha)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha is the style strength in [0, 1] (0 = content, 1 = full style), got {alpha}")
    mu_c, sd_c = mean_std(c, eps)
    mu_s, sd_s = mean_std(s, eps)
    t = sd_s * (c - mu_c) / sd_c + mu_s
    return alpha * t + (1 - alpha) * c


def gram_distance(feats_a: Sequence[torch.Tensor], feats_b: Sequence[torch.Tensor]) -> torch.Tensor:
    """``sum_l mean (G_l(a) - G_l(b))^2`` over a list of feature maps (one per layer/scale)."""
    return sum(F.mse_loss(gram_matrix(a), gram_matrix(b).expand_as(gram_matrix(a))) for a, b in zip(feats_a, feats_b))


def style_distance(feats_a: Sequence[torch.Tensor], feats_b: Sequence[torch.Tensor]) -> torch.Tensor:
    """Style-statistics distance: ``sum_l ||mu_l(a) - mu_l(b)||^2 + ||sigma_l(a) - sigma_l(b)||^2`` (means over B, C)."""
    total = 0.0
    for a, b in zip(feats_a, feats_b):
        ma, sa = mean_std(a)
        mb, sb = mean_std(b)
        total = total + F.mse_loss(ma, mb.expand_as(ma)) + F.mse_loss(sa, sb.expand_as(sa))
    return total


def content_distance(feat_a: torch.Tensor, feat_b: torch.Tensor) -> torch.Tensor:
    """Content-structure distance: mean squared difference of two feature maps, ``mean (F(a) - F(b))^2``."""
    return F.mse_loss(feat_a, feat_b)


def structure_distance(feat_a: torch.Tensor, feat_b: torch.Tensor) -> torch.Tensor:
    """Content-structure distance with the statistics removed: ``mean (IN(F(a)) - IN(F(b)))^2``.

    ``IN(F) = (F - mu(F)) / sigma(F)`` per channel: what is left is *where* each channel fires (the
    layout), so a pure change of style statistics costs nothing; a change of layout does.
    """
    ma, sa = mean_std(feat_a)
    mb, sb = mean_std(feat_b)
    return F.mse_loss((feat_a - ma) / sa, (feat_b - mb) / sb)


@torch.no_grad()
def alpha_sweep(stylizer: nn.Module, content: torch.Tensor, style_image: torch.Tensor, alphas) -> dict:
    """Stylise at each alpha and measure, in the stylizer's encoder space:

    - ``style``: :func:`style_distance` of the output to the style image (all encoder levels);
    - ``content``: :func:`content_distance` to the content at the deepest level;
    - ``structure``: :func:`structure_distance` to the content at the deepest level.
    """
    fc, fs = stylizer.encode(content), stylizer.encode(style_image)
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


class RandomMultiScaleFeatures(nn.Module):
    """Fixed random conv features at several scales: ``f_s = relu(conv_s(avgpool_s(x)))``, s = 1, 2, 4, 8.

    Each scale has its own random 5x5 filters (``channels`` per scale, seeded, never trained). Pooling
    by s before a 5x5 filter sees a 5s x 5s window: a cheap multi-scale filter bank in the spirit of
    Ustyuzhaninov et al. (2017), who showed that Gram matrices of *random* single-layer multi-scale
    features already synthesise convincing textures. Returns a list of (B, channels, H/s, W/s).
    """

    def __init__(self, channels: int = 64, scales: Sequence[int] = (1, 2, 4, 8), kernel: int = 5, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.scales, self.kernel = tuple(scales), kernel
        weights = []
        for _ in self.scales:
            w = torch.randn(channels, 3, kernel, kernel, generator=g)
            w = w - w.mean(dim=(1, 2, 3), keepdim=True)  # zero-mean filters respond to structure, not brightness
            weights.append(w / w.flatten(1).norm(dim=1).view(-1, 1, 1, 1))
        self.register_buffer("weights", torch.stack(weights))  # (S, C, 3, k, k)
        self.register_buffer("bias", torch.randn(len(self.scales), channels, generator=g) * 0.1)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"RandomMultiScaleFeatures expects RGB images (B, 3, H, W), got {tuple(x.shape)}")
        out = []
        for i, s in enumerate(self.scales):
            xs = F.avg_pool2d(x, s) if s > 1 else x
            xs = F.pad(xs, [self.kernel // 2] * 4, mode="reflect")
            out.append(F.relu(F.conv2d(xs, self.weights[i], self.bias[i])))  # (B, C, H/s, W/s)
        return out


def synthesize_texture(target: torch.Tensor, features: nn.Module | None = None, size: int = 64, steps: int = 200,
                       lr: float = 0.05, seed: int = 0, callback=None) -> tuple[torch.Tensor, list[float]]:
    """Texture synthesis by optimisation: start from noise, match the target's Gram matrices.

    ``x* = argmin_x sum_l || G_l(x) - G_l(target) ||^2``, by Adam on the pixels, which live in
    [-1, 1] through ``x = tanh(u)``. ``target`` (3, H, W) or (1, 3, H, W) in [-1, 1]; ``features``
    defaults to :class:`RandomMultiScaleFeatures`. Returns the texture (1, 3, size, size) and the
    Gram distance at every step (it falls: that is the measurement).
    """
    if target.dim() == 3:
        target = target.unsqueeze(0)
    if target.dim() != 4 or target.shape[:2] != (1, 3):
        raise ValueError(f"target must be one RGB image (3, H, W) or (1, 3, H, W), got {tuple(target.shape)}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    features = RandomMultiScaleFeatures() if features is None else features
    with torch.no_grad():
        target_grams = [gram_matrix(f) for f in features(target.float())]
    g = torch.Generator().manual_seed(seed)
    u = (torch.randn(1, 3, size, size, generator=g) * 0.5).requires_grad_(True)
    opt = torch.optim.Adam([u], lr=lr)
    history = []
    for step in range(steps):
        feats = features(torch.tanh(u))
        loss = sum(F.mse_loss(gram_matrix(f), t) for f, t in zip(feats, target_grams)) * 1e3
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        history.append(loss.item())
        if callback is not None:
            callback(step, torch.tanh(u.detach()), loss.item())
    return torch.tanh(u.detach()), history


def timed(fn, *args, repeat: int = 1, **kwargs) -> tuple[object, float]:
    """Run ``fn`` and return (its result, median seconds over ``repeat`` runs)."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return result, sorted(times)[len(times) // 2]
