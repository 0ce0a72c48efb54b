"""Checks for ``exercises/05_conditional_gans.ipynb``: one-hot conditioning, the projection
discriminator.

One-hot conditioning of a generator (Mirza & Osindero, 2014)::

    h = [z, one_hot(y)]        (B, d) and (B,) -> (B, d + K), z's dtype

Projection discriminator (Miyato & Koyama, 2018), for one attribute with K classes, as in
:class:`gancourse.models.conditional.ProjectionDiscriminator`::

    D(x, y) = ψ(φ(x)) + <V[y], φ(x)>     φ(x) (B, F), ψ = Linear(F, 1), V = Embedding(K, F) -> (B,)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gancourse.models.conditional import ProjectionDiscriminator

from ._core import CheckFailed, expect_tensor, grads_of, needs_grad, passed, run_pure


def _tensor(out, name: str) -> torch.Tensor:
    return expect_tensor(out, name=name)  # type only: shapes get their own hints


def check_one_hot_concat(one_hot_concat) -> bool:
    """Check ``one_hot_concat(z, labels, classes) =
    torch.cat([z, F.one_hot(labels, classes).float()], 1)``.

    The test batch leaves out the top classes, so ``F.one_hot(labels)`` without ``num_classes`` is
    too narrow. Recognises: raw integer labels instead of one-hot, concatenation along the batch
    dimension, an integer (long) result, a class count that is not ``classes``, one-hot before z.
    """
    g = torch.Generator().manual_seed(5)
    cases = [
        (torch.randn(5, 6, generator=g), torch.tensor([0, 2, 1, 3, 2]), 6),  # classes 4, 5 absent
        (torch.randn(4, 3, generator=g, dtype=torch.float64), torch.tensor([3, 0, 1, 2]), 4),
    ]  # other sizes and dtype: nothing hard-coded, z's dtype kept
    for z, labels, classes in cases:
        b, d = z.shape
        out = _tensor(
            run_pure(one_hot_concat, z, labels, classes, name="one_hot_concat"), "one_hot_concat"
        )
        expected = torch.cat([z, F.one_hot(labels, classes).float()], 1)
        if out.dim() == 2 and out.shape[0] == 2 * b:
            raise CheckFailed(
                f"your output has {out.shape[0]} rows for a batch of {b}: you concatenated "
                "along dim 0 (the batch). Each sample's vector grows, so concatenate along "
                "dim 1: torch.cat([z, onehot], dim=1).",
                mistake="wrong dim",
            )
        if tuple(out.shape) == (b, d + 1):
            raise CheckFailed(
                f"your output is (B, d + 1) = {tuple(out.shape)}: the label went in as one number. "
                "A class index is not a quantity (class 3 is not 'three times' class 1); "
                "encode it as a one-hot vector of length `classes`: F.one_hot(labels, classes).",
                mistake="not one-hot",
            )
        if out.dim() == 2 and out.shape[0] == b and out.shape[1] != d + classes:
            raise CheckFailed(
                f"expected (B, d + classes) = {(b, d + classes)}, got {tuple(out.shape)}. Pass "
                "num_classes: F.one_hot(labels, classes); without it the width is "
                "labels.max() + 1, which changes with the batch.",
                mistake="classes mismatch",
            )
        if tuple(out.shape) != (b, d + classes):
            raise CheckFailed(
                f"expected shape (B, d + classes) = {(b, d + classes)}, got {tuple(out.shape)}.",
                mistake="wrong shape",
            )
        if not out.is_floating_point():
            raise CheckFailed(
                f"your output is {out.dtype}: F.one_hot returns integers (int64). Convert the "
                "one-hot with .float() and keep z as it is; the generator needs a float input.",
                mistake="one-hot left as long",
            )
        out = expect_tensor(out, like=z, name="one_hot_concat").detach()
        if torch.allclose(out, torch.cat([F.one_hot(labels, classes).to(z.dtype), z], 1)):
            raise CheckFailed(
                "the one-hot comes first: put z first, [z, one_hot(y)], as the course's "
                "ConditionalGenerator does ([z, embeddings]).",
                mistake="wrong order",
            )
        if not torch.allclose(out, expected):
            raise CheckFailed(
                "right shape, wrong values: the first d columns are z unchanged, the last "
                "`classes` columns are one_hot(labels) (a single 1 at each label's index).",
                mistake="wrong values",
            )
    return passed("[z, one_hot(y)] in z's dtype, (B, d + classes).")


def _projection_setup(seed=0, b=6, f=5, k=4):
    torch.manual_seed(seed)
    psi, embedding = nn.Linear(f, 1), nn.Embedding(k, f)  # F features, K classes
    features = torch.randn(b, f, generator=torch.Generator().manual_seed(seed + 5))
    labels = torch.arange(b) * 3 % k  # every class, in a mixed order
    return features, psi, embedding, labels


def _reference(features, psi, embedding, labels):
    return psi(features).squeeze(1) + (embedding(labels) * features).sum(1)


def _projection_values(projection_logits, features, psi, embedding, labels):
    """Run the learner's function once; name a wrong shape, dtype or value."""
    b = len(labels)
    out = run_pure(projection_logits, features, psi, embedding, labels, name="projection_logits")
    out = _tensor(out, "projection_logits")
    if tuple(out.shape) == (b, 1):
        raise CheckFailed(
            f"your logits have shape (B, 1) = {tuple(out.shape)}; D's logits are (B,), as every "
            "loss in the course expects: squeeze ψ's output, psi(features).squeeze(1).",
            mistake="shape (B, 1)",
        )
    if tuple(out.shape) == (b, b):
        raise CheckFailed(
            f"your logits have shape (B, B) = {tuple(out.shape)}: ψ's output (B, 1) plus the inner "
            "products (B,) broadcast to a matrix. Squeeze first: psi(features).squeeze(1).",
            mistake="broadcast to (B, B)",
        )
    if tuple(out.shape) != (b,):
        raise CheckFailed(
            f"expected one logit per sample, shape {(b,)}, got {tuple(out.shape)}.",
            mistake="wrong shape",
        )
    out = expect_tensor(out, like=features, name="projection_logits")
    value = out.detach()
    with torch.no_grad():
        uncond = psi(features).squeeze(1)  # ψ(φ(x))
        every_class = uncond[:, None] + features @ embedding.weight.T  # (B, K): each label's score
        projection = (embedding(labels) * features).sum(1)  # <V[y], φ(x)>
        expected = uncond + projection
        mean_inner = uncond + (embedding(labels) * features).mean(1)
    if torch.allclose(value, projection, atol=1e-5):
        raise CheckFailed(
            "the unconditional term ψ(φ(x)) is missing: D must also say 'real or not' regardless "
            "of the label. Add psi(features).squeeze(1).",
            mistake="missing psi term",
        )
    if torch.allclose(value, uncond, atol=1e-5):
        raise CheckFailed(
            "the projection term <V[y], φ(x)> is missing: without it D ignores the label. Add "
            "(embedding(labels) * features).sum(1).",
            mistake="missing projection term",
        )
    if torch.allclose(value, mean_inner, atol=1e-5):
        raise CheckFailed(
            "the inner product is a *sum* over the features, <v, φ> = Σ_f v_f φ_f: use .sum(1), "
            "not .mean(1) (that divides the label's influence by F).",
            mistake="mean instead of sum",
        )
    if not torch.allclose(value, expected, atol=1e-5):
        matches = torch.isclose(value[:, None], every_class, atol=1e-5)  # (B, K)
        if matches.any(1).all():
            used = matches.float().argmax(1).tolist()
            raise CheckFailed(
                f"your scores are those of labels {used}, "
                f"but the batch's labels are {labels.tolist()}: "
                "look up the embedding of the given labels, embedding(labels).",
                mistake="wrong labels",
            )
        raise CheckFailed(
            f"expected {[round(v, 4) for v in expected.tolist()]}, "
            f"got {[round(v, 4) for v in value.tolist()]}. "
            "D(x, y) = psi(features).squeeze(1) + (embedding(labels) * features).sum(1).",
            mistake="wrong formula",
        )
    return out


def _projection_grads(projection_logits):
    """Gradient values w.r.t. ψ, V and the features, against the reference's; name a detached
    term."""
    features, psi, embedding, labels = _projection_setup()
    features.requires_grad_(True)
    out = _projection_values(projection_logits, features, psi, embedding, labels)
    needs_grad(out, name="projection_logits", what=", so D could not learn ψ or V")
    targets = {
        "psi term detached": ([psi.weight, psi.bias], "ψ gets no (or the wrong) gradient"),
        "projection term detached": ([embedding.weight], "the embedding V gets no gradient"),
        "features detached": ([features], "the gradient w.r.t. the features φ is wrong"),
    }
    reference = _reference(features, psi, embedding, labels)
    for mistake, (tensors, what) in targets.items():
        got, want = grads_of(out, tensors), grads_of(reference, tensors)
        if not all(torch.allclose(g, w, atol=1e-6, rtol=1e-4) for g, w in zip(got, want)):
            raise CheckFailed(
                f"the logits are right but {what}: part of your formula is detached "
                "(.detach(), torch.no_grad(), .data or a copy made with torch.tensor(...)). "
                "Compute both terms directly from features, psi and embedding.",
                mistake=mistake,
            )


def check_projection_logits(projection_logits) -> bool:
    """Check ``projection_logits(features, psi, embedding, labels) =
    ψ(φ).squeeze(1) + (V[y] * φ).sum(1)``.

    On B = 5, F = 7, K = 3, then on another seed with B = 6, F = 5, K = 4, where the gradients
    w.r.t. ψ, V and φ are compared with the reference's; then against the library: on
    :class:`ProjectionDiscriminator`'s own features, ψ and embedding, the result must equal
    ``D(x, y)``. Recognises: a missing ψ term, a missing projection term, the mean instead of the
    sum in the inner product, a (B, 1) or (B, B) result, the embedding of other labels than
    ``labels`` (e.g. all zeros), no gradient, a detached term, an in-place change to an input.
    """
    _projection_values(projection_logits, *_projection_setup(seed=1, b=5, f=7, k=3))
    _projection_grads(projection_logits)

    torch.manual_seed(0)
    D = ProjectionDiscriminator(image_size=16, channels=3, width=8, classes={"glasses": 2}).eval()
    x = torch.randn(4, 3, 16, 16, generator=torch.Generator().manual_seed(6))
    y = torch.tensor([[0], [1], [1], [0]])
    with torch.no_grad():
        phi = D.body(x).sum(dim=(2, 3))  # (B, F)
        mine = _projection_values(projection_logits, phi, D.psi, D.projections["glasses"], y[:, 0])
        library = D(x, y)
    if not torch.allclose(mine.reshape(library.shape), library, atol=1e-5):
        raise CheckFailed(
            "on ProjectionDiscriminator's own features, ψ and embedding your logits differ from "
            "D(x, y).",
            mistake="differs from the library",
        )
    return passed("ψ(φ(x)) + <V[y], φ(x)>, shape (B,), gradients to ψ, V and φ, as the library.")
