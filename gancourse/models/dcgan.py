"""DCGAN generator and discriminator (Radford et al., 2016) for any power-of-two image size >= 16.

Architecture for ``image_size = 2**k`` (``n = k - 2`` doublings from 4x4), ``w = width``::

    Generator                                   Discriminator
    z (B, z_dim, 1, 1)                          x (B, C, S, S)
    ConvT 4x4 s1 -> (B, w*2^(k-3), 4, 4)        Conv 4x4 s2 -> (B, w, S/2, S/2)       no BN
    ConvT 4x4 s2 -> (B, w*2^(k-4), 8, 8)        Conv 4x4 s2 -> (B, 2w, S/4, S/4)
    ...  (channels halve, size doubles)         ...  (channels double, size halves)
    ConvT 4x4 s2 -> (B, w, S/2, S/2)            ... -> (B, w*2^(k-3), 4, 4)
    ConvT 4x4 s2 -> (B, C, S, S), tanh          Conv 4x4 s1 -> (B, 1, 1, 1) -> logit (B,)

Example, ``image_size=64, width=64`` (the PyTorch DCGAN example): G goes
(B, 512, 4, 4) -> (B, 256, 8, 8) -> (B, 128, 16, 16) -> (B, 64, 32, 32) -> (B, 3, 64, 64).

- BatchNorm + ReLU in G, BatchNorm + LeakyReLU(0.2) in D (none on D's first layer);
- DCGAN init: conv weights ~ N(0, 0.02), BatchNorm weights ~ N(1, 0.02), biases 0;
- ``spectral_norm=True`` wraps every D conv in spectral normalisation (and drops D's BatchNorm,
  as in SN-GAN, unless ``batch_norm=True`` is asked for).

``model.config`` holds the constructor arguments: ``type(model)(**model.config)`` rebuilds it.
``model.shapes(batch)`` lists the output shape of every block (used in lesson 04).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _sn


def _check_size(image_size: int, who: str) -> int:
    if not isinstance(image_size, int) or image_size < 16 or image_size & (image_size - 1):
        raise ValueError(
            f"{who}: image_size must be a power of two >= 16 (16, 32, 64, 128, ...), "
            f"got {image_size!r}. "
            "Resize your images (e.g. torchvision.transforms.v2.Resize) to such a size."
        )
    return image_size.bit_length() - 1  # k with image_size == 2**k


def _check_positive(who: str, **values) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{who}: {name} must be a positive int, got {value!r}")


def dcgan_init(module: nn.Module) -> None:
    """DCGAN weight init: conv ~ N(0, 0.02), BatchNorm weight ~ N(1, 0.02), all biases 0."""
    if isinstance(module, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def block_shapes(model: nn.Module, x: torch.Tensor) -> list[tuple[int, ...]]:
    """The output shape of each of ``model.blocks`` on ``x`` (eval mode, no gradients)."""
    out = []
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for block in model.blocks:
            x = block(x)
            out.append(tuple(x.shape))
    model.train(was_training)
    return out


class Generator(nn.Module):
    """DCGAN generator.

    ``G: z (B, z_dim) -> images (B, channels, image_size, image_size)`` in [-1, 1].
    """

    def __init__(self, z_dim: int = 64, image_size: int = 32, channels: int = 3, width: int = 64):
        super().__init__()
        _check_positive("Generator", z_dim=z_dim, channels=channels, width=width)
        k = _check_size(image_size, "Generator")
        self.config = {
            "z_dim": z_dim,
            "image_size": image_size,
            "channels": channels,
            "width": width,
        }
        self.z_dim, self.image_size, self.channels = z_dim, image_size, channels

        c = width * 2 ** (k - 3)  # channels at 4x4, e.g. 512 for 64 px with width 64
        blocks = [
            nn.Sequential(  # project: (B, z_dim, 1, 1) -> (B, c, 4, 4)
                nn.ConvTranspose2d(z_dim, c, 4, 1, 0, bias=False), nn.BatchNorm2d(c), nn.ReLU(True)
            )
        ]
        for _ in range(k - 3):  # each: (B, c, s, s) -> (B, c/2, 2s, 2s), until (B, width, S/2, S/2)
            blocks.append(
                nn.Sequential(
                    nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False),
                    nn.BatchNorm2d(c // 2),
                    nn.ReLU(True),
                )
            )
            c //= 2
        blocks.append(  # to image: (B, width, S/2, S/2) -> (B, channels, S, S) in [-1, 1]
            nn.Sequential(nn.ConvTranspose2d(c, channels, 4, 2, 1, bias=False), nn.Tanh())
        )
        self.blocks = nn.Sequential(*blocks)
        self.apply(dcgan_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if not isinstance(z, torch.Tensor):
            raise TypeError(
                f"Generator expects a latent tensor (B, {self.z_dim}), got {type(z).__name__}"
            )
        if z.dim() == 4 and z.shape[2:] == (1, 1):
            z = z.flatten(1)
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(
                f"Generator expects a latent z of shape (B, {self.z_dim}) "
                f"(or (B, {self.z_dim}, 1, 1)), "
                f"got {tuple(z.shape)}. This generator was built with z_dim={self.z_dim}: "
                f"use torch.randn(batch, {self.z_dim})."
            )
        return self.blocks(z[:, :, None, None])  # (B, channels, S, S)

    def shapes(self, batch: int = 1) -> list[tuple[int, ...]]:
        """Output shape of every block.

        E.g. [(1, 256, 4, 4), (1, 128, 8, 8), ..., (1, 3, 32, 32)].
        """
        x = torch.zeros(batch, self.z_dim, 1, 1, device=next(self.parameters()).device)
        return block_shapes(self, x)


class Discriminator(nn.Module):
    """DCGAN discriminator ``D: images (B, channels, S, S) in [-1, 1] -> logits (B,)``."""

    def __init__(
        self,
        image_size: int = 32,
        channels: int = 3,
        width: int = 64,
        spectral_norm: bool = False,
        batch_norm: bool | None = None,
    ):
        super().__init__()
        _check_positive("Discriminator", channels=channels, width=width)
        k = _check_size(image_size, "Discriminator")
        if batch_norm is None:
            batch_norm = not spectral_norm
        self.config = {
            "image_size": image_size,
            "channels": channels,
            "width": width,
            "spectral_norm": bool(spectral_norm),
            "batch_norm": bool(batch_norm),
        }
        self.image_size, self.channels = image_size, channels
        wrap = _sn if spectral_norm else (lambda m: m)

        def conv(cin, cout, stride, padding):
            layer = nn.Conv2d(cin, cout, 4, stride, padding, bias=False)
            dcgan_init(layer)  # init before spectral norm wraps the weight
            return wrap(layer)

        c = width
        blocks = [  # (B, channels, S, S) -> (B, width, S/2, S/2), no BatchNorm on the first layer
            nn.Sequential(conv(channels, c, 2, 1), nn.LeakyReLU(0.2, True))
        ]
        for _ in range(
            k - 3
        ):  # each: (B, c, s, s) -> (B, 2c, s/2, s/2), until (B, w*2^(k-3), 4, 4)
            norm = [nn.BatchNorm2d(2 * c)] if batch_norm else []
            blocks.append(nn.Sequential(conv(c, 2 * c, 2, 1), *norm, nn.LeakyReLU(0.2, True)))
            c *= 2
        blocks.append(nn.Sequential(conv(c, 1, 1, 0)))  # (B, c, 4, 4) -> (B, 1, 1, 1)
        self.blocks = nn.Sequential(*blocks)
        for module in self.modules():
            if isinstance(module, nn.BatchNorm2d):
                dcgan_init(module)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expected = (self.channels, self.image_size, self.image_size)
        if not isinstance(x, torch.Tensor):
            raise TypeError(
                f"Discriminator expects images (B, {', '.join(map(str, expected))}), "
                f"got {type(x).__name__}"
            )
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            hint = ""
            if x.dim() == 4 and x.shape[-1] == self.channels and x.shape[1] != self.channels:
                hint = " Channels-last arrays (B, H, W, C) need .permute(0, 3, 1, 2) first."
            elif x.dim() == 4 and x.shape[1] != self.channels:
                hint = f" This discriminator was built with channels={self.channels}."
            elif x.dim() == 4:
                hint = (
                    f" This discriminator was built with image_size={self.image_size}: "
                    "resize the images "
                    "or build Discriminator(image_size=...) to match."
                )
            raise ValueError(
                f"Discriminator expects images of shape (B, {', '.join(map(str, expected))}), "
                f"got {tuple(x.shape)}.{hint}"
            )
        return self.blocks(x).flatten()  # (B,)

    def shapes(self, batch: int = 1) -> list[tuple[int, ...]]:
        """Output shape of every block.

        E.g. [(1, 64, 16, 16), (1, 128, 8, 8), (1, 256, 4, 4), (1, 1, 1, 1)].
        """
        x = torch.zeros(
            batch,
            self.channels,
            self.image_size,
            self.image_size,
            device=next(self.parameters()).device,
        )
        return block_shapes(self, x)
