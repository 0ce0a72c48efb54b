"""Checks for ``exercises/03_losses.ipynb`` (lesson 03): non-saturating G loss, hinge D loss,
gradient penalty.

    L_G  = mean(softplus(-l)) = -mean(log sigmoid(l))                      l: fake logits
    L_D  = mean(max(0, 1 - real)) + mean(max(0, 1 + fake))                 (hinge)
    GP   = mean((‖∇_x̂ D(x̂)‖₂ - 1)²),  x̂ = eps·real + (1 - eps)·fake      (WGAN-GP)

Each check runs a float32 batch and a float64 one of another size and seed, names an in-place
change to an input, checks that the result carries a gradient before any ``backward()`` and
compares gradient *values* with the reference's. The G loss is also compared value by value at
logits of ±30, ±80 and -200, where log(sigmoid), BCE on probabilities and log(p + ε) fail.
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F

from gancourse.models import MLPDiscriminator

from ._core import (
    CheckFailed,
    expect_tensor,
    grads_of,
    needs_grad,
    passed,
    recognise,
    run_pure,
)

REAL = torch.tensor([-3.0, -0.5, 0.0, 0.7, 2.5, 1.4])
FAKE = torch.tensor([-2.0, 0.3, 1.1, -0.1, 4.0, -0.6])


def _logits(n, seed, dtype=torch.float64):
    return torch.randn(n, generator=torch.Generator().manual_seed(seed), dtype=dtype) * 2


def _scalar(out, like, name):
    if isinstance(out, torch.Tensor) and out.numel() != 1:
        raise CheckFailed(
            f"`{name}` must return one number (the mean over the batch), got shape "
            f"{tuple(out.shape)}: add .mean().",
            mistake="not reduced",
        )
    if isinstance(out, torch.Tensor):
        out = out.reshape(())
    return expect_tensor(out, like=like, shape=(), name=name)


def _same_grads(out, reference, inputs, name, hint):
    """needs_grad, then compare d out / d inputs with the reference's (mistake 'wrong gradient')."""
    needs_grad(out, name=name)
    for got, want in zip(grads_of(out, inputs), grads_of(reference, inputs)):
        if not torch.allclose(got, want, atol=1e-6, rtol=1e-4):
            raise CheckFailed(hint, mistake="wrong gradient")


def _g_loss_extremes(g_loss):
    """Compare the loss at single extreme logits with softplus(-l), computed exactly."""
    for logit in (-30.0, 30.0, -80.0, 80.0, -200.0):
        value = _scalar(
            run_pure(g_loss, torch.tensor([logit]), name="g_loss_nonsaturating"),
            torch.zeros(1),
            "g_loss_nonsaturating",
        ).item()
        exact = F.softplus(torch.tensor(-logit, dtype=torch.float64)).item()
        if abs(value - exact) <= 1e-4 * max(1.0, exact):
            continue
        if value != value or abs(value) == float("inf"):
            raise CheckFailed(
                f"for a logit of {logit:g} your loss is {value}: log(sigmoid(l)) underflows to "
                "log(0). Use F.softplus(-logits) (or -F.logsigmoid), which is exact and stable.",
                mistake="unstable log(sigmoid)",
            )
        if abs(value - 100) < 1e-3:
            raise CheckFailed(
                f"for a logit of {logit:g} your loss is 100, not {exact:g}: "
                "F.binary_cross_entropy on sigmoid(l) clamps log(p) at -100. Work on the logits: "
                "F.binary_cross_entropy_with_logits or F.softplus(-logits).",
                mistake="BCE on probabilities",
            )
        raise CheckFailed(
            f"for a logit of {logit:g} your loss is {value:.4g}, not {exact:.4g}: an ε or a clamp "
            "inside the log caps it (-log(1e-8) = 18.4). Use F.softplus(-logits), which is "
            "exact at any logit.",
            mistake="extreme logits",
        )


def check_g_loss_nonsaturating(g_loss_nonsaturating) -> bool:
    """Check ``g_loss_nonsaturating(fake_logits) = mean(softplus(-l)) = -mean(log D(G(z)))``."""
    name = "g_loss_nonsaturating"
    for logits in (FAKE, _logits(9, 3)):
        out = _scalar(run_pure(g_loss_nonsaturating, logits, name=name), logits, name)
        expected = F.softplus(-logits).mean()
        known = {
            "saturating loss": (
                -F.softplus(logits).mean(),
                "that is the *saturating* loss log(1 - D(G(z))): its gradient vanishes when D "
                "rejects the fakes. Use -log D(G(z)) = softplus(-logits).",
            ),
            "flipped sign": (
                -expected,
                "the sign is flipped: G *minimises* -log D(G(z)), a positive number.",
            ),
            "flipped labels": (
                F.softplus(logits).mean(),
                "that is -log(1 - D(G(z))): the loss of a G that wants to look *fake*. "
                "G's target label is 1 (real).",
            ),
            "sum instead of mean": (
                F.softplus(-logits).sum(),
                "use the mean over the batch, not the sum.",
            ),
            "hard-coded batch size": (
                F.softplus(-logits).sum() / len(FAKE),
                f"you divide by {len(FAKE)} whatever the batch: use .mean().",
            ),
        }
        if len(logits) == len(FAKE):
            del known["hard-coded batch size"]
        recognise(out, known)
        if not torch.allclose(out, expected, atol=1e-5):
            raise CheckFailed(
                f"expected {expected.item():.4f} for these logits, got {out.item():.4f}. "
                "-log sigmoid(l) = softplus(-l).",
                mistake="wrong formula",
            )
    _g_loss_extremes(g_loss_nonsaturating)
    logits = FAKE.clone().requires_grad_(True)
    _same_grads(
        run_pure(g_loss_nonsaturating, logits, name=name),
        F.softplus(-logits).mean(),
        [logits],
        name,
        "the value is right but the gradient w.r.t. the logits is not: is part of the loss "
        "computed from logits.detach() or a constant?",
    )
    return passed("non-saturating G loss, exact on extreme logits, gradient right.")


def check_d_loss_hinge(d_loss_hinge) -> bool:
    """Check ``d_loss_hinge(real, fake) = mean(max(0, 1 - real)) + mean(max(0, 1 + fake))``."""
    name = "d_loss_hinge"
    for real, fake in ((REAL, FAKE), (_logits(10, 4), _logits(10, 5))):
        out = _scalar(run_pure(d_loss_hinge, real, fake, name=name), real, name)
        expected = F.relu(1 - real).mean() + F.relu(1 + fake).mean()
        recognise(
            out,
            {
                "flipped labels": (
                    F.relu(1 + real).mean() + F.relu(1 - fake).mean(),
                    "real and fake are swapped: real logits should be pushed *above* +1 "
                    "(max(0, 1 - real)), fake logits *below* -1 (max(0, 1 + fake)).",
                ),
                "missing max(0, ·)": (
                    (1 - real).mean() + (1 + fake).mean(),
                    "without max(0, ·) this is just a linear (Wasserstein-like) loss: samples "
                    "beyond the margin must contribute nothing. Use torch.clamp(..., min=0) or "
                    "F.relu.",
                ),
                "missing margin": (
                    F.relu(-real).mean() + F.relu(fake).mean(),
                    "the margin is missing: it is max(0, 1 - real), not max(0, -real).",
                ),
                "flipped sign": (
                    F.relu(1 - real).mean() + F.relu(1 - fake).mean(),
                    "the sign of the fake term is flipped: it is max(0, 1 + fake).",
                ),
                "averaged the terms": (
                    expected / 2,
                    "each term is the mean over its own batch, and the two means are *added*: "
                    "torch.cat([...]).mean() or (a + b) / 2 halves the loss.",
                ),
            },
        )
        if not torch.allclose(out, expected, atol=1e-5):
            raise CheckFailed(
                f"expected {expected.item():.4f} for these logits, got {out.item():.4f}.",
                mistake="wrong formula",
            )
    real, fake = REAL.clone().requires_grad_(True), FAKE.clone().requires_grad_(True)
    out = run_pure(d_loss_hinge, real, fake, name=name)
    reference = F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    for term, logits in (("real", real), ("fake", fake)):
        _same_grads(
            out,
            reference,
            [logits],
            name,
            f"the value is right but the {term} term gives no (or the wrong) gradient: do not "
            f"detach the {term} logits.",
        )
    return passed("hinge loss with margin 1, real above +1, fake below -1, gradients right.")


def _gp_setup(seed=0, batch=16, dtype=torch.float32):
    torch.manual_seed(seed)
    D = MLPDiscriminator(hidden=16, depth=2).to(dtype)
    g = torch.Generator().manual_seed(seed + 1)
    real = torch.randn(batch, 2, generator=g, dtype=dtype) * 0.5 + 2
    fake = torch.randn(batch, 2, generator=g, dtype=dtype)
    eps = torch.rand(batch, 1, generator=g, dtype=dtype)
    return D, real, fake, eps


def _penalty_terms(D, x, create_graph=False):
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x).sum(), x, create_graph=create_graph)
    return grad.flatten(1)


def _gp(D, x, create_graph=False):
    return ((_penalty_terms(D, x, create_graph).norm(dim=1) - 1) ** 2).mean()


@contextlib.contextmanager
def _watch_autograd_grad(calls: list):
    """Record create_graph of every torch.autograd.grad call made meanwhile."""
    original = torch.autograd.grad

    def watched(*args, **kwargs):
        calls.append(bool(kwargs.get("create_graph", args[4] if len(args) > 4 else False)))
        return original(*args, **kwargs)

    torch.autograd.grad = watched
    try:
        yield
    finally:
        torch.autograd.grad = original


_GP_HINTS = {
    "penalty on real points": "you penalise the gradient at the real points: the penalty "
    "lives on the interpolates x̂ = eps * real + (1 - eps) * fake.",
    "penalty on fake points": "you penalise the gradient at the fake points: the penalty "
    "lives on the interpolates x̂ = eps * real + (1 - eps) * fake.",
    "squared norm": "use the norm ‖g‖₂ (grad.norm(2, dim=1)), not the squared norm, before "
    "subtracting 1.",
    "norm over the batch": "take one gradient norm per sample (grad.flatten(1).norm(2, dim=1)), "
    "then the mean over the batch, not one norm of the whole batch.",
    "missing square": "square the deviation: mean((‖g‖ - 1)²); without the square, norms "
    "below 1 are rewarded.",
    "no -1 target": "the target norm is 1: (‖g‖ - 1)², not ‖g‖² (that would be R1-style, "
    "pushing to 0).",
    "no abs/norm": "reduce each sample's gradient to its length ‖g‖₂ first "
    "(grad.norm(2, dim=1)); (g - 1)² elementwise is not a norm.",
}


def _no_graph_hint(calls, D):
    if not calls and any(p.grad is not None for p in D.parameters()):
        return (
            "you used backward() and x̂.grad: that gradient is a plain tensor without a graph "
            "(and backward() left gradients in D's .grad). Use "
            "torch.autograd.grad(D(x̂).sum(), x̂, create_graph=True).",
            "used backward",
        )
    if calls and not any(calls):
        return (
            "the penalty is not connected to D's weights, so it cannot train D: pass "
            "create_graph=True to torch.autograd.grad.",
            "no create_graph",
        )
    if any(calls):
        return (
            "you passed create_graph=True, but the result was cut from the graph afterwards: "
            "no .detach(), .item(), torch.no_grad() or torch.tensor(...) on the gradient or "
            "the penalty.",
            "detached",
        )
    return (
        "the penalty carries no gradient, so it cannot train D: use torch.autograd.grad(..., "
        "create_graph=True) and keep every later step in torch operations (no .detach()).",
        "no create_graph",
    )


def _check_gp_once(gradient_penalty, seed, batch, dtype):
    name = "gradient_penalty"
    D, real, fake, eps = _gp_setup(seed, batch, dtype)
    calls: list = []
    with _watch_autograd_grad(calls):
        out = run_pure(gradient_penalty, D, real, fake, eps, name=name)
    out = _scalar(out, real, name)
    again = run_pure(gradient_penalty, D, real, fake, eps, name=name)
    if isinstance(again, torch.Tensor) and not torch.allclose(again.detach(), out.detach()):
        raise CheckFailed(
            "two calls with the same arguments give different penalties: use the `eps` "
            "argument for the interpolation, do not draw your own torch.rand.",
            mistake="ignores eps",
        )
    mixed = eps * real + (1 - eps) * fake
    other = (1 - eps) * real + eps * fake  # ε on the other side: fine
    grad = _penalty_terms(D, mixed)
    norms = grad.norm(dim=1)
    value = out.detach()
    at = next((x for x in (mixed, other) if torch.allclose(value, _gp(D, x), atol=1e-5)), None)
    if at is None:
        candidates = {
            "penalty on real points": _gp(D, real),
            "penalty on fake points": _gp(D, fake),
            "squared norm": ((grad.pow(2).sum(1) - 1) ** 2).mean(),
            "norm over the batch": (grad.norm() - 1) ** 2,
            "missing square": (norms - 1).mean(),
            "no -1 target": norms.pow(2).mean(),
            "no abs/norm": ((grad - 1) ** 2).mean(),
        }
        recognise(value, {k: (v, _GP_HINTS[k]) for k, v in candidates.items()})
        raise CheckFailed(
            f"expected {_gp(D, mixed).item():.4f} for this D and batch, got {value.item():.4f}. "
            "x̂ = eps * real + (1 - eps) * fake; g = ∇x̂ D(x̂); mean((‖g‖₂ - 1)²).",
            mistake="wrong value",
        )
    if not out.requires_grad:
        hint, mistake = _no_graph_hint(calls, D)
        raise CheckFailed(hint, mistake=mistake)
    params = list(D.parameters())
    for got, want in zip(grads_of(out, params), grads_of(_gp(D, at, True), params)):
        if not torch.allclose(got, want, atol=1e-6, rtol=1e-4):
            raise CheckFailed(
                "the penalty's value is right but its gradient w.r.t. D's weights is not: part "
                "of it is detached (e.g. the norm or the gradient taken with .detach()).",
                mistake="wrong gradient",
            )


def check_gradient_penalty(gradient_penalty) -> bool:
    """Check ``gradient_penalty(D, real, fake, eps) = mean((‖∇D(x̂)‖₂ - 1)²)``,
    ``x̂ = eps·real + (1-eps)·fake``: 16 float32 points, then 12 float64 ones (another seed).

    Recognises: no create_graph, a detached result, backward() instead of autograd.grad, squared
    norm, norm over the whole batch, missing square, the penalty at the real or fake points,
    a random ε of its own, a gradient w.r.t. D's weights that differs from the reference's.
    """
    _check_gp_once(gradient_penalty, seed=0, batch=16, dtype=torch.float32)
    _check_gp_once(gradient_penalty, seed=7, batch=12, dtype=torch.float64)
    return passed("gradient penalty on the interpolates, per-sample norm, differentiable w.r.t. D.")


_R1_HINTS = {
    "missing 1/2": "R1 carries a factor 1/2: γ/2 · mean(‖∇D(x)‖²), you return γ · mean(...).",
    "hard-coded gamma": "the result does not follow the `gamma` argument: multiply by "
    "gamma / 2, not by a fixed number.",
    "norm not squared": "R1 uses the *squared* norm ‖∇D(x)‖² = grad.pow(2).sum(1), not ‖g‖.",
    "target 1": "that is WGAN-GP's (‖g‖ - 1)²: R1 pushes the gradient on real data to 0, "
    "so it is ‖g‖², with no -1.",
    "sum instead of mean": "sum each sample's squared gradient over its coordinates, then take "
    "the mean over the batch, not the sum.",
    "mean over coordinates": "sum over each sample's coordinates (grad.pow(2).sum(1)), then the "
    "mean over the batch: grad.pow(2).mean() also divides by the number of coordinates.",
}


def _check_r1_once(r1_penalty, seed, batch, dtype, gamma):
    name = "r1_penalty"
    D, real, _, _ = _gp_setup(seed, batch, dtype)
    calls: list = []
    with _watch_autograd_grad(calls):
        out = run_pure(r1_penalty, D, real, gamma, name=name)
    if real.requires_grad:
        raise CheckFailed(
            "`r1_penalty` switched on requires_grad of the caller's `real` batch in place: take "
            "x = real.detach().requires_grad_(True) and differentiate with respect to x.",
            mistake="in place",
        )
    out = _scalar(out, real, name)
    grad = _penalty_terms(D, real)
    sq = grad.pow(2).sum(1)
    value, r1 = out.detach(), sq.mean()
    if not torch.allclose(value, gamma / 2 * r1, atol=1e-6, rtol=1e-4):
        candidates = {
            "missing 1/2": gamma * r1,
            **{f"hard-coded gamma {c}": c / 2 * r1 for c in (1.0, 10.0, 0.1, 0.7, 3.0, 2.0)},
            "norm not squared": gamma / 2 * sq.sqrt().mean(),
            "target 1": gamma / 2 * (sq.sqrt() - 1).pow(2).mean(),
            "sum instead of mean": gamma / 2 * sq.sum(),
            "mean over coordinates": gamma / 2 * grad.pow(2).mean(),
        }
        for mistake, candidate in candidates.items():
            if torch.allclose(value, candidate, atol=1e-6, rtol=1e-4):
                key = "hard-coded gamma" if mistake.startswith("hard") else mistake
                raise CheckFailed(_R1_HINTS[key], mistake=key)
        raise CheckFailed(
            f"expected {(gamma / 2 * r1).item():.5f} for this D, batch and gamma={gamma}, got "
            f"{value.item():.5f}. g = ∇x D(x) at the real points; gamma / 2 * mean(‖g‖₂²).",
            mistake="wrong value",
        )
    if not out.requires_grad:
        hint, mistake = _no_graph_hint(calls, D)
        raise CheckFailed(hint.replace("x̂", "x"), mistake=mistake)
    params = list(D.parameters())
    reference = gamma / 2 * _penalty_terms(D, real, True).pow(2).sum(1).mean()
    for got, want in zip(grads_of(out, params), grads_of(reference, params)):
        if not torch.allclose(got, want, atol=1e-7, rtol=1e-4):
            raise CheckFailed(
                "the penalty's value is right but its gradient w.r.t. D's weights is not: part "
                "of it is detached (e.g. the gradient or its norm taken with .detach()).",
                mistake="wrong gradient",
            )


def check_r1_penalty(r1_penalty) -> bool:
    """Check ``r1_penalty(D, real, gamma) = γ/2 · mean(‖∇_x D(x)‖₂²)`` at the real points:
    16 float32 points with γ = 0.7, then 12 float64 ones with γ = 3 (another seed).

    Recognises: a missing 1/2, a hard-coded γ, the norm instead of its square, WGAN-GP's
    (‖g‖ - 1)², a sum over the batch, a mean over coordinates, no create_graph, a detached
    result, backward() instead of autograd.grad, requires_grad switched on the caller's batch.
    """
    _check_r1_once(r1_penalty, seed=2, batch=16, dtype=torch.float32, gamma=0.7)
    _check_r1_once(r1_penalty, seed=9, batch=12, dtype=torch.float64, gamma=3.0)
    return passed("R1 = γ/2 · mean(‖∇D(x)‖²) on real data, differentiable w.r.t. D.")
