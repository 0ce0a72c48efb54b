"""Checks for ``exercises/06_latent_space.ipynb``: slerp, truncation, SeFa directions."""

from __future__ import annotations

import torch

from ._core import CheckFailed, passed, run_learner


def _tensor(out, name: str, shape: tuple) -> torch.Tensor:
    if not isinstance(out, torch.Tensor):
        raise CheckFailed(
            f"`{name}` must return a torch.Tensor, got {type(out).__name__}.",
            mistake="not a tensor",
        )
    if tuple(out.shape) != shape:
        raise CheckFailed(
            f"`{name}` must return shape {shape}, got {tuple(out.shape)}.", mistake="shape"
        )
    return out.detach().float()


def _slerp_reference(z0, z1, t):
    omega = torch.arccos((z0 / z0.norm() @ (z1 / z1.norm())).clamp(-1, 1))
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def check_slerp(slerp) -> bool:
    """Check ``slerp(z0, z1, t)`` for two vectors (d,) and a float t in [0, 1]."""
    g = torch.Generator().manual_seed(6)
    d = 64
    z0, z1 = torch.randn(2, d, generator=g)
    z1_same = z1 / z1.norm() * z0.norm()  # equal norms: slerp must keep the norm
    for t in (0.0, 1.0):
        out = _tensor(run_learner(slerp, z0.clone(), z1.clone(), t, name="slerp"), "slerp", (d,))
        end = z0 if t == 0 else z1
        if not torch.allclose(out, end, atol=1e-3):
            if torch.allclose(out, z1 if t == 0 else z0, atol=1e-3):
                raise CheckFailed(
                    "t = 0 must give z0 and t = 1 must give z1; yours are swapped. "
                    "The weight of z0 is sin((1 - t) Ω) / sin Ω.",
                    mistake="swapped endpoints",
                )
            if torch.allclose(out, end / end.norm(), atol=1e-3):
                raise CheckFailed(
                    "your endpoints have norm 1: you normalised the inputs and returned unit "
                    "vectors. Use the unit vectors only to compute the angle Ω; "
                    "interpolate z0 and z1 themselves.",
                    mistake="normalised output",
                )
            raise CheckFailed(
                f"slerp(z0, z1, {t:g}) must equal {'z0' if t == 0 else 'z1'}.", mistake="endpoints"
            )
    mid = _tensor(run_learner(slerp, z0.clone(), z1_same.clone(), 0.5, name="slerp"), "slerp", (d,))
    if torch.allclose(mid, 0.5 * (z0 + z1_same), atol=1e-3):
        raise CheckFailed(
            f"that is lerp, (1 - t) z0 + t z1: its midpoint has norm {mid.norm():.2f} while both "
            f"ends have norm {z0.norm():.2f}; it cuts through the inside of the Gaussian shell. "
            "Weight the ends with sin((1 - t) Ω) / sin Ω and sin(t Ω) / sin Ω, "
            "Ω = arccos(ẑ0 · ẑ1).",
            mistake="lerp instead of slerp",
        )
    if abs(mid.norm() - z0.norm()) > 1e-2 * z0.norm():
        raise CheckFailed(
            f"for two vectors of equal norm ({z0.norm():.2f}) slerp keeps that norm, yours has "
            f"{mid.norm():.2f} at t = 0.5. Check the angle: Ω = arccos of the dot product of the "
            "*normalised* vectors (radians).",
            mistake="norm not kept",
        )
    for t in (0.25, 0.8):
        out = _tensor(run_learner(slerp, z0.clone(), z1.clone(), t, name="slerp"), "slerp", (d,))
        expected = _slerp_reference(z0, z1, t)
        if not torch.allclose(out, expected, atol=1e-3):
            if torch.allclose(out, _slerp_reference(z0, z1, 1 - t), atol=1e-3):
                raise CheckFailed(
                    "at t = 0.25 you are closer to z1 than to z0: the weights sin((1 - t) Ω) and "
                    "sin(t Ω) are swapped.",
                    mistake="swapped weights",
                )
            raise CheckFailed(
                f"slerp(z0, z1, {t}) differs from sin((1-t)Ω)/sinΩ · z0 + sin(tΩ)/sinΩ · z1 "
                f"(max error {(out - expected).abs().max():.3g}).",
                mistake="wrong formula",
            )
    return passed("endpoints right, the norm stays on the shell, matches the great-circle formula.")


def check_truncate(truncate) -> bool:
    """Check ``truncate(z, psi, mean) = mean + psi * (z - mean)`` for a batch z (B, d)."""
    g = torch.Generator().manual_seed(7)
    z = torch.randn(5, 8, generator=g)
    mean = torch.randn(8, generator=g) + 2.0  # a w-space mean: far from 0
    psi = 0.3
    out = _tensor(
        run_learner(truncate, z.clone(), psi, mean.clone(), name="truncate"), "truncate", (5, 8)
    )
    expected = mean + psi * (z - mean)
    if torch.allclose(out, expected, atol=1e-4):
        same = run_learner(truncate, z.clone(), 1.0, mean.clone(), name="truncate")
        if not torch.allclose(same.detach().float(), z, atol=1e-4):
            raise CheckFailed("psi = 1 must leave z unchanged.", mistake="psi = 1")
        return passed(
            "mean + ψ (z - mean): ψ = 1 keeps z, ψ → 0 pulls every sample to the mean latent."
        )
    if torch.allclose(out, psi * z, atol=1e-4):
        raise CheckFailed(
            "you truncated towards 0 (ψ · z). That is right only when the mean latent is 0; in a "
            "style-based generator's w-space it is not. "
            "Pull towards the mean: mean + ψ (z - mean).",
            mistake="truncating toward 0",
        )
    if torch.allclose(out, mean + (1 - psi) * (z - mean), atol=1e-4):
        raise CheckFailed(
            "ψ is flipped: ψ = 1 must keep z and ψ = 0 give the mean. Use mean + ψ (z - mean).",
            mistake="psi flipped",
        )
    if torch.allclose(out, psi * z + mean, atol=1e-4):
        raise CheckFailed(
            "ψ · z + mean scales z but not its offset from the mean; use mean + ψ (z - mean).",
            mistake="forgot to subtract the mean",
        )
    raise CheckFailed("expected mean + ψ (z - mean) for every row of z.", mistake="wrong formula")


def _sefa_reference(weight: torch.Tensor, k: int) -> torch.Tensor:
    d = weight.shape[0]
    A = weight.reshape(d, -1).T
    _, vectors = torch.linalg.eigh(A.T @ A)
    return vectors.flip(1)[:, :k].T


def _same_up_to_sign(a: torch.Tensor, b: torch.Tensor, atol: float = 1e-3) -> bool:
    return all(
        torch.allclose(x, y, atol=atol) or torch.allclose(x, -y, atol=atol) for x, y in zip(a, b)
    )


def check_sefa(sefa_directions) -> bool:
    """Check ``sefa_directions(weight, k)`` for a ConvTranspose2d weight
    (d, c, 4, 4) -> (k, d) unit rows."""
    g = torch.Generator().manual_seed(8)
    d, c, k = 12, 5, 3
    weight = torch.randn(d, c, 4, 4, generator=g) * torch.linspace(0.5, 2.0, d).view(d, 1, 1, 1)
    out = run_learner(sefa_directions, weight.clone(), k, name="sefa_directions")
    if isinstance(out, torch.Tensor) and tuple(out.shape) == (k, c * 16):
        raise CheckFailed(
            f"your directions have {c * 16} entries: they live in feature space. "
            "You took eigenvectors of A Aᵀ; SeFa needs those of Aᵀ A (d x d), whose eigenvectors "
            "are latent directions.",
            mistake="eigenvectors of the wrong matrix",
        )
    out = _tensor(out, "sefa_directions", (k, d))
    if not torch.allclose(out.norm(dim=1), torch.ones(k), atol=1e-3):
        raise CheckFailed(
            "each direction must have length 1, "
            f"yours have {[round(v, 3) for v in out.norm(dim=1).tolist()]}.",
            mistake="unnormalised direction",
        )
    expected = _sefa_reference(weight, k)
    if _same_up_to_sign(out, expected):
        return passed("top eigenvectors of AᵀA, largest first, one unit direction per row.")
    A = weight.reshape(d, -1).T
    _, vectors = torch.linalg.eigh(A.T @ A)
    if _same_up_to_sign(out, vectors[:, :k].T):
        raise CheckFailed(
            "these are the eigenvectors with the *smallest* eigenvalues: torch.linalg.eigh sorts "
            "them ascending. Take the last k (largest first).",
            mistake="smallest eigenvalues",
        )
    if _same_up_to_sign(out, vectors.flip(1)[:k]):
        raise CheckFailed(
            "eigh returns eigenvectors as the *columns* of its matrix; you took rows. "
            "Use vectors[:, -k:] (then transpose and reverse the order).",
            mistake="rows instead of columns",
        )
    wrong = weight.reshape(-1, d)  # scrambled: mixes the d axis with the channel axis
    _, wrong_vectors = torch.linalg.eigh(wrong.T @ wrong)
    if _same_up_to_sign(out, wrong_vectors.flip(1)[:, :k].T):
        raise CheckFailed(
            "the reshape scrambles the axes: weight.reshape(-1, d) does not keep z's axis. Use "
            "A = weight.reshape(d, -1).T (each column of A is what one z entry writes).",
            mistake="wrong reshape",
        )
    raise CheckFailed(
        "expected the top-k eigenvectors of AᵀA with A = weight.reshape(d, -1).T, "
        "largest eigenvalue first.",
        mistake="wrong directions",
    )
