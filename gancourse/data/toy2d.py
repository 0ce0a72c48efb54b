"""2-D toy distributions for the first GAN lessons: small enough to see everything.

- ``"ring"``:  8 Gaussians on a circle of radius 2, std 0.05 (the classic mode-collapse test)
- ``"grid"``:  25 Gaussians on a 5x5 grid with spacing 1 in [-2, 2]², std 0.05
- ``"spiral"``: a noisy two-turn spiral in about [-2, 2]²
- ``"moons"``: two interleaving half circles (like scikit-learn's ``make_moons``), centred

``sample_toy(name, n, seed=0)`` returns a float32 tensor ``(n, 2)``; ``mode_centers(name)`` gives
the Gaussian centres of ``"ring"`` and ``"grid"`` and :func:`mode_coverage` counts how many of them
a set of generated points covers (the lesson-01 test for mode collapse).
"""

from __future__ import annotations

import math

import torch

TOY_NAMES = ("ring", "grid", "spiral", "moons")
RING_RADIUS, MODE_STD = 2.0, 0.05


def _generator(generator: torch.Generator | None, seed: int | None) -> torch.Generator:
    if generator is not None and seed is not None:
        raise ValueError("give either generator= or seed=, not both")
    if generator is not None:
        if not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
        return generator
    return torch.Generator().manual_seed(0 if seed is None else int(seed))


def mode_centers(name: str) -> torch.Tensor:
    """The centres ``(K, 2)`` of the Gaussian mixtures: 8 for ``"ring"``, 25 for ``"grid"``."""
    if name == "ring":
        angles = torch.arange(8, dtype=torch.float32) * (2 * math.pi / 8)
        return RING_RADIUS * torch.stack([angles.cos(), angles.sin()], dim=1)  # (8, 2)
    if name == "grid":
        ticks = torch.linspace(-2, 2, 5)
        return torch.cartesian_prod(ticks, ticks)  # (25, 2)
    raise ValueError(f"mode_centers: only 'ring' and 'grid' have discrete modes, got {name!r}")


def sample_toy(
    name: str, n: int, generator: torch.Generator | None = None, seed: int | None = None
) -> torch.Tensor:
    """``n`` points ``(n, 2)`` (float32) from the toy distribution ``name`` (one of ``TOY_NAMES``).

    Deterministic: the same ``seed`` (default 0) or the same ``generator`` state gives the same
    points.
    """
    if name not in TOY_NAMES:
        raise ValueError(f"Unknown toy distribution {name!r}. Choices: {', '.join(TOY_NAMES)}.")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n (the number of points) must be a positive int, got {n!r}")
    g = _generator(generator, seed)
    if name in ("ring", "grid"):
        centers = mode_centers(name)
        index = torch.randint(len(centers), (n,), generator=g)
        return centers[index] + MODE_STD * torch.randn(n, 2, generator=g)
    if name == "spiral":
        t = torch.sqrt(torch.rand(n, generator=g)) * (
            4 * math.pi
        )  # two turns, even density along the arc
        radius = 0.15 * t
        points = torch.stack([radius * torch.cos(t), radius * torch.sin(t)], dim=1)
        return points + 0.05 * torch.randn(n, 2, generator=g)
    # moons
    upper = torch.rand(n, generator=g) < 0.5
    t = torch.rand(n, generator=g) * math.pi
    x = torch.where(upper, torch.cos(t), 1 - torch.cos(t))
    y = torch.where(upper, torch.sin(t), 0.5 - torch.sin(t))
    points = torch.stack([x - 0.5, y - 0.25], dim=1) * 1.5
    return points + 0.05 * torch.randn(n, 2, generator=g)


def mode_coverage(points: torch.Tensor, name: str = "ring", radius: float = 4 * MODE_STD) -> dict:
    """How a set of points covers the modes of ``"ring"`` or ``"grid"``.

    A point belongs to a mode when it lies within ``radius`` (default 4 std) of its centre.
    Returns ``{"counts": (K,) tensor of points per mode, "fraction": (K,) share of all points,
    "high_quality": share of points near any mode, "modes": number of modes with >= 1% of points}``.
    """
    if not isinstance(points, torch.Tensor) or points.dim() != 2 or points.shape[1] != 2:
        shape = tuple(points.shape) if isinstance(points, torch.Tensor) else type(points).__name__
        raise ValueError(f"points must be a tensor (N, 2), got {shape}")
    centers = mode_centers(name)
    dist = torch.cdist(points.detach().float().cpu(), centers)  # (N, K)
    nearest = dist.min(dim=1)
    near = nearest.values <= radius
    counts = torch.bincount(nearest.indices[near], minlength=len(centers))
    fraction = counts.float() / len(points)
    return {
        "counts": counts,
        "fraction": fraction,
        "high_quality": near.float().mean().item(),
        "modes": int((fraction >= 0.01).sum()),
    }
