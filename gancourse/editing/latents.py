"""Latents: interpolation, truncation, edits ``z + α n``, sampling, and a feature layer as latent.

Derived in lesson 06 (lerp vs slerp, truncation, edits along a direction); :class:`FeatureSpace` is
derived in lesson 07.

Interpolation and truncation
    ``lerp(z0, z1, t) = (1 - t) z0 + t z1``
    ``slerp(z0, z1, t) = sin((1 - t) Ω) / sin Ω · z0 + sin(t Ω) / sin Ω · z1``,
    ``Ω = arccos(ẑ0 · ẑ1)``.
    Why slerp: for z ~ N(0, I_d), ``|z|² ~ χ²_d``, so ``|z| ≈ √d`` with spread ≈ 1/√2 (all samples
    live near a thin shell). The midpoint of a straight line between two such points has norm
    ``≈ √(d/2)``: far inside the shell, where G was never trained. Slerp follows the great circle.
    ``truncate(z, ψ, mean) = mean + ψ (z - mean)``: pull towards the *mean* latent (0 in a DCGAN's
    z-space, the mean ``w̄`` in a style-based generator's w-space); ψ < 1 trades diversity for
    quality.

Where to edit
    :class:`FeatureSpace` makes the output of an early block, ``h = F(z)``, the latent. F ends in a
    ReLU, so h is a non-linear function of z, and an attribute curved in z can be (nearly) linear in
    h; every direction and measure in :mod:`gancourse.editing` works there too (``h' = h + α n``).

The small input checks (``check_latents``, ``check_direction``, ``z_dim_of``) are shared by the
other editing modules and by :mod:`gancourse.widgets`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from gancourse.data._checks import check_finite
from gancourse.runtime import device_of
from gancourse.train import generate  # noqa: F401  (re-exported: editing.generate)

# --------------------------------------------------------------------------------------------------
# small input checks


def check_latents(z, name: str = "z") -> torch.Tensor:
    if not isinstance(z, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor of latents (B, d) or (d,), got {type(z).__name__}"
        )
    if not z.is_floating_point():
        raise TypeError(f"{name} must be a float tensor, got dtype {z.dtype}")
    if z.dim() not in (1, 2):
        raise ValueError(f"{name} must have shape (B, d) or (d,), got {tuple(z.shape)}")
    return check_finite(z, name)


def check_number(value, name: str) -> float:
    """A finite real number (``t``, ``psi``, ``alpha``...), or a clear error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return float(value)


def check_direction(n, d: int | None = None, name: str = "direction") -> torch.Tensor:
    n = check_latents(n, name)
    if n.dim() == 2:
        if n.shape[0] != 1:
            raise ValueError(f"{name} must be one vector (d,) or (1, d), got {tuple(n.shape)}")
        n = n[0]
    if d is not None and n.shape[0] != d:
        raise ValueError(f"{name} has {n.shape[0]} entries but the latents have d = {d}")
    return n


def z_dim_of(G: nn.Module) -> int:
    """The latent size ``G.z_dim`` of a course generator; a clear error when it has none."""
    z_dim = getattr(G, "z_dim", None)
    if not isinstance(z_dim, int):
        raise TypeError(
            f"{type(G).__name__} has no integer `z_dim`; "
            "pass a course generator (DCGAN or conditional)"
        )
    return z_dim


def normalize(v: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """``v / |v|`` along the last dimension (each row of a (k, d) matrix becomes a unit vector)."""
    check_finite(v, "v")
    return v / v.norm(dim=-1, keepdim=True).clamp_min(eps)


# --------------------------------------------------------------------------------------------------
# interpolation and truncation


def _interp_t(t, z0: torch.Tensor) -> torch.Tensor:
    t = torch.as_tensor(t, dtype=z0.dtype, device=z0.device)
    if t.dim() > 1:
        raise ValueError(
            f"t must be a number or a 1-D tensor of numbers, got shape {tuple(t.shape)}"
        )
    return check_finite(t, "t")


def lerp(z0: torch.Tensor, z1: torch.Tensor, t) -> torch.Tensor:
    """Linear interpolation ``(1 - t) z0 + t z1``.

    ``z0, z1`` are (d,) or (B, d); ``t`` a number (same shape out) or a 1-D tensor of T steps
    (out: (T, d) for vectors, (T, B, d) for batches).
    """
    z0, z1 = check_latents(z0, "z0"), check_latents(z1, "z1")
    if z0.shape != z1.shape:
        raise ValueError(
            f"z0 and z1 must have the same shape, got {tuple(z0.shape)} and {tuple(z1.shape)}"
        )
    t = _interp_t(t, z0)
    tt = t.view(-1, *([1] * z0.dim())) if t.dim() == 1 else t
    return (1 - tt) * z0 + tt * z1


def slerp(z0: torch.Tensor, z1: torch.Tensor, t, eps: float = 1e-7) -> torch.Tensor:
    """Spherical interpolation along the great circle from z0 to z1.

    ``slerp = sin((1 - t) Ω) / sin Ω · z0 + sin(t Ω) / sin Ω · z1`` with ``Ω = arccos(ẑ0 · ẑ1)``
    (the angle between them). Two latents of equal norm keep that norm all the way, so a Gaussian
    latent stays on the shell ``|z| ≈ √d`` where the generator was trained (lerp cuts through the
    inside: its midpoint has norm ≈ √(d/2)). Falls back to lerp when the vectors are (nearly)
    parallel, where ``sin Ω → 0``. Shapes as in :func:`lerp`.
    """
    z0, z1 = check_latents(z0, "z0"), check_latents(z1, "z1")
    if z0.shape != z1.shape:
        raise ValueError(
            f"z0 and z1 must have the same shape, got {tuple(z0.shape)} and {tuple(z1.shape)}"
        )
    t = _interp_t(t, z0)
    cos = (normalize(z0) * normalize(z1)).sum(-1, keepdim=True)  # (..., 1)
    if (cos < -1 + 1e-6).any():
        raise ValueError(
            "z0 and z1 point in opposite directions: no single great circle joins them, and "
            "slerp(z, -z) would pass through 0 (a latent the generator never saw). "
            "Interpolate between other latents, or go through a third one."
        )
    cos = cos.clamp(-1 + eps, 1 - eps)
    omega = torch.arccos(cos)
    sin = torch.sin(omega)
    tt = t.view(-1, *([1] * z0.dim())) if t.dim() == 1 else t
    w0 = torch.sin((1 - tt) * omega) / sin
    w1 = torch.sin(tt * omega) / sin
    out = w0 * z0 + w1 * z1
    parallel = sin.abs() < 1e-4
    if parallel.any():
        out = torch.where(parallel, (1 - tt) * z0 + tt * z1, out)
    return out


def mean_latent(
    z_dim: int, mapping: Callable | None = None, n: int = 10000, seed: int = 0, device=None
) -> torch.Tensor:
    """The mean latent to truncate towards, shape (z_dim,) (or the mapping's output size).

    Without a mapping network (a DCGAN) z ~ N(0, I), whose mean is exactly the zero vector. With a
    ``mapping`` (z -> w, a style-based generator) it is the average ``w̄ = mean mapping(z)`` over
    ``n`` samples: not zero, which is why "truncate towards 0" is a mistake there.
    """
    if mapping is None:
        return torch.zeros(z_dim, device=device)
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, z_dim, generator=g).to(device or "cpu")
    with torch.no_grad():
        return mapping(z).mean(0)


def truncate(z: torch.Tensor, psi: float, mean: torch.Tensor | None = None) -> torch.Tensor:
    """The truncation trick: ``mean + ψ (z - mean)``.

    ψ = 1 leaves z alone, ψ = 0 gives the mean image, 0 < ψ < 1 trades diversity for quality
    (samples far from the mean, where training data was sparse, look worst). ``mean`` is the mean
    latent (:func:`mean_latent`); None means the zero vector, right only for z ~ N(0, I).
    """
    z = check_latents(z)
    psi = check_number(psi, "psi (typically 0..1)")
    if mean is None:
        mean = torch.zeros(z.shape[-1], dtype=z.dtype, device=z.device)
    mean = check_direction(mean, z.shape[-1], "mean")
    return mean + psi * (z - mean)


def edit(z: torch.Tensor, direction: torch.Tensor, alpha) -> torch.Tensor:
    """``z + α n``; α a number or a 1-D tensor (then one row per α for a single z (d,))."""
    z = check_latents(z)
    n = check_direction(direction, z.shape[-1]).to(z)
    alpha = check_finite(torch.as_tensor(alpha, dtype=z.dtype, device=z.device), "alpha")
    if alpha.dim() == 1:
        return (
            z.unsqueeze(-2) + alpha.view(-1, 1) * n
            if z.dim() == 1
            else z.unsqueeze(0) + alpha.view(-1, 1, 1) * n
        )
    return z + alpha * n


# --------------------------------------------------------------------------------------------------
# sampling and rendering latents; a feature layer as the latent space


@torch.no_grad()
def layer_features(G: nn.Module, z: torch.Tensor, layer: int = 0) -> torch.Tensor:
    """Flattened activations after block ``layer`` of a course DCGAN, (B, features)."""
    blocks = getattr(getattr(G, "body", G), "blocks", None)
    if blocks is None:
        raise TypeError(f"{type(G).__name__} has no .blocks; GANSpace needs a course DCGAN")
    if not 0 <= layer < len(blocks) - 1:
        raise ValueError(f"layer must be 0..{len(blocks) - 2} (an intermediate block), got {layer}")
    h = z[:, :, None, None]
    for block in blocks[: layer + 1]:
        h = block(h)
    return h.flatten(1)


class FeatureSpace(nn.Module):
    """A course DCGAN seen from block ``layer``'s output: its latents are the features ``h = F(z)``.

    ``fs = FeatureSpace(G)``; ``h = fs.features(z)`` is (B, d_h) (block 0 of ``faces_dcgan64``:
    256 × 4 × 4 = 4096 numbers); ``fs(h)`` runs the rest of G, so ``fs(fs.features(z)) == G(z)``.
    ``fs.z_dim`` is d_h, so InterFaceGAN directions, edits ``h + α n`` and their measures
    (``label_latents``, ``attribute_directions``, ``score_edit``, ``calibrate_alpha``) all work on
    ``fs`` as on G. Latents it samples are the features of z ~ N(0, I) (same seed, same faces as
    G's). An edit may leave the set of features F can produce (e.g. negative values after
    the ReLU); the next blocks still render it, and measuring the edit says whether that worked.
    """

    def __init__(self, G: nn.Module, layer: int = 0):
        super().__init__()
        blocks = getattr(G, "blocks", None)
        if blocks is None or not hasattr(G, "shapes"):
            raise TypeError(
                "FeatureSpace needs a course DCGAN generator (with .blocks), "
                f"got {type(G).__name__}"
            )
        if not isinstance(layer, int) or not 0 <= layer < len(blocks) - 1:
            raise ValueError(
                f"layer must be an intermediate block, 0..{len(blocks) - 2}, got {layer!r}"
            )
        self.G, self.layer = G, layer
        self.shape = tuple(G.shapes()[layer][1:])  # (C, s, s) after block `layer`
        self.z_dim = math.prod(self.shape)
        self.image_size = G.image_size

    def features(self, z: torch.Tensor) -> torch.Tensor:
        """``h = F(z)``: (B, z_dim of G) -> (B, d_h), without gradients."""
        return layer_features(self.G, z, self.layer)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        if not isinstance(h, torch.Tensor) or h.dim() != 2 or h.shape[1] != self.z_dim:
            got = tuple(h.shape) if isinstance(h, torch.Tensor) else type(h).__name__
            raise ValueError(
                f"FeatureSpace expects features h of shape (B, {self.z_dim}) "
                f"(from .features(z)), got {got}"
            )
        x = h.view(-1, *self.shape)  # (B, C, s, s)
        for block in self.G.blocks[self.layer + 1 :]:
            x = block(x)
        return x  # (B, channels, S, S)


def sample_latents(G: nn.Module, n: int, seed: int = 0) -> torch.Tensor:
    """``n`` latents for G from ``seed``, on the CPU.

    z ~ N(0, I), or for a :class:`FeatureSpace` the features of those same z (so both show the same
    faces).
    """
    g = torch.Generator().manual_seed(seed)
    if isinstance(G, FeatureSpace):
        z = torch.randn(n, z_dim_of(G.G), generator=g)
        return torch.cat([G.features(zb.to(device_of(G))).cpu() for zb in z.split(500)])
    return torch.randn(n, z_dim_of(G), generator=g)
