"""Style as feature statistics: Gram matrices, channel mean/std, AdaIN, and distances built on them.

Derived in lesson 08 (the lesson writes ``gram_matrix`` and ``adain`` itself, then checks its own
versions against these).

A conv feature map ``F`` of an image has shape (B, C, H, W). Its *spatial* arrangement is the
content (where things are); statistics that average over positions forget the arrangement and keep
what repeats everywhere, which is what we call style or texture:

- **Gram matrix** (Gatys et al., 2015): ``G_ij = (1 / (C H W)) * sum_p F_ip F_jp`` (B, C, C): which
  channels fire together, averaged over the positions p. Normalising by ``C H W`` makes it
  independent of the image size and the number of channels.
- **channel mean and std** (Huang & Belongie, 2017): ``mu_c = mean_p F_cp`` and
  ``sigma_c = sqrt(var_p F_cp + eps)`` (B, C): cheaper, and what AdaIN matches.
- **AdaIN**: ``adain(x, y) = sigma(y) (x - mu(x)) / sigma(x) + mu(y)``: x's layout with y's
  statistics. With a strength ``alpha``: ``alpha * adain(x, y) + (1 - alpha) * x`` (0 = content,
  1 = full style).

``mean_std`` and ``adain`` are defined with the AdaIN layer in :mod:`gancourse.models.adain` (models
never import from ``gancourse.style``) and re-exported here. The features come from networks that
need no download: :class:`gancourse.style.texture.RandomMultiScaleFeatures` and the encoder of
:class:`gancourse.models.adain.AdaINStylizer`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from gancourse.models.adain import EPS as EPS  # re-exported
from gancourse.models.adain import adain as adain  # re-exported (lesson 08 derives it)
from gancourse.models.adain import check_features, mean_std


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """Gram matrix (B, C, C) of features (B, C, H, W): ``G = F F^T / (C H W)``, F = (B, C, H*W)."""
    f = check_features(features)
    b, c, h, w = f.shape
    flat = f.reshape(b, c, h * w)  # (B, C, HW)
    return flat @ flat.transpose(1, 2) / (c * h * w)  # (B, C, C)


def gram_distance(feats_a: Sequence[torch.Tensor], feats_b: Sequence[torch.Tensor]) -> torch.Tensor:
    """``sum_l mean (G_l(a) - G_l(b))^2`` over a list of feature maps (one per layer/scale)."""
    return sum(
        F.mse_loss(gram_matrix(a), gram_matrix(b).expand_as(gram_matrix(a)))
        for a, b in zip(feats_a, feats_b)
    )


def style_distance(
    feats_a: Sequence[torch.Tensor], feats_b: Sequence[torch.Tensor]
) -> torch.Tensor:
    """Style-statistics distance: ``sum_l ||mu_l(a) - mu_l(b)||^2 + ||sigma_l(a) - sigma_l(b)||^2``
    (means over B, C)."""
    total = 0.0
    for a, b in zip(feats_a, feats_b):
        ma, sa = mean_std(a)
        mb, sb = mean_std(b)
        total = total + F.mse_loss(ma, mb.expand_as(ma)) + F.mse_loss(sa, sb.expand_as(sa))
    return total


def content_distance(feat_a: torch.Tensor, feat_b: torch.Tensor) -> torch.Tensor:
    """Content-structure distance: mean squared difference of two feature maps,
    ``mean (F(a) - F(b))^2``."""
    return F.mse_loss(check_features(feat_a, "feat_a"), check_features(feat_b, "feat_b"))


def structure_distance(feat_a: torch.Tensor, feat_b: torch.Tensor) -> torch.Tensor:
    """Content-structure distance with the statistics removed: ``mean (IN(F(a)) - IN(F(b)))^2``.

    ``IN(F) = (F - mu(F)) / sigma(F)`` per channel: what is left is *where* each channel fires (the
    layout), so a pure change of style statistics costs nothing; a change of layout does.
    """
    ma, sa = mean_std(check_features(feat_a, "feat_a"))
    mb, sb = mean_std(check_features(feat_b, "feat_b"))
    return F.mse_loss((feat_a - ma) / sa, (feat_b - mb) / sb)
