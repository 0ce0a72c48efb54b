"""Checks for ``exercises/06_latent_space.ipynb``: slerp, truncation, SeFa directions."""

from __future__ import annotations

import torch

from ._core import CheckFailed, expect_tensor, passed, recognise, run_pure


def _call(func, *args, name: str, shape: tuple, like: torch.Tensor) -> torch.Tensor:
    """Run the learner's function (inputs must stay unchanged), check its result's type, shape,
    dtype, device and finiteness, and return it detached in float64 for comparisons."""
    out = run_pure(func, *args, name=name)
    return expect_tensor(out, like=like, shape=shape, name=name, finite=True).detach().double()


def _slerp_reference(z0, z1, t):
    z0, z1 = z0.double(), z1.double()
    omega = torch.arccos((z0 / z0.norm() @ (z1 / z1.norm())).clamp(-1, 1))
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def check_slerp(slerp) -> bool:
    """Check ``slerp(z0, z1, t)`` for two vectors (d,) and a float t in [0, 1]:
    ``sin((1 - t) Ω) / sin Ω · z0 + sin(t Ω) / sin Ω · z1`` with ``Ω = arccos(ẑ0 · ẑ1)``."""
    g = torch.Generator().manual_seed(6)
    d = 64
    z0, z1 = torch.randn(2, d, generator=g)
    z1_same = z1 / z1.norm() * z0.norm()  # equal norms: slerp must keep the norm

    def call(a, b, t):
        return _call(slerp, a, b, t, name="slerp", shape=(a.shape[0],), like=a)

    for t in (0.0, 1.0):
        out = call(z0, z1, t)
        end, other = (z0, z1) if t == 0 else (z1, z0)
        if not torch.allclose(out, end.double(), atol=1e-3):
            if torch.allclose(out, other.double(), atol=1e-3):
                raise CheckFailed(
                    "t = 0 must give z0 and t = 1 must give z1; yours are swapped. "
                    "The weight of z0 is sin((1 - t) Ω) / sin Ω.",
                    mistake="swapped endpoints",
                )
            if torch.allclose(out, (end / end.norm()).double(), atol=1e-3):
                raise CheckFailed(
                    "your endpoints have norm 1: you normalised the inputs and returned unit "
                    "vectors. Use the unit vectors only to compute the angle Ω; "
                    "interpolate z0 and z1 themselves.",
                    mistake="normalised output",
                )
            raise CheckFailed(
                f"slerp(z0, z1, {t:g}) must equal {'z0' if t == 0 else 'z1'}.", mistake="endpoints"
            )
    mid = call(z0, z1_same, 0.5)
    if torch.allclose(mid, 0.5 * (z0 + z1_same).double(), atol=1e-3):
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
    # the formula at inner t, then with other latents: another seed, size (20) and float64
    g64 = torch.Generator().manual_seed(16)
    cases = [(z0, z1, 0.25, 1e-3), (z0, z1, 0.8, 1e-3)]
    cases.append((*torch.randn(2, 20, generator=g64, dtype=torch.float64), 0.6, 1e-8))
    for a, b, t, atol in cases:
        out = call(a, b, t)
        expected = _slerp_reference(a, b, t)
        if torch.allclose(out, expected, atol=atol):
            continue
        if torch.allclose(out, _slerp_reference(a, b, 1 - t), atol=atol):
            raise CheckFailed(
                f"at t = {t:g} you are as far from z0 as you should be from z1: the weights "
                "sin((1 - t) Ω) and sin(t Ω) are swapped.",
                mistake="swapped weights",
            )
        raise CheckFailed(
            f"slerp(z0, z1, {t:g}) for {a.dtype} latents of size {a.shape[0]} differs from "
            "sin((1-t)Ω)/sinΩ · z0 + sin(tΩ)/sinΩ · z1 "
            f"(max error {(out - expected).abs().max():.3g}).",
            mistake="wrong formula",
        )
    return passed("endpoints right, the norm stays on the shell, matches the great-circle formula.")


def _psi_fit(out: torch.Tensor, z: torch.Tensor, mean: torch.Tensor) -> float | None:
    """The c for which out = mean + c (z - mean), or None if out is not of that form."""
    dz, mean = (z - mean).double(), mean.double()
    c = ((out - mean) * dz).sum() / (dz * dz).sum()
    return c.item() if torch.allclose(out, mean + c * dz, atol=1e-4) else None


def check_truncate(truncate) -> bool:
    """Check ``truncate(z, psi, mean) = mean + psi * (z - mean)`` for a batch z (B, d)."""
    g = torch.Generator().manual_seed(7)
    z = torch.randn(5, 8, generator=g)
    mean = torch.randn(8, generator=g) + 2.0  # a w-space mean: far from 0

    def call(z, psi, mean):
        return _call(truncate, z, psi, mean, name="truncate", shape=tuple(z.shape), like=z)

    outs = {psi: call(z, psi, mean) for psi in (0.3, 0.55)}
    fits = [_psi_fit(out, z, mean) for out in outs.values()]
    if None not in fits and abs(fits[0] - fits[1]) < 1e-3:
        if abs(fits[0] - 1) < 1e-3:
            raise CheckFailed(
                "your result is z itself, whatever ψ: multiply the offset from the mean by ψ, "
                "mean + ψ (z - mean).",
                mistake="psi ignored",
            )
        raise CheckFailed(
            f"your result does not change with ψ: for ψ = 0.3 and ψ = 0.55 it is mean + "
            f"{fits[0]:.2f} (z − mean) both times. Use the `psi` argument, not a constant.",
            mistake="psi hard-coded",
        )
    psi, out = 0.3, outs[0.3]
    zd, md = z.double(), mean.double()
    recognise(
        out,
        {
            "truncating toward 0": (
                psi * zd,
                "you truncated towards 0 (ψ · z). That is right only when the mean latent is 0; "
                "in a style-based generator's w-space it is not. "
                "Pull towards the mean: mean + ψ (z - mean).",
            ),
            "psi flipped": (
                md + (1 - psi) * (zd - md),
                "ψ is flipped: ψ = 1 must keep z and ψ = 0 give the mean. Use mean + ψ (z - mean).",
            ),
            "forgot to subtract the mean": (
                psi * zd + md,
                "ψ · z + mean scales z but not its offset from the mean; use mean + ψ (z - mean).",
            ),
        },
        atol=1e-4,
    )
    if not torch.allclose(out, md + psi * (zd - md), atol=1e-4):
        raise CheckFailed(
            "expected mean + ψ (z - mean) for every row of z.", mistake="wrong formula"
        )
    if not torch.allclose(call(z, 1.0, mean), zd, atol=1e-4):
        raise CheckFailed("psi = 1 must leave z unchanged.", mistake="psi = 1")
    g = torch.Generator().manual_seed(17)  # another seed, shape (3, 12) and dtype (float64)
    z, mean = torch.randn(3, 12, generator=g, dtype=torch.float64), torch.randn(12, generator=g)
    mean = mean.double() - 1.0
    if not torch.allclose(call(z, 0.8, mean), mean + 0.8 * (z - mean), atol=1e-8):
        raise CheckFailed(
            "right on the first batch but not on a float64 batch (3, 12) with ψ = 0.8: "
            "mean + ψ (z - mean) must not depend on sizes or constants.",
            mistake="wrong formula",
        )
    return passed(
        "mean + ψ (z - mean): ψ = 1 keeps z, ψ → 0 pulls every sample to the mean latent."
    )


def _sefa_reference(weight: torch.Tensor, k: int) -> torch.Tensor:
    d = weight.shape[0]
    A = weight.double().reshape(d, -1).T
    _, vectors = torch.linalg.eigh(A.T @ A)
    return vectors.flip(1)[:, :k].T


def _same_up_to_sign(a: torch.Tensor, b: torch.Tensor, atol: float = 1e-3) -> bool:
    return all(
        torch.allclose(x, y, atol=atol) or torch.allclose(x, -y, atol=atol) for x, y in zip(a, b)
    )


def check_sefa(sefa_directions) -> bool:
    """Check ``sefa_directions(weight, k)`` for a ConvTranspose2d weight
    (d, c, 4, 4) -> (k, d) unit rows: the top-k eigenvectors of AᵀA, A = weight.reshape(d, -1).T."""
    # two cases: float32 (d, c, k) = (12, 5, 3), then float64 (10, 3, 5)
    for seed, d, c, k, dtype in ((8, 12, 5, 3, torch.float32), (18, 10, 3, 5, torch.float64)):
        g = torch.Generator().manual_seed(seed)
        scale = torch.linspace(0.5, 2.0, d, dtype=torch.float64).view(d, 1, 1, 1)
        weight = (torch.randn(d, c, 4, 4, generator=g, dtype=torch.float64) * scale).to(dtype)
        _sefa_case(sefa_directions, weight, k)
    return passed("top eigenvectors of AᵀA, largest first, one unit direction per row.")


def _sefa_case(sefa_directions, weight: torch.Tensor, k: int) -> None:
    d, c = weight.shape[:2]
    out = run_pure(sefa_directions, weight, k, name="sefa_directions")
    if isinstance(out, torch.Tensor) and tuple(out.shape) == (k, c * 16):
        raise CheckFailed(
            f"your directions have {c * 16} entries: they live in feature space. "
            "You took eigenvectors of A Aᵀ; SeFa needs those of Aᵀ A (d x d), whose eigenvectors "
            "are latent directions.",
            mistake="eigenvectors of the wrong matrix",
        )
    if isinstance(out, torch.Tensor) and out.dim() == 2 and out.shape[1] == d != out.shape[0] != k:
        raise CheckFailed(
            f"you returned {out.shape[0]} directions but the call asked for k = {k}: "
            "use the `k` argument (vectors[:, -k:]), not a fixed number.",
            mistake="k ignored",
        )
    out = (
        expect_tensor(out, like=weight, shape=(k, d), name="sefa_directions", finite=True)
        .detach()
        .double()
    )
    if not torch.allclose(out.norm(dim=1), torch.ones(k, dtype=out.dtype), atol=1e-3):
        raise CheckFailed(
            "each direction must have length 1, "
            f"yours have {[round(v, 3) for v in out.norm(dim=1).tolist()]}.",
            mistake="unnormalised direction",
        )
    if _same_up_to_sign(out, _sefa_reference(weight, k)):
        return
    A = weight.double().reshape(d, -1).T
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
    if _same_up_to_sign(out, vectors[:, -k:].T):
        raise CheckFailed(
            "the right eigenvectors in the wrong order: eigh sorts ascending, so after "
            "vectors[:, -k:] reverse the order (.flip(1)) to put the largest first.",
            mistake="largest last",
        )
    wrong = weight.double().reshape(-1, d)  # scrambled: mixes the d axis with the channel axis
    _, wrong_vectors = torch.linalg.eigh(wrong.T @ wrong)
    if _same_up_to_sign(out, wrong_vectors.flip(1)[:, :k].T):
        raise CheckFailed(
            "the reshape scrambles the axes: weight.reshape(-1, d) does not keep z's axis. Use "
            "A = weight.reshape(d, -1).T (each column of A is what one z entry writes).",
            mistake="wrong reshape",
        )
    raise CheckFailed(
        f"for a {tuple(weight.shape)} {weight.dtype} weight and k = {k}: expected the top-k "
        "eigenvectors of AᵀA with A = weight.reshape(d, -1).T, largest eigenvalue first.",
        mistake="wrong directions",
    )
