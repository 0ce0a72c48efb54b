"""Small MLP generator and discriminator for 2-D toy distributions (lesson 01, 03).

The generator maps a latent ``z`` of shape ``(B, z_dim)`` to points ``(B, out_dim)``; the
discriminator maps points ``(B, in_dim)`` to one **logit** per point ``(B,)``
(``D(x) = sigmoid(logit)``). Each model keeps ``model.config``: the constructor arguments, so
``type(model)(**model.config)`` rebuilds the same architecture (checkpoints record it).
"""

from __future__ import annotations

import torch
from torch import nn


def _check_2d(x: torch.Tensor, width: int, what: str, arg: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(
            f"{what} expects a torch.Tensor of shape (B, {width}), got {type(x).__name__}"
        )
    if x.dim() != 2 or x.shape[1] != width:
        raise ValueError(
            f"{what} expects {arg} of shape (B, {width}), got {tuple(x.shape)}. "
            f"Build it with torch.randn(batch, {width}) "
            f"(this model was made with {arg.split()[0]}_dim={width})."
        )


def _mlp(in_dim: int, hidden: int, depth: int, out_dim: int, act: nn.Module) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = in_dim
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), act]  # (B, hidden)
        width = hidden
    layers.append(nn.Linear(width, out_dim))  # (B, out_dim)
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """``G: z (B, z_dim) -> x (B, out_dim)``, ``depth`` hidden ReLU layers of ``hidden`` units."""

    def __init__(self, z_dim: int = 2, out_dim: int = 2, hidden: int = 128, depth: int = 3):
        super().__init__()
        for name, value in {
            "z_dim": z_dim,
            "out_dim": out_dim,
            "hidden": hidden,
            "depth": depth,
        }.items():
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"MLPGenerator: {name} must be a positive int, got {value!r}")
        self.config = {"z_dim": z_dim, "out_dim": out_dim, "hidden": hidden, "depth": depth}
        self.z_dim = z_dim
        self.net = _mlp(z_dim, hidden, depth, out_dim, nn.ReLU())  # (B, z_dim) -> (B, out_dim)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        _check_2d(z, self.z_dim, "MLPGenerator", "z (latent)")
        return self.net(z)  # (B, out_dim)


class MLPDiscriminator(nn.Module):
    """``D: x (B, in_dim) -> logit (B,)``, ``depth`` hidden LeakyReLU(0.2) layers."""

    def __init__(self, in_dim: int = 2, hidden: int = 128, depth: int = 3):
        super().__init__()
        for name, value in {"in_dim": in_dim, "hidden": hidden, "depth": depth}.items():
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"MLPDiscriminator: {name} must be a positive int, got {value!r}")
        self.config = {"in_dim": in_dim, "hidden": hidden, "depth": depth}
        self.in_dim = in_dim
        self.net = _mlp(in_dim, hidden, depth, 1, nn.LeakyReLU(0.2))  # (B, in_dim) -> (B, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_2d(x, self.in_dim, "MLPDiscriminator", "in (points)")
        return self.net(x).squeeze(1)  # (B,)
