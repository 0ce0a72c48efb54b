"""pix2pix (Isola et al., 2017): paired image-to-image translation with a conditional GAN.

Derived in lesson 09.

- **Generator**: a U-Net. An encoder halves the size ``depth`` times, a decoder doubles it back, and
  each decoder level also gets the encoder's features of the same size (*skip connections*), so
  the fine layout of the input reaches the output directly: only the *look* has to be learned.
- **Discriminator**: a PatchGAN. It sees (input, output) stacked as 6 channels and outputs a grid of
  logits, one per overlapping patch (receptive field ~ 22 px here): "is this patch a real painting
  of this photo?". It judges texture; L1 takes care of the low frequencies.
- **Losses** (``x`` input, ``y`` target, ``D`` logits)::

      L_D = BCE(D(x, y), 1) + BCE(D(x, G(x)), 0)
      L_G = BCE(D(x, G(x)), 1) + lambda * |G(x) - y|_1          (lambda = 100 in the paper)

U-Net for 64 x 64, ``width = w``, ``depth = 4``::

    x (B, 3, 64, 64)
    down1 conv4 s2            -> (B, w, 32, 32)
    down2 conv4 s2 + IN       -> (B, 2w, 16, 16)
    down3 conv4 s2 + IN       -> (B, 4w, 8, 8)
    down4 conv4 s2            -> (B, 4w, 4, 4)       bottleneck
    up4   convT4 s2 + IN      -> (B, 4w, 8, 8)   cat down3 -> (B, 8w, 8, 8)
    up3   convT4 s2 + IN      -> (B, 2w, 16, 16) cat down2 -> (B, 4w, 16, 16)
    up2   convT4 s2 + IN      -> (B, w, 32, 32)  cat down1 -> (B, 2w, 32, 32)
    up1   convT4 s2, tanh     -> (B, 3, 64, 64)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _down(cin, cout, norm=True):
    layers = [nn.Conv2d(cin, cout, 4, 2, 1, bias=not norm)]
    if norm:
        layers.append(nn.InstanceNorm2d(cout, affine=True))
    return nn.Sequential(*layers, nn.LeakyReLU(0.2, True))


def _upsampling_conv(cin, cout, upsample: str, bias: bool) -> list[nn.Module]:
    """Double the size: a transposed conv 4x4 stride 2 ("transpose"), or nearest-neighbour x2
    then a conv 3x3 ("resize", Odena et al. 2016: no checkerboard pattern, because every output
    pixel sees the same number of input pixels)."""
    if upsample == "transpose":
        return [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=bias)]
    return [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(cin, cout, 3, 1, 1, bias=bias)]


def _up(cin, cout, upsample):
    return nn.Sequential(
        *_upsampling_conv(cin, cout, upsample, bias=False),
        nn.InstanceNorm2d(cout, affine=True),
        nn.ReLU(True),
    )


class UNetGenerator(nn.Module):
    """U-Net ``G: (B, 3, H, W) -> (B, 3, H, W)`` in [-1, 1].

    H and W must be multiples of 2**depth. ``upsample``: how the decoder doubles the size,
    "transpose" (transposed convs, the paper's) or "resize" (nearest x2 + conv 3x3).
    """

    def __init__(self, width: int = 32, depth: int = 4, upsample: str = "transpose"):
        super().__init__()
        if not isinstance(depth, int) or depth < 2:
            raise ValueError(f"UNetGenerator: depth must be an int >= 2, got {depth!r}")
        if upsample not in ("transpose", "resize"):
            raise ValueError(
                f"UNetGenerator: upsample must be 'transpose' or 'resize', got {upsample!r}"
            )
        self.config = {"width": width, "depth": depth}
        if upsample != "transpose":  # the default stays out of the config: old cards load as-is
            self.config["upsample"] = upsample
        self.depth = depth
        chans = [min(width * 2**i, 4 * width) for i in range(depth)]  # w, 2w, 4w, 4w, ...
        self.downs = nn.ModuleList(
            [_down(3, chans[0], norm=False)]
            + [_down(chans[i - 1], chans[i], norm=0 < i < depth - 1) for i in range(1, depth)]
        )
        ups = []
        for i in range(depth - 1, 0, -1):  # decoder level i: from level i (+ skip) to level i - 1
            cin = chans[i] if i == depth - 1 else 2 * chans[i]
            ups.append(_up(cin, chans[i - 1], upsample))
        self.ups = nn.ModuleList(ups)
        conv_out = _upsampling_conv(2 * chans[0], 3, upsample, bias=True)
        self.out = conv_out[0] if upsample == "transpose" else nn.Sequential(*conv_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(
                f"UNetGenerator expects images (B, 3, H, W) in [-1, 1], got {tuple(x.shape)}"
            )
        m = 2**self.depth
        if x.shape[-1] % m or x.shape[-2] % m:
            raise ValueError(
                f"UNetGenerator(depth={self.depth}) needs H and W divisible by {m}, got "
                f"{tuple(x.shape[-2:])}; pad or resize the image"
            )
        skips, h = [], x
        for down in self.downs:
            h = down(h)
            skips.append(h)
        h = skips.pop()  # bottleneck (B, C, H/2^depth, W/2^depth)
        for up in self.ups:
            h = torch.cat([up(h), skips.pop()], 1)  # (B, 2C', 2H', 2W'): decoder + encoder features
        return torch.tanh(self.out(h))  # (B, 3, H, W)


class PatchDiscriminator(nn.Module):
    """PatchGAN on (input, output) pairs: (B, 3 + 3, H, W) -> logits (B, 1, H/4 - 2, W/4 - 2).

    ``conditional=False`` judges the output alone (3 channels), as CycleGAN does.
    """

    def __init__(self, width: int = 32, conditional: bool = True):
        super().__init__()
        self.config = {"width": width, "conditional": conditional}
        self.conditional = conditional
        cin = 6 if conditional else 3
        self.net = nn.Sequential(
            nn.Conv2d(cin, width, 4, 2, 1),
            nn.LeakyReLU(0.2, True),  # (B, w, H/2)
            nn.Conv2d(width, 2 * width, 4, 2, 1),
            nn.InstanceNorm2d(2 * width, affine=True),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(2 * width, 4 * width, 3, 1, 1),
            nn.InstanceNorm2d(4 * width, affine=True),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(4 * width, 1, 3, 1, 0),  # (B, 1, H/4-2)
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.conditional:
            if y is None:
                raise ValueError("this PatchDiscriminator is conditional: call D(input, output)")
            x = torch.cat([x, y], 1)  # (B, 6, H, W)
        return self.net(x)


def discriminator_loss(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """``BCE(D(x, y), 1) + BCE(D(x, G(x)), 0)``, averaged over patches (logits in, any shape)."""
    return F.binary_cross_entropy_with_logits(
        d_real, torch.ones_like(d_real)
    ) + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))


def generator_loss(
    d_fake: torch.Tensor,
    fake: torch.Tensor,
    target: torch.Tensor,
    l1_weight: float = 100.0,
    adv_weight: float = 1.0,
) -> tuple[torch.Tensor, dict]:
    """pix2pix generator loss ``adv_weight BCE(D(x, G(x)), 1) + l1_weight |G(x) - y|_1``.

    ``adv_weight = 0`` is "L1 only", ``l1_weight = 0`` "adversarial only" (lesson 09's ablation).
    Returns (loss, terms).
    """
    if fake.shape != target.shape:
        raise ValueError(
            f"fake {tuple(fake.shape)} and target {tuple(target.shape)} must have the same shape"
        )
    adv = F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))
    l1 = F.l1_loss(fake, target)
    return adv_weight * adv + l1_weight * l1, {"adv": adv.item(), "l1": l1.item()}


def train_step(
    G,
    D,
    opt_g,
    opt_d,
    x: torch.Tensor,
    y: torch.Tensor,
    l1_weight: float = 100.0,
    adv_weight: float = 1.0,
) -> dict:
    """One pix2pix step on a batch of pairs (x photo, y painting): D first, then G.

    D is trained even when ``adv_weight = 0``: its loss then shows whether it can tell G's
    outputs from the paintings, though G does not listen to it."""
    fake = G(x)
    d_loss = discriminator_loss(D(x, y), D(x, fake.detach()))
    opt_d.zero_grad(set_to_none=True)
    d_loss.backward()
    opt_d.step()
    for p in D.parameters():
        p.requires_grad_(False)
    g_loss, terms = generator_loss(D(x, fake), fake, y, l1_weight, adv_weight)
    opt_g.zero_grad(set_to_none=True)
    g_loss.backward()
    opt_g.step()
    for p in D.parameters():
        p.requires_grad_(True)
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item(), **terms}
