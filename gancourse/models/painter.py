"""The feed-forward painter: one network that paints a photo in any of the five styles, in one pass.

Derived in lesson 08, after optimisation-based style transfer: optimising the pixels of one image
takes hundreds of steps; a network trained once on many images does the same in one forward pass
(Johnson et al. 2016, "perceptual losses"; one network for several styles by conditional instance
normalisation, Dumoulin et al. 2017). Trained by the zoo recipe ``painter``.

Architecture for width ``w`` and an image (B, 3, H, W), H and W multiples of 4::

    encoder   conv 3x3                      -> (B, w, H, W)
              conv 3x3 s2                   -> (B, 2w, H/2, W/2)
              conv 3x3 s2                   -> (B, 4w, H/4, W/4)     the photo's features
              + the photo folded 4x4 into channels (pixel_unshuffle)
                                            -> (B, 4w + 48, H/4, W/4)   c
    canvas    the style's canvas K_s (k, 64, 64), resized to (H/4, W/4), conv 1x1
                                            -> (B, 4w, H/4, W/4)     where the strokes lie
    style     n residual blocks with conditional instance norm (a gamma, beta per style), on
              the 4w feature channels; the folded pixels pass as they are
                                            -> (B, 4w + 48, H/4, W/4)   t_s = body_s(c + K_s)
    mix       alpha t_s + (1 - alpha) c     -> (B, 4w + 48, H/4, W/4)   alpha = style strength
    decoder   conv 3x3, x2 up, conv 3x3, x2 up, conv 3x3 on the features
              + conv 3x3 of the photo unfolded (pixel_shuffle): the skip
                                            -> (B, w, H, W)
              + alpha * conv 1x1 of the style's fine canvas F_s (f, 256, 256), resized to (H, W)
    head      conv 3x3, ReLU, conv 3x3, tanh -> (B, 3, H, W)

The skip hands the decoder the photo at full resolution, as a U-Net's skips do (lesson 09): the
features at a quarter of the size say what to paint, the pixels where each edge and colour lies, so
a dot takes the colour under it and an outline follows the edge. The decoder draws both the photo
(from ``c``; trained to reconstruct it) and the painting (from ``t_s``), so alpha blends
*features*, as AdaIN's strength does: moving a strength slider reruns only the decoder, while
``c`` and ``t_s`` are cached. Conditional instance norm:

    CIN(x, s) = gamma_s * (x - mean(x)) / std(x) + beta_s     (mean, std per channel, over space)

**The canvas.** The paint filter drops its cells, dots and pencil lines at places drawn from its
random seed, not from the photo. A network cannot predict random places from the photo; trained
with a pixel loss it would learn their average, a blur (lesson 03). So each style owns a learned
*canvas* that holds the stroke layout, like StyleGAN's learned constant input: a coarse one
``K_s`` (k, 64, 64) that enters before the style blocks (cells, large strokes) and a fine one
``F_s`` (f, 256, 256) that enters before the last decoder layer, weighted by alpha (dots, pencil
lines, a pixel wide). The recipe trains on paintings that all share one layout per style (one
seed), and the canvases learn it. The photo decides the colours and shapes; the canvases decide
where the strokes go. At other image sizes they are resized with the image, so strokes scale.

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


def _place(canvas: torch.Tensor, index: torch.Tensor, size, at) -> torch.Tensor:
    """The canvases of styles ``index`` (B, k, h, w) for a map of ``size``: crops at ``at`` (one
    (row, column) per sample) or, without ``at``, the whole canvas resized to ``size``."""
    picked = canvas[index]
    if at is not None:
        h, w = size
        return torch.stack([k[:, r : r + h, q : q + w] for k, (r, q) in zip(picked, at)])
    if picked.shape[-2:] != tuple(size):
        picked = F.interpolate(picked, size=tuple(size), mode="bilinear", align_corners=False)
    return picked


class Painter(nn.Module):
    """``painter(photo, "brush", alpha)``: the photo (B, 3, H, W) in [-1, 1] painted in a style.

    ``encode`` -> ``transform`` -> ``decode`` are the three stages; :meth:`mix` blends the
    photo's features with the painted ones (alpha = style strength).
    """

    def __init__(
        self,
        styles=STYLE_NAMES,
        width: int = 16,
        blocks: int = 5,
        canvas: int = 8,
        fine_canvas: int = 4,
    ):
        super().__init__()
        styles = tuple(styles)
        if not styles or len(set(styles)) != len(styles):
            raise ValueError(f"styles must be distinct names, got {styles}")
        self.styles = styles
        self.config = {
            "styles": list(styles),
            "width": width,
            "blocks": blocks,
            "canvas": canvas,
            "fine_canvas": fine_canvas,
        }
        w = width
        self.encoder = nn.Sequential(
            _conv(3, w),
            nn.ReLU(True),  # (B, w, H, W)
            _conv(w, 2 * w, 2),
            nn.ReLU(True),  # (B, 2w, H/2, W/2)
            _conv(2 * w, 4 * w, 2),
            nn.ReLU(True),  # (B, 4w, H/4, W/4)
        )
        g = torch.Generator().manual_seed(0)
        self.canvas = nn.Parameter(0.5 * torch.randn(len(styles), canvas, 64, 64, generator=g))
        self.canvas_in = nn.Conv2d(canvas, 4 * w, 1)  # (B, k, H/4, W/4) -> (B, 4w, H/4, W/4)
        fine = 0.5 * torch.randn(len(styles), fine_canvas, 256, 256, generator=g)
        self.fine_canvas = nn.Parameter(fine)
        self.fine_in = nn.Conv2d(fine_canvas, w, 1)  # (B, f, H, W) -> (B, w, H, W)
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
        )
        self.skip = nn.Sequential(_conv(3, w), nn.ReLU(True))  # (B, 3, H, W) -> (B, w, H, W)
        self.head = nn.Sequential(
            _conv(w, w),
            nn.ReLU(True),  # (B, w, H, W): gates the canvas by the photo (dot here, paper there)
            _conv(w, 3),
            nn.Tanh(),  # (B, 3, H, W)
        )

    def style_index(self, style, batch: int) -> torch.Tensor:
        """A style name (or a list of names, one per image) -> indices (B,); indices pass as is."""
        if isinstance(style, torch.Tensor):
            return style
        names = [style] * batch if isinstance(style, str) else list(style)
        unknown = [n for n in names if n not in self.styles]
        if unknown or len(names) != batch:
            raise ValueError(
                f"style must be one of {self.styles} (or a list of {batch} of them), got {style!r}"
            )
        return torch.tensor([self.styles.index(n) for n in names])

    def encode(self, photo: torch.Tensor) -> torch.Tensor:
        """``c`` (B, 4w + 48, H/4, W/4): the photo's features and its pixels folded 4x4 into
        channels; the photo is checked first."""
        photo = check_image_batch(photo, "photo")
        return torch.cat([self.encoder(photo), F.pixel_unshuffle(photo, 4)], 1)

    def split(self, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``c`` -> (features (B, 4w, H/4, W/4), folded pixels (B, 48, H/4, W/4))."""
        n = 4 * self.config["width"]
        return c[:, :n], c[:, n:]

    def draw(self, features: torch.Tensor) -> torch.Tensor:
        """The decoder's full-size features (B, w, H, W): the decoded features plus the skip."""
        feat, pixels = self.split(features)
        return self.decoder(feat) + self.skip(F.pixel_shuffle(pixels, 4))

    def transform(self, c: torch.Tensor, style, at=None) -> torch.Tensor:
        """The painted features ``t_s = body_s(c + K_s)`` for a style name or list of names.

        ``at``: for training on crops, each crop's (row, column) in the canvas, in feature pixels
        (a crop at pixel (y, x) of a 256-px painting is at (y / 4, x / 4)); None = whole canvas.
        """
        index = self.style_index(style, len(c)).to(c.device)
        t, pixels = self.split(c)
        t = t + self.canvas_in(_place(self.canvas, index, c.shape[-2:], at))  # (B, 4w, H/4, W/4)
        for block in self.body:
            t = block(t, index)
        return torch.cat([t, pixels], 1)  # (B, 4w + 48, H/4, W/4)

    @staticmethod
    def mix(c: torch.Tensor, t: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
        """``alpha t + (1 - alpha) c``: 0 = the photo's features, 1 = fully painted."""
        if not 0.0 <= float(alpha) <= 1.0:
            raise ValueError(f"alpha (style strength) must be in [0, 1], got {alpha}")
        return alpha * t + (1 - alpha) * c

    def decode(self, features: torch.Tensor, style=None, alpha: float = 1.0, at=None):
        """Pixels (B, 3, H, W) from features; with a ``style``, its fine canvas is added before
        the last layer with weight ``alpha`` (``at``: as in :meth:`transform`)."""
        x = self.draw(features)  # (B, w, H, W)
        if style is not None and alpha > 0:
            index = self.style_index(style, len(x)).to(x.device)
            at = None if at is None else [(4 * r, 4 * q) for r, q in at]
            x = x + alpha * self.fine_in(_place(self.fine_canvas, index, x.shape[-2:], at))
        return self.head(x)

    def forward(self, photo: torch.Tensor, style="brush", alpha: float = 1.0) -> torch.Tensor:
        c = self.encode(photo)
        return self.decode(self.mix(c, self.transform(c, style), alpha), style, alpha)

    paint = forward
