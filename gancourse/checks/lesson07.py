"""Checks for ``exercises/07_editing.ipynb``: an InterFaceGAN direction, its orthogonalisation,
and an edit in the generator's first feature layer."""

from __future__ import annotations

import torch

from gancourse.editing import FeatureSpace
from gancourse.models.dcgan import Generator

from ._core import CheckFailed, passed, run_learner


def _vector(out, name: str, d: int) -> torch.Tensor:
    if not isinstance(out, torch.Tensor):
        raise CheckFailed(
            f"`{name}` must return a torch.Tensor (d,), got {type(out).__name__}. "
            "Turn a NumPy array into one with torch.as_tensor(array, dtype=torch.float32).",
            mistake="not a tensor",
        )
    out = out.detach().float()
    if out.dim() == 2 and out.shape[0] == 1:
        out = out[0]
    if tuple(out.shape) != (d,):
        raise CheckFailed(
            f"`{name}` must return one direction of shape ({d},), got {tuple(out.shape)}.",
            mistake="shape",
        )
    return out


def check_interfacegan(interfacegan_direction) -> bool:
    """Check ``interfacegan_direction(z (N, d), scores (N,)) -> unit direction (d,)`` raising
    the score."""
    g = torch.Generator().manual_seed(9)
    d, n = 16, 800
    w = torch.randn(d, generator=g)
    w = w / w.norm()
    z = torch.randn(n, d, generator=g)
    scores = torch.sigmoid(2 * (z @ w) + 0.3 * torch.randn(n, generator=g))
    out = _vector(
        run_learner(
            interfacegan_direction, z.clone(), scores.clone(), name="interfacegan_direction"
        ),
        "interfacegan_direction",
        d,
    )
    cos = (out @ w / out.norm().clamp_min(1e-12)).item()
    if cos < -0.8:
        raise CheckFailed(
            "your direction *lowers* the score: the positives (label 1) must be the high scores, "
            "and the normal must point towards them.",
            mistake="flipped sign",
        )
    if cos < 0.8:
        raise CheckFailed(
            f"your direction is far from the true boundary normal (cosine {cos:.2f}). "
            "Label the top 30% of scores 1 and the bottom 30% 0, fit LogisticRegression on z, "
            "and use its coef_.",
            mistake="wrong direction",
        )
    if abs(out.norm().item() - 1) > 1e-3:
        raise CheckFailed(
            f"the direction has length {out.norm():.3f}: normalise it (n / |n|), otherwise the "
            "edit strength α means something different for every attribute.",
            mistake="unnormalised direction",
        )
    return passed(
        f"a unit normal pointing towards higher scores (cosine {cos:.2f} with the true one)."
    )


def check_orthogonalize(orthogonalize) -> bool:
    """Check ``orthogonalize(n1, n2) -> unit n1' with n1'·n2 = 0``, for n2 of any length."""
    g = torch.Generator().manual_seed(10)
    d = 16
    n1 = torch.randn(d, generator=g)
    n1 = n1 / n1.norm()
    n2 = torch.randn(d, generator=g)
    n2 = 0.6 * n1 + 0.4 * n2 / n2.norm()
    n2_unit = n2 / n2.norm()
    expected = n1 - (n1 @ n2_unit) * n2_unit
    expected = expected / expected.norm()
    out = _vector(
        run_learner(orthogonalize, n1.clone(), n2_unit.clone(), name="orthogonalize"),
        "orthogonalize",
        d,
    )
    if torch.allclose(out, n1, atol=1e-4):
        raise CheckFailed(
            "you returned n1 unchanged: it is not orthogonalised, so the edit still moves the "
            "other attribute. Remove its component along n2: n1 - (n1·n2) n2.",
            mistake="not orthogonalised",
        )
    if abs((out @ n2_unit).item()) > 1e-3:
        if abs(abs(out @ n2_unit) - 1) < 1e-3:
            raise CheckFailed(
                "your result is parallel to n2: that is the projection (n1·n2) n2, the part to "
                "*remove*. Subtract it from n1.",
                mistake="projection instead of rejection",
            )
        raise CheckFailed(
            "the result must be orthogonal to n2; "
            f"the dot product is {(out @ n2_unit).item():.3f}. "
            "Use n1 - (n1·n2) n2.",
            mistake="not orthogonal",
        )
    if abs(out.norm().item() - 1) > 1e-3:
        raise CheckFailed(
            f"the result has length {out.norm():.3f}; divide by its norm so it is a unit direction "
            "again (removing a component makes it shorter).",
            mistake="unnormalised direction",
        )
    if not torch.allclose(out, expected, atol=1e-3):
        raise CheckFailed(
            "orthogonal to n2 and unit length, but not the part of n1 orthogonal to n2: "
            "start from n1 and subtract (n1·n2) n2.",
            mistake="wrong direction",
        )
    out2 = _vector(
        run_learner(orthogonalize, n1.clone(), 3.0 * n2_unit, name="orthogonalize"),
        "orthogonalize",
        d,
    )
    if abs((out2 @ n2_unit).item()) > 1e-3 or not torch.allclose(out2, expected, atol=1e-3):
        raise CheckFailed(
            "with an n2 that is not unit length (here |n2| = 3) your result is wrong: "
            "n1 - (n1·n2) n2 assumes |n2| = 1. Normalise n2 first.",
            mistake="n2 not normalised",
        )
    return passed("unit length, orthogonal to n2, and the closest such direction to n1.")


def check_feature_edit(edit_in_features) -> bool:
    """Check ``edit_in_features(G, z (B, z_dim), n (d_h,), alpha) -> images``: the edit
    ``h + α n`` made on ``h = G.blocks[0](z)`` (after block 0's ReLU), then the remaining
    blocks."""
    torch.manual_seed(11)
    G = Generator(z_dim=8, image_size=16, width=4).eval().requires_grad_(False)
    fs = FeatureSpace(G)
    g = torch.Generator().manual_seed(12)
    z = torch.randn(4, 8, generator=g)
    n = torch.randn(fs.z_dim, generator=g)
    n = n / n.norm()
    alpha = 2.0
    h = fs.features(z)
    expected = fs(h + alpha * n)
    with torch.no_grad():
        out = run_learner(edit_in_features, G, z.clone(), n.clone(), alpha, name="edit_in_features")
    if not isinstance(out, torch.Tensor):
        raise CheckFailed(
            "`edit_in_features` must return the images as a torch.Tensor, "
            f"got {type(out).__name__}.",
            mistake="not a tensor",
        )
    out = out.detach().float()
    if tuple(out.shape) != tuple(expected.shape):
        raise CheckFailed(
            f"expected images of shape {tuple(expected.shape)}, got {tuple(out.shape)}. "
            "Run block 0 on z as (B, z_dim, 1, 1), add α n reshaped to h's shape, "
            "then run blocks 1, 2, ... on the result.",
            mistake="shape",
        )
    if torch.allclose(out, expected, atol=1e-4):
        return passed(
            "h = block0(z), h + α n, then the remaining blocks: "
            "the same images as editing.FeatureSpace."
        )
    with torch.no_grad():
        if torch.allclose(out, G(z), atol=1e-4):
            raise CheckFailed(
                "these are the unedited faces G(z): "
                "add α n to h before running the remaining blocks.",
                mistake="not edited",
            )
        for wrong_alpha in (1.0, 2 * alpha):
            if torch.allclose(out, fs(h + wrong_alpha * n), atol=1e-4):
                raise CheckFailed(
                    f"the edit moved h by {wrong_alpha:g} n, not α n with α = {alpha:g}: "
                    "multiply the direction by α once.",
                    mistake="alpha",
                )
        pre = G.blocks[0][:-1](z[:, :, None, None])  # block 0 without its final ReLU
        before_relu = torch.relu(pre + alpha * n.view(pre.shape[1:]))
        for block in G.blocks[1:]:
            before_relu = block(before_relu)
        if torch.allclose(out, before_relu, atol=1e-4):
            raise CheckFailed(
                "you edited before block 0's ReLU. h is the block's *output* (after the ReLU): the "
                "ReLU is what makes h a non-linear function of z.",
                mistake="before the ReLU",
            )
    raise CheckFailed(
        "the images differ from h = block0(z), h + α n, then blocks 1, 2, ... "
        "Check that you run block 0 once, reshape n to h's shape (C, s, s), and run every "
        "remaining block in order.",
        mistake="wrong images",
    )
