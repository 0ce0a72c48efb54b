"""Checks for ``exercises/05_conditional_gans.ipynb``: one-hot conditioning, the projection
discriminator.

One-hot conditioning of a generator (Mirza & Osindero, 2014)::

    h = [z, one_hot(y)]        (B, d) and (B,) -> (B, d + K), float

Projection discriminator (Miyato & Koyama, 2018), for one attribute with K classes, as in
:class:`gancourse.models.conditional.ProjectionDiscriminator`::

    D(x, y) = ψ(φ(x)) + <V[y], φ(x)>     φ(x) (B, F), ψ = Linear(F, 1), V = Embedding(K, F) -> (B,)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gancourse.models.conditional import ProjectionDiscriminator

from ._core import CheckFailed, passed, run_learner


def _tensor(out, name: str) -> torch.Tensor:
    if not isinstance(out, torch.Tensor):
        raise CheckFailed(
            f"`{name}` must return a torch.Tensor, got {type(out).__name__}.",
            mistake="not a tensor",
        )
    return out


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
        (torch.randn(4, 3, generator=g), torch.tensor([3, 0, 1, 2]), 4),
    ]  # other sizes: nothing hard-coded
    for z, labels, classes in cases:
        b, d = z.shape
        out = _tensor(
            run_learner(one_hot_concat, z.clone(), labels.clone(), classes, name="one_hot_concat"),
            "one_hot_concat",
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
        out = out.detach().float()
        if torch.allclose(out, torch.cat([F.one_hot(labels, classes).float(), z], 1)):
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
    return passed("[z, one_hot(y)] as floats, (B, d + classes).")


def _projection_setup():
    torch.manual_seed(0)
    psi, embedding = nn.Linear(5, 1), nn.Embedding(4, 5)  # F = 5 features, K = 4 classes
    features = torch.randn(6, 5, generator=torch.Generator().manual_seed(5))
    labels = torch.tensor([2, 0, 3, 1, 3, 2])
    return features, psi, embedding, labels


def check_projection_logits(projection_logits) -> bool:
    """Check ``projection_logits(features, psi, embedding, labels) =
    ψ(φ).squeeze(1) + (V[y] * φ).sum(1)``.

    Then against the library: on :class:`ProjectionDiscriminator`'s own features, ψ and
    embedding, the result must equal ``D(x, y)``. Recognises: a missing ψ term, a missing
    projection term, the mean instead of the sum in the inner product, a (B, 1) or (B, B) result,
    the embedding of other labels than ``labels`` (e.g. all zeros), no gradient to ψ and V.
    """
    features, psi, embedding, labels = _projection_setup()
    b = len(labels)
    out = _tensor(
        run_learner(
            projection_logits,
            features.clone(),
            psi,
            embedding,
            labels.clone(),
            name="projection_logits",
        ),
        "projection_logits",
    )
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
    value = out.detach()
    with torch.no_grad():
        uncond = psi(features).squeeze(1)  # ψ(φ(x))
        every_class = (
            uncond[:, None] + features @ embedding.weight.T
        )  # (B, K): the score for each label
        projection = (embedding(labels) * features).sum(1)  # <V[y], φ(x)>
        expected = uncond + projection
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
    if torch.allclose(value, uncond + (embedding(labels) * features).mean(1).detach(), atol=1e-5):
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
    if not out.requires_grad:
        raise CheckFailed(
            "your logits carry no gradient, so D could not learn ψ or V: no torch.no_grad(), "
            ".detach() or .item() inside.",
            mistake="no gradient",
        )
    out.sum().backward()
    if (
        psi.weight.grad is None
        or embedding.weight.grad is None
        or embedding.weight.grad[labels].abs().sum() == 0
    ):
        raise CheckFailed(
            "backward() through your logits gives no gradient to ψ or to the embedding rows of the "
            "labels: compute them from psi and embedding directly.",
            mistake="no gradient",
        )

    torch.manual_seed(0)
    D = ProjectionDiscriminator(image_size=16, channels=3, width=8, classes={"glasses": 2}).eval()
    x = torch.randn(4, 3, 16, 16, generator=torch.Generator().manual_seed(6))
    y = torch.tensor([[0], [1], [1], [0]])
    with torch.no_grad():
        phi = D.body(x).sum(dim=(2, 3))  # (B, F)
        mine = run_learner(
            projection_logits,
            phi,
            D.psi,
            D.projections["glasses"],
            y[:, 0],
            name="projection_logits",
        )
        library = D(x, y)
    if not torch.allclose(
        _tensor(mine, "projection_logits").reshape(library.shape), library, atol=1e-5
    ):
        raise CheckFailed(
            "on ProjectionDiscriminator's own features, ψ and embedding your logits differ from "
            "D(x, y).",
            mistake="differs from the library",
        )
    return passed("ψ(φ(x)) + <V[y], φ(x)>, shape (B,), equal to ProjectionDiscriminator's logits.")
