"""Feed-forward style transfer with AdaIN (Huang & Belongie, 2017).

Its encoder needs no download.

Derived in lesson 08. The AdaIN operation itself lives here with the layer that uses it (and
:mod:`gancourse.style` re-exports it, next to the Gram matrix):

- **channel mean and std**: ``mu_c = mean_p F_cp`` and ``sigma_c = sqrt(var_p F_cp + eps)`` over the
  positions p of features F (B, C, H, W) (:func:`mean_std`);
- **AdaIN**: ``adain(x, y) = sigma(y) (x - mu(x)) / sigma(x) + mu(y)``: x's layout with y's
  statistics; with a strength ``alpha``: ``alpha * adain(x, y) + (1 - alpha) * x`` (:func:`adain`).

The original uses VGG-19 (pretrained on ImageNet, a download). Here the **encoder is fixed and
random** (seeded He-initialised convs: random features carry style statistics well, Ustyuzhaninov et
al. 2017) and only the **decoder is trained**, by the project (``python -m gancourse.zoo train
adain_decoder``).

    content c, style s (B, 3, H, W) in [-1, 1]
    encoder E (fixed): 3 levels, returned as a list
        conv3x3 + ReLU           -> (B, c1, H, W)        relu1
        conv3x3 s2 + ReLU        -> (B, c2, H/2, W/2)    relu2
        conv3x3 s2 + ReLU        -> (B, c3, H/4, W/4)    relu3  (the AdaIN level)
    t = alpha * adain(E(c)[-1], E(s)[-1]) + (1 - alpha) * E(c)[-1]
    decoder D (trained): conv c3->c2, up x2, conv c2->c1, up x2, conv c1->c1, conv c1->3, tanh
    output D(t) (B, 3, H, W)

Training loss (per batch of content and style crops)::

    L = ||E(D(t))[-1] - t||^2                      content: the output has the target features
      + lambda_s * sum_l style_distance(E(D(t))_l, E(s)_l)   style: and the style's statistics
      + lambda_r * |D(E(c)[-1]) - c|_1              reconstruction: alpha = 0 gives the photo back

Interpolating two styles: ``t = adain(c, s1) * (1 - beta) + adain(c, s2) * beta`` (then alpha
as above).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gancourse.data._checks import check_finite

EPS = 1e-5


def check_features(x, name: str = "features") -> torch.Tensor:
    """``x`` must be a feature map (B, C, H, W); a clear error otherwise."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor of shape (B, C, H, W), got {type(x).__name__}"
        )
    if x.dim() != 4:
        raise ValueError(
            f"{name} must have shape (B, C, H, W), got {tuple(x.shape)}; add a batch "
            "dimension with x.unsqueeze(0) for a single feature map"
        )
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} hold NaN or inf values: the image they came from is broken")
    return x


def mean_std(features: torch.Tensor, eps: float = EPS) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and std over the positions: two (B, C, 1, 1); ``std = sqrt(var + eps)``.

    The variance is the biased one (divide by H W), and ``eps`` keeps the std away from 0 so AdaIN
    never divides by zero on a flat channel.
    """
    f = check_features(features)
    mean = f.mean(dim=(2, 3), keepdim=True)
    var = f.var(dim=(2, 3), keepdim=True, unbiased=False)
    return mean, (var + eps).sqrt()


def adain(
    content: torch.Tensor, style: torch.Tensor, alpha: float = 1.0, eps: float = EPS
) -> torch.Tensor:
    """Adaptive instance normalisation with strength ``alpha`` in [0, 1].

    ``t = sigma_s (c - mu_c) / sigma_c + mu_s``;  returns ``alpha t + (1 - alpha) c``.
    ``content`` (B, C, H, W) and ``style`` (B or 1, C, H', W'): the sizes may differ, the channels
    may not.
    """
    c, s = check_features(content, "content"), check_features(style, "style")
    if c.shape[1] != s.shape[1]:
        raise ValueError(
            f"content and style features need the same channels, got {c.shape[1]} and {s.shape[1]}"
        )
    if s.shape[0] not in (1, c.shape[0]):
        raise ValueError(
            f"style batch must be 1 or the content batch {c.shape[0]}, got {s.shape[0]}"
        )
    alpha = float(alpha)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(
            f"alpha is the style strength in [0, 1] (0 = content, 1 = full style), got {alpha}"
        )
    mu_c, sd_c = mean_std(c, eps)
    mu_s, sd_s = mean_std(s, eps)
    t = sd_s * (c - mu_c) / sd_c + mu_s
    return alpha * t + (1 - alpha) * c


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Module:
    return nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(cin, cout, 3, stride))


class RandomEncoder(nn.Module):
    """Fixed random 3-level conv encoder (He init from ``seed``); parameters never train."""

    def __init__(self, widths=(16, 32, 96), seed: int = 0):
        super().__init__()
        c1, c2, c3 = widths
        self.levels = nn.ModuleList([_conv(3, c1), _conv(c1, c2, 2), _conv(c2, c3, 2)])
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for level in self.levels:
                conv = level[1]
                fan_in = conv.weight[0].numel()
                conv.weight.copy_(
                    torch.randn(conv.weight.shape, generator=g) * (2.0 / fan_in) ** 0.5
                )
                conv.bias.copy_(torch.randn(conv.bias.shape, generator=g) * 0.05)
        self.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for level in self.levels:
            x = F.relu(level(x))
            feats.append(x)  # (B, c1, H, W), (B, c2, H/2, W/2), (B, c3, H/4, W/4)
        return feats


class Decoder(nn.Module):
    """Features (B, c3, H/4, W/4) -> image (B, 3, H, W) in [-1, 1]."""

    def __init__(self, widths=(16, 32, 96)):
        super().__init__()
        c1, c2, c3 = widths
        self.net = nn.Sequential(
            _conv(c3, c2),
            nn.ReLU(True),  # (B, c2, H/4, W/4)
            nn.Upsample(scale_factor=2, mode="nearest"),
            _conv(c2, c1),
            nn.ReLU(True),  # (B, c1, H/2, W/2)
            nn.Upsample(scale_factor=2, mode="nearest"),
            _conv(c1, c1),
            nn.ReLU(True),  # (B, c1, H, W)
            _conv(c1, 3),
            nn.Tanh(),  # (B, 3, H, W)
        )

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return self.net(t)


def check_image_batch(x, name: str = "image") -> torch.Tensor:
    """(3, H, W) or (B, 3, H, W) float in [-1, 1] with H, W multiples of 4 -> (B, 3, H, W)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor (3, H, W) or (B, 3, H, W) in [-1, 1], "
            f"got {type(x).__name__}"
        )
    if x.dim() == 3:
        x = x.unsqueeze(0)
    if x.dim() != 4 or x.shape[1] != 3:
        hint = (
            " Grey or RGBA? Use gancourse.style.prepare_photo(...) to convert it."
            if x.dim() == 4
            else ""
        )
        raise ValueError(f"{name} must have shape (B, 3, H, W), got {tuple(x.shape)}.{hint}")
    if x.shape[-1] % 4 or x.shape[-2] % 4:
        raise ValueError(
            f"{name}'s height and width must be multiples of 4 (the encoder halves them twice), "
            f"got {tuple(x.shape[-2:])}; crop or resize it, e.g. prepare_photo(x, size=256)"
        )
    if not x.is_floating_point():
        raise TypeError(
            f"{name} has dtype {x.dtype}; the stylizer takes float images in [-1, 1]. "
            "gancourse.style.prepare_photo(x) converts uint8 (0..255) photos."
        )
    check_finite(x, name)
    lo, hi = x.min().item(), x.max().item()
    if not (-1.001 <= lo and hi <= 1.001):
        raise ValueError(
            f"{name} must be in [-1, 1], got [{lo:.3g}, {hi:.3g}]; "
            "gancourse.style.prepare_photo(x) scales [0, 1] and 0..255 photos."
        )
    return x.float()


class AdaINStylizer(nn.Module):
    """Random encoder + trained decoder; ``stylize(content, style, alpha)`` in one call."""

    def __init__(self, width: int = 32, seed: int = 0):
        super().__init__()
        widths = (width // 2, width, 3 * width)
        self.config = {"width": width, "seed": seed}
        self.encoder = RandomEncoder(widths, seed)
        self.decoder = Decoder(widths)

    def encode(self, x: torch.Tensor, name: str = "image") -> list[torch.Tensor]:
        """The encoder's features of ``x`` (checked: (B, 3, H, W) in [-1, 1]), shallow to deep."""
        return self.encoder(check_image_batch(x, name))

    def decode(self, t: torch.Tensor) -> torch.Tensor:
        return self.decoder(t)

    @staticmethod
    def target(
        content_feat: torch.Tensor, style_feat: torch.Tensor, alpha: float = 1.0
    ) -> torch.Tensor:
        """The decoder's input for strength ``alpha``: ``alpha adain(c, s) + (1 - alpha) c``."""
        return adain(content_feat, style_feat, alpha)

    def forward(
        self, content: torch.Tensor, style: torch.Tensor, alpha: float = 1.0
    ) -> torch.Tensor:
        c = self.encode(content, "content")[-1]
        s = self.encode(style, "style")[-1]
        return self.decode(self.target(c, s, alpha))

    stylize = forward

    def interpolate(
        self,
        content: torch.Tensor,
        style_a: torch.Tensor,
        style_b: torch.Tensor,
        beta: float,
        alpha: float = 1.0,
    ) -> torch.Tensor:
        """Blend two styles: ``t = (1 - beta) adain(c, a) + beta adain(c, b)``.

        Then strength alpha.
        """
        if not 0.0 <= float(beta) <= 1.0:
            raise ValueError(f"beta (0 = style a, 1 = style b) must be in [0, 1], got {beta}")
        c = self.encode(content, "content")[-1]
        ta = adain(c, self.encode(style_a, "style_a")[-1])
        tb = adain(c, self.encode(style_b, "style_b")[-1])
        t = (1 - beta) * ta + beta * tb
        return self.decode(alpha * t + (1 - alpha) * c)

    def losses(
        self,
        content: torch.Tensor,
        style: torch.Tensor,
        style_weight: float = 2.0,
        recon_weight: float = 1.0,
    ) -> tuple[torch.Tensor, dict]:
        """The training loss (see the module docstring) and its terms."""
        fc = self.encode(content, "content")
        fs = self.encode(style, "style")
        t = adain(fc[-1], fs[-1])
        out = self.decode(t)
        fo = self.encoder(out)
        content_loss = F.mse_loss(fo[-1], t)
        style_loss = 0.0
        for a, b in zip(fo, fs):
            ma, sa = mean_std(a)
            mb, sb = mean_std(b)
            style_loss = style_loss + F.mse_loss(ma, mb) + F.mse_loss(sa, sb)
        recon = F.l1_loss(self.decode(fc[-1]), content)
        total = content_loss + style_weight * style_loss + recon_weight * recon
        return total, {
            "content": content_loss.item(),
            "style": style_loss.item(),
            "recon": recon.item(),
        }
