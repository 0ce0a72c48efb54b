"""The feed-forward painter: one network that paints a photo in any of the five styles, in one pass.

Derived in lesson 08, after optimisation-based style transfer: optimising the pixels of one image
takes hundreds of steps; a network trained once on many images does the same in one forward pass
(Johnson et al. 2016, "perceptual losses"; one network for several styles by conditional instance
normalisation, Dumoulin et al. 2017). Trained by the zoo recipe ``painter``.

Architecture for width ``w`` and an image (B, 3, H, W), H and W multiples of 4::

    encoder   conv 3x3                      -> (B, w, H, W)
              conv 3x3 s2                   -> (B, 2w, H/2, W/2)
              conv 3x3 s2                   -> (B, 4w, H/4, W/4)     c: the photo's features
    style     n residual blocks with conditional instance norm (a gamma, beta per style)
                                            -> (B, 4w, H/4, W/4)     t_s = c + body_s(c)
    mix       alpha t_s + (1 - alpha) c     -> (B, 4w, H/4, W/4)     alpha = style strength
    decoder   conv 3x3, x2 up, conv 3x3, x2 up, conv 3x3, conv 3x3, tanh
                                            -> (B, 3, H, W)

The decoder draws both the photo (from ``c``; trained to reconstruct it) and the painting (from
``t_s``), so alpha blends *features*, as AdaIN's strength does: moving a strength slider reruns
only the decoder, while ``c`` and ``t_s`` are cached. Conditional instance norm:

    CIN(x, s) = gamma_s * (x - mean(x)) / std(x) + beta_s     (mean, std per channel, over space)

``Painter(**painter.config)`` rebuilds it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gancourse.data.styles import STYLE_NAMES
from gancourse.models.adain import check_image_batch


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(cin, cout, 3, stride))


class ConditionalInstanceNorm(nn.Module):
    """Instance norm with a learned scale and shift per style: ``gamma[s] * IN(x) + beta[s]``."""

    def __init__(self, channels: int, n_styles: int):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(n_styles, channels))
        self.beta = nn.Parameter(torch.zeros(n_styles, channels))

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        # x (B, C, H, W), style (B,) indices
        g = self.gamma[style][:, :, None, None]
        b = self.beta[style][:, :, None, None]
        return F.instance_norm(x) * g + b


class StyleBlock(nn.Module):
    """Residual block: ``x + conv(relu(CIN(conv(relu(CIN(x))))))``, one CIN per style."""

    def __init__(self, channels: int, n_styles: int):
        super().__init__()
        self.norm1 = ConditionalInstanceNorm(channels, n_styles)
        self.conv1 = _conv(channels, channels)
        self.norm2 = ConditionalInstanceNorm(channels, n_styles)
        self.conv2 = _conv(channels, channels)

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.relu(self.norm1(x, style)))
        return x + self.conv2(F.relu(self.norm2(h, style)))  # (B, C, H/4, W/4)


class Painter(nn.Module):
    """``painter(photo, "brush", alpha)``: the photo (B, 3, H, W) in [-1, 1] painted in a style.

    ``encode`` -> ``transform`` -> ``decode`` are the three stages; :meth:`mix` blends the
    photo's features with the painted ones (alpha = style strength).
    """

    def __init__(self, styles=STYLE_NAMES, width: int = 16, blocks: int = 5):
        super().__init__()
        styles = tuple(styles)
        if not styles or len(set(styles)) != len(styles):
            raise ValueError(f"styles must be distinct names, got {styles}")
        self.styles = styles
        self.config = {"styles": list(styles), "width": width, "blocks": blocks}
        w = width
        self.encoder = nn.Sequential(
            _conv(3, w),
            nn.ReLU(True),  # (B, w, H, W)
            _conv(w, 2 * w, 2),
            nn.ReLU(True),  # (B, 2w, H/2, W/2)
            _conv(2 * w, 4 * w, 2),
            nn.ReLU(True),  # (B, 4w, H/4, W/4)
        )
        self.body = nn.ModuleList(StyleBlock(4 * w, len(styles)) for _ in range(blocks))
        self.decoder = nn.Sequential(
            _conv(4 * w, 2 * w),
            nn.ReLU(True),  # (B, 2w, H/4, W/4)
            nn.Upsample(scale_factor=2, mode="nearest"),
            _conv(2 * w, w),
            nn.ReLU(True),  # (B, w, H/2, W/2)
            nn.Upsample(scale_factor=2, mode="nearest"),
            _conv(w, w),
            nn.ReLU(True),  # (B, w, H, W)
            _conv(w, 3),
            nn.Tanh(),  # (B, 3, H, W)
        )

    def style_index(self, style, batch: int) -> torch.Tensor:
        """A style name (or a list of names, one per image) -> indices (B,)."""
        names = [style] * batch if isinstance(style, str) else list(style)
        unknown = [n for n in names if n not in self.styles]
        if unknown or len(names) != batch:
            raise ValueError(
                f"style must be one of {self.styles} (or a list of {batch} of them), got {style!r}"
            )
        return torch.tensor([self.styles.index(n) for n in names])

    def encode(self, photo: torch.Tensor) -> torch.Tensor:
        """The photo's features ``c`` (B, 4w, H/4, W/4); the photo is checked first."""
        return self.encoder(check_image_batch(photo, "photo"))

    def transform(self, c: torch.Tensor, style) -> torch.Tensor:
        """The painted features ``t_s = c + body_s(c)`` for a style name or list of names."""
        index = style if isinstance(style, torch.Tensor) else self.style_index(style, len(c))
        t = c
        for block in self.body:
            t = block(t, index.to(c.device))
        return t

    @staticmethod
    def mix(c: torch.Tensor, t: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
        """``alpha t + (1 - alpha) c``: 0 = the photo's features, 1 = fully painted."""
        if not 0.0 <= float(alpha) <= 1.0:
            raise ValueError(f"alpha (style strength) must be in [0, 1], got {alpha}")
        return alpha * t + (1 - alpha) * c

    def decode(self, features: torch.Tensor) -> torch.Tensor:
        return self.decoder(features)

    def forward(self, photo: torch.Tensor, style="brush", alpha: float = 1.0) -> torch.Tensor:
        c = self.encode(photo)
        return self.decode(self.mix(c, self.transform(c, style), alpha))

    paint = forward
