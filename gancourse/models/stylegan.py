"""A small style-based generator (StyleGAN, Karras et al. 2019; modulated convs of StyleGAN2, 2020).

Derived in lesson 08 (mapping network, modulation, style mixing by layer).

Three ideas separate it from a DCGAN generator:

1. **Mapping network** ``f: z -> w``, an MLP. ``z ~ N(0, I)`` must fill a round ball; ``w`` need
   not, so ``w`` space can "unfold" the data's factors (more linear, more disentangled).
2. **Styles per layer.** The synthesis network starts from a *learned constant* (no z input) and
   every conv layer ``i`` gets its own copy ``w_i`` of w through an affine map ``s_i = A_i w_i``
   (one scale per input channel). The scale **modulates** the conv weights, then each output
   channel is **demodulated** back to unit variance::

       w'_{oik} = s_i * w_{oik}                       (modulate)
       w''_{oik} = w'_{oik} / sqrt(sum_{i,k} w'_{oik}^2 + eps)   (demodulate)

   which equals AdaIN's "normalise, then re-scale by the style" without touching activations.
   (Here computed the cheap, equivalent way: scale the input channels by ``s``, convolve with the
   shared weight, multiply each output channel by the demodulation factor.)
3. **Per-layer styles make mixing possible.** ``ws`` has shape (B, num_layers, w_dim); feeding
   ``w_A`` to the early (coarse, low-resolution) layers and ``w_B`` to the late (fine) ones gives an
   image with A's layout (pose, hair shape, glasses) and B's colours. Training with random mixes
   (*mixing regularisation*) teaches the layers to act locally.

**Truncation** pulls w towards the mean ``w_avg``: ``w' = w_avg + psi (w - w_avg)`` (psi < 1 trades
variety for typicality).

Layers for ``image_size = 32`` (``layer`` = index into ``ws``)::

    const (1, C4, 4, 4) -> layer 0 conv 3x3                        (B, C4, 4, 4)
    upsample x2         -> layer 1 conv, layer 2 conv              (B, C8, 8, 8)
    upsample x2         -> layer 3 conv, layer 4 conv              (B, C16, 16, 16)
    upsample x2         -> layer 5 conv, layer 6 conv, toRGB(w_6)  (B, 3, 32, 32)

Each conv: modulated 3x3 conv, optional per-pixel noise ``+ strength * N(0, 1)``, bias,
LeakyReLU(0.2).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def _check_int(who: str, **values) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{who}: {name} must be a positive int, got {value!r}")


class MappingNetwork(nn.Module):
    """``w = MLP(z / rms(z))``: pixel-normalised z, ``depth`` linear layers with LeakyReLU(0.2)."""

    def __init__(self, z_dim: int = 64, w_dim: int = 64, depth: int = 4):
        super().__init__()
        layers, d = [], z_dim
        for _ in range(depth):
            layers += [nn.Linear(d, w_dim), nn.LeakyReLU(0.2)]
            d = w_dim
        self.net = nn.Sequential(*layers)
        # He init for LeakyReLU(0.2): Var(w) = 2 / ((1 + 0.2^2) fan_in) keeps the signal's scale
        # through all the layers. PyTorch's default Linear init shrinks it ~3x per layer, so after 4
        # layers every z maps to nearly the same w, and the generator collapses to one face.
        for m in self.net:
            if isinstance(m, nn.Linear):
                nn.init.kaiming_normal_(m.weight, a=0.2, nonlinearity="leaky_relu")
                nn.init.zeros_(m.bias)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = z * torch.rsqrt(z.pow(2).mean(1, keepdim=True) + 1e-8)  # pixel norm: (B, z_dim)
        return self.net(z)  # (B, w_dim)


class ModulatedConv(nn.Module):
    """3x3 conv with weights scaled per input channel by the style ``A w``, then demodulated."""

    def __init__(self, cin: int, cout: int, w_dim: int, demodulate: bool = True, kernel: int = 3):
        super().__init__()
        self.weight = nn.Parameter(
            torch.randn(cout, cin, kernel, kernel) / math.sqrt(cin * kernel * kernel)
        )
        self.affine = nn.Linear(w_dim, cin)
        nn.init.normal_(
            self.affine.weight, std=1.0 / math.sqrt(w_dim)
        )  # styles vary with w from the start
        nn.init.ones_(self.affine.bias)  # ... around "scale 1": an ordinary conv
        self.demodulate, self.padding = demodulate, kernel // 2

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        s = self.affine(w)  # (B, cin)
        out = F.conv2d(
            x * s[:, :, None, None], self.weight, padding=self.padding
        )  # (B, cout, H, W)
        if self.demodulate:
            # sqrt(sum_{i,k} (s_i w_oik)^2): the output std of channel o for unit-variance inputs
            d = torch.rsqrt(
                (s[:, None, :] ** 2 * self.weight.pow(2).sum((2, 3))[None]).sum(2) + 1e-8
            )  # (B, cout)
            out = out * d[:, :, None, None]
        return out


class StyleLayer(nn.Module):
    """Modulated conv + per-pixel noise (learned strength) + bias + LeakyReLU(0.2)."""

    def __init__(self, cin: int, cout: int, w_dim: int, noise: bool = True):
        super().__init__()
        self.conv = ModulatedConv(cin, cout, w_dim)
        self.noise_strength = nn.Parameter(torch.zeros(())) if noise else None
        self.bias = nn.Parameter(torch.zeros(cout))

    def forward(self, x, w, noise: torch.Tensor | None = None):
        x = self.conv(x, w)
        if self.noise_strength is not None:
            if noise is None:
                noise = torch.randn(
                    x.shape[0], 1, x.shape[2], x.shape[3], device=x.device, dtype=x.dtype
                )
            x = x + self.noise_strength * noise
        return F.leaky_relu(x + self.bias[None, :, None, None], 0.2)


class StyleGenerator(nn.Module):
    """Style-based generator ``G(z) -> (B, 3, S, S)`` in [-1, 1]; also ``G.synthesis(ws)``.

    ``channels`` lists the width at 4x4, 8x8, ... up to ``image_size`` (one entry per resolution).
    """

    def __init__(
        self,
        z_dim: int = 64,
        w_dim: int = 64,
        image_size: int = 32,
        channels=(128, 128, 64, 32),
        mapping_depth: int = 4,
        noise: bool = True,
    ):
        super().__init__()
        _check_int(
            "StyleGenerator",
            z_dim=z_dim,
            w_dim=w_dim,
            image_size=image_size,
            mapping_depth=mapping_depth,
        )
        if image_size < 8 or image_size & (image_size - 1):
            raise ValueError(
                f"StyleGenerator: image_size must be a power of two >= 8, got {image_size}"
            )
        resolutions = int(math.log2(image_size)) - 1  # 4, 8, ..., image_size
        channels = list(channels)
        if len(channels) != resolutions:
            raise ValueError(
                f"StyleGenerator: channels needs one width per resolution 4..{image_size} "
                f"({resolutions} numbers), got {channels}"
            )
        self.config = {
            "z_dim": z_dim,
            "w_dim": w_dim,
            "image_size": image_size,
            "channels": channels,
            "mapping_depth": mapping_depth,
            "noise": noise,
        }
        self.z_dim, self.w_dim, self.image_size = z_dim, w_dim, image_size
        self.mapping = MappingNetwork(z_dim, w_dim, mapping_depth)
        self.const = nn.Parameter(torch.randn(1, channels[0], 4, 4))  # (1, C4, 4, 4)
        layers = [StyleLayer(channels[0], channels[0], w_dim, noise)]
        self.layer_resolution = [4]
        for r in range(1, resolutions):
            layers += [
                StyleLayer(channels[r - 1], channels[r], w_dim, noise),
                StyleLayer(channels[r], channels[r], w_dim, noise),
            ]
            self.layer_resolution += [4 * 2**r] * 2
        self.layers = nn.ModuleList(layers)
        self.to_rgb = ModulatedConv(channels[-1], 3, w_dim, demodulate=False, kernel=1)
        self.rgb_bias = nn.Parameter(torch.zeros(3))
        self.num_layers = len(layers)
        self.register_buffer("w_avg", torch.zeros(w_dim))  # running mean of w, for truncation

    # ---- w space -----------------------------------------------------------------------------
    def _check_z(self, z: torch.Tensor) -> torch.Tensor:
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != self.z_dim:
            got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"StyleGenerator expects z of shape (B, {self.z_dim}), got {got}")
        return z

    def map(self, z: torch.Tensor, psi: float = 1.0) -> torch.Tensor:
        """w (B, w_dim) for z, truncated: ``w_avg + psi (w - w_avg)``."""
        w = self.mapping(self._check_z(z))
        if not 0.0 <= float(psi) <= 1.5:
            raise ValueError(f"psi must be in [0, 1.5] (1 = no truncation), got {psi}")
        return w if psi == 1.0 else self.w_avg + psi * (w - self.w_avg)  # editing.truncate in w

    def broadcast(self, w: torch.Tensor) -> torch.Tensor:
        """(B, w_dim) -> ws (B, num_layers, w_dim): the same style for every layer."""
        return w[:, None, :].expand(-1, self.num_layers, -1)

    @torch.no_grad()
    def update_w_avg(self, n: int = 4096, seed: int = 0) -> torch.Tensor:
        """Set ``w_avg`` to the mean of ``n`` mapped random z (done after training)."""
        g = torch.Generator().manual_seed(seed)
        z = torch.randn(n, self.z_dim, generator=g).to(self.const.device)
        self.w_avg.copy_(self.mapping(z).mean(0))
        return self.w_avg

    # ---- synthesis ---------------------------------------------------------------------------
    def synthesis(self, ws: torch.Tensor, noise_seed: int | None = None) -> torch.Tensor:
        """ws (B, num_layers, w_dim) -> images (B, 3, S, S). ``noise_seed`` fixes the noise maps."""
        if ws.dim() != 3 or ws.shape[1:] != (self.num_layers, self.w_dim):
            raise ValueError(
                f"ws must have shape (B, {self.num_layers}, {self.w_dim}), got {tuple(ws.shape)}"
            )
        g = None if noise_seed is None else torch.Generator().manual_seed(noise_seed)
        x = self.const.expand(ws.shape[0], -1, -1, -1)  # (B, C4, 4, 4)
        for i, layer in enumerate(self.layers):
            if x.shape[-1] < self.layer_resolution[i]:
                x = F.interpolate(
                    x, scale_factor=2, mode="bilinear", align_corners=False
                )  # (B, C, 2H, 2W)
            noise = None
            if g is not None:
                noise = torch.randn(x.shape[0], 1, x.shape[2], x.shape[3], generator=g).to(x.device)
            x = layer(x, ws[:, i], noise)
        rgb = self.to_rgb(x, ws[:, -1]) + self.rgb_bias[None, :, None, None]  # (B, 3, S, S)
        return torch.tanh(rgb)

    def forward(
        self, z: torch.Tensor, psi: float = 1.0, noise_seed: int | None = None
    ) -> torch.Tensor:
        return self.synthesis(self.broadcast(self.map(z, psi)), noise_seed)

    def layer_ranges(self) -> dict[str, range]:
        """Named layer ranges: coarse (4-8 px), middle (16 px), fine (32 px and up)."""
        res = self.layer_resolution
        coarse = [i for i, r in enumerate(res) if r <= 8]
        middle = [i for i, r in enumerate(res) if r == 16]
        fine = [i for i, r in enumerate(res) if r > 16]
        return {
            "coarse": range(coarse[0], coarse[-1] + 1),
            "middle": range(middle[0], middle[-1] + 1) if middle else range(0),
            "fine": range(fine[0], fine[-1] + 1) if fine else range(0),
        }


def mix_styles(w_a: torch.Tensor, w_b: torch.Tensor, layers, num_layers: int) -> torch.Tensor:
    """ws (B, num_layers, w_dim) that take ``w_b`` in ``layers`` and ``w_a`` elsewhere.

    ``layers`` is a range/list of indices.

    ``mix_styles(wA, wB, range(3, 7), 7)``: A's coarse styles (layers 0-2), B's finer ones.
    """
    if w_a.shape != w_b.shape or w_a.dim() != 2:
        raise ValueError(
            f"w_a and w_b must both be (B, w_dim), got {tuple(w_a.shape)} and {tuple(w_b.shape)}"
        )
    layers = list(layers)
    bad = [i for i in layers if not 0 <= i < num_layers]
    if bad:
        raise ValueError(f"layer indices must be in 0..{num_layers - 1}, got {bad}")
    take_b = torch.zeros(num_layers, dtype=torch.bool, device=w_a.device)
    take_b[layers] = True
    return torch.where(take_b[None, :, None], w_b[:, None, :], w_a[:, None, :])  # (B, L, w_dim)


def style_mix(
    G: StyleGenerator,
    z_a: torch.Tensor,
    z_b: torch.Tensor,
    crossover: int,
    psi: float = 1.0,
    noise_seed: int | None = 0,
) -> torch.Tensor:
    """Mix two latents' styles at layer ``crossover``.

    Images with A's styles in layers ``< crossover`` (coarse) and B's from ``crossover`` on (fine).
    """
    if not 0 <= crossover <= G.num_layers:
        raise ValueError(f"crossover must be in 0..{G.num_layers}, got {crossover}")
    ws = mix_styles(G.map(z_a, psi), G.map(z_b, psi), range(crossover, G.num_layers), G.num_layers)
    return G.synthesis(ws, noise_seed)


class StyleDiscriminator(nn.Module):
    """A plain conv discriminator for the style generator (no normalisation; use with R1).

    (B, 3, S, S) -> conv s1 (B, c, S, S) -> [conv s2, doubling channels up to 4c] until 4x4
    -> flatten, linear -> logit (B,).
    """

    def __init__(self, image_size: int = 32, width: int = 32):
        super().__init__()
        _check_int("StyleDiscriminator", image_size=image_size, width=width)
        self.config = {"image_size": image_size, "width": width}
        layers, c, size = [nn.Conv2d(3, width, 3, 1, 1), nn.LeakyReLU(0.2)], width, image_size
        while size > 4:
            cout = min(2 * c, 4 * width)
            layers += [nn.Conv2d(c, cout, 4, 2, 1), nn.LeakyReLU(0.2)]  # (B, cout, size/2, size/2)
            c, size = cout, size // 2
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(c * 16, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x).flatten(1)).flatten()  # (B,)
