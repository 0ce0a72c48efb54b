"""Checks for ``exercises/03_losses.ipynb``: non-saturating G loss, hinge D loss, gradient
penalty."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gancourse.models import MLPDiscriminator

from ._core import CheckFailed, passed, run_learner

REAL = torch.tensor([-3.0, -0.5, 0.0, 0.7, 2.5, 1.4])
FAKE = torch.tensor([-2.0, 0.3, 1.1, -0.1, 4.0, -0.6])


def _scalar(out, name):
    if not isinstance(out, torch.Tensor):
        raise CheckFailed(
            f"`{name}` must return a torch.Tensor, got {type(out).__name__}.",
            mistake="not a tensor",
        )
    if out.numel() != 1:
        raise CheckFailed(
            f"`{name}` must return one number (the mean over the batch), got shape "
            f"{tuple(out.shape)}: add .mean().",
            mistake="not reduced",
        )
    return out.reshape(())


def check_g_loss_nonsaturating(g_loss_nonsaturating) -> bool:
    """Check ``g_loss_nonsaturating(fake_logits) = mean(softplus(-l)) = -mean(log D(G(z)))``."""
    out = _scalar(
        run_learner(g_loss_nonsaturating, FAKE.clone(), name="g_loss_nonsaturating"),
        "g_loss_nonsaturating",
    )
    expected = F.softplus(-FAKE).mean()
    if torch.allclose(out, -F.softplus(FAKE).mean(), atol=1e-5):
        raise CheckFailed(
            "that is the *saturating* loss log(1 - D(G(z))): its gradient vanishes when D "
            "rejects the fakes. Use -log D(G(z)) = softplus(-logits).",
            mistake="saturating loss",
        )
    if torch.allclose(out, -expected, atol=1e-5):
        raise CheckFailed(
            "the sign is flipped: G *minimises* -log D(G(z)), a positive number.",
            mistake="flipped sign",
        )
    if torch.allclose(out, F.softplus(FAKE).mean(), atol=1e-5):
        raise CheckFailed(
            "that is -log(1 - D(G(z))): the loss of a G that wants to look *fake*. "
            "G's target label is 1 (real).",
            mistake="flipped labels",
        )
    if torch.allclose(out, F.softplus(-FAKE).sum(), atol=1e-5):
        raise CheckFailed(
            "use the mean over the batch, not the sum.", mistake="sum instead of mean"
        )
    if not torch.allclose(out, expected, atol=1e-5):
        raise CheckFailed(
            f"expected {expected.item():.4f} for these logits, got {out.item():.4f}. "
            "-log sigmoid(l) = softplus(-l).",
            mistake="wrong formula",
        )
    extreme = torch.tensor([-200.0, 0.0, 200.0])
    value = _scalar(
        run_learner(g_loss_nonsaturating, extreme, name="g_loss_nonsaturating"),
        "g_loss_nonsaturating",
    )
    if not torch.isfinite(value):
        raise CheckFailed(
            "for a logit of -200 your loss is inf: log(sigmoid(l)) underflows. "
            "Use F.softplus(-logits) (or F.logsigmoid), which is exact and stable.",
            mistake="unstable log(sigmoid)",
        )
    return passed("non-saturating G loss, stable on extreme logits.")


def check_d_loss_hinge(d_loss_hinge) -> bool:
    """Check ``d_loss_hinge(real, fake) = mean(max(0, 1 - real)) + mean(max(0, 1 + fake))``."""
    out = _scalar(
        run_learner(d_loss_hinge, REAL.clone(), FAKE.clone(), name="d_loss_hinge"), "d_loss_hinge"
    )
    expected = F.relu(1 - REAL).mean() + F.relu(1 + FAKE).mean()
    if torch.allclose(out, F.relu(1 + REAL).mean() + F.relu(1 - FAKE).mean(), atol=1e-5):
        raise CheckFailed(
            "real and fake are swapped: real logits should be pushed *above* +1 "
            "(max(0, 1 - real)), fake logits *below* -1 (max(0, 1 + fake)).",
            mistake="flipped labels",
        )
    if torch.allclose(out, (1 - REAL).mean() + (1 + FAKE).mean(), atol=1e-5):
        raise CheckFailed(
            "without max(0, ·) this is just a linear (Wasserstein-like) loss: samples beyond "
            "the margin must contribute nothing. Use torch.clamp(..., min=0) or F.relu.",
            mistake="missing max(0, ·)",
        )
    if torch.allclose(out, F.relu(-REAL).mean() + F.relu(FAKE).mean(), atol=1e-5):
        raise CheckFailed(
            "the margin is missing: it is max(0, 1 - real), not max(0, -real).",
            mistake="missing margin",
        )
    if torch.allclose(out, F.relu(1 - REAL).mean() + F.relu(1 - FAKE).mean(), atol=1e-5):
        raise CheckFailed(
            "the sign of the fake term is flipped: it is max(0, 1 + fake).", mistake="flipped sign"
        )
    if not torch.allclose(out, expected, atol=1e-5):
        raise CheckFailed(
            f"expected {expected.item():.4f} for these logits, got {out.item():.4f}.",
            mistake="wrong formula",
        )
    return passed("hinge loss with margin 1, real above +1, fake below -1.")


def _gp_setup():

    torch.manual_seed(0)
    D = MLPDiscriminator(hidden=16, depth=2)
    g = torch.Generator().manual_seed(1)
    real = torch.randn(16, 2, generator=g) * 0.5 + 2
    fake = torch.randn(16, 2, generator=g)
    eps = torch.rand(16, 1, generator=g)
    return D, real, fake, eps


def _grads(D, x):
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x).sum(), x)
    return grad.flatten(1)


def check_gradient_penalty(gradient_penalty) -> bool:
    """Check ``gradient_penalty(D, real, fake, eps) = mean((‖∇D(x̂)‖₂ - 1)²)``,
    ``x̂ = eps·real + (1-eps)·fake``.

    Recognises: no create_graph, squared norm, norm over the whole batch, missing square, the
    penalty at the real or fake points instead of the interpolates.
    """
    D, real, fake, eps = _gp_setup()
    out = run_learner(
        gradient_penalty, D, real.clone(), fake.clone(), eps.clone(), name="gradient_penalty"
    )
    out = _scalar(out, "gradient_penalty")
    mixed = eps * real + (1 - eps) * fake
    grad = _grads(D, mixed)
    norms = grad.norm(dim=1)
    expected = ((norms - 1) ** 2).mean()
    other = (
        (_grads(D, (1 - eps) * real + eps * fake).norm(dim=1) - 1) ** 2
    ).mean()  # ε on the other side: fine
    value = out.detach()
    candidates = {
        "penalty on real points": ((_grads(D, real).norm(dim=1) - 1) ** 2).mean(),
        "penalty on fake points": ((_grads(D, fake).norm(dim=1) - 1) ** 2).mean(),
        "squared norm": ((grad.pow(2).sum(1) - 1) ** 2).mean(),
        "norm over the batch": (grad.norm() - 1) ** 2,
        "missing square": (norms - 1).mean(),
        "no -1 target": norms.pow(2).mean(),
        "no abs/norm": ((grad - 1) ** 2).mean(),
    }
    hints = {
        "penalty on real points": "you penalise the gradient at the real points: the penalty "
        "lives on the interpolates x̂ = eps * real + (1 - eps) * fake.",
        "penalty on fake points": "you penalise the gradient at the fake points: the penalty "
        "lives on the interpolates x̂ = eps * real + (1 - eps) * fake.",
        "squared norm": "use the norm ‖g‖₂ (grad.norm(2, dim=1)), not the squared norm, before "
        "subtracting 1.",
        "norm over the batch": "take one gradient norm per sample "
        "(grad.flatten(1).norm(2, dim=1)), then the mean over the batch, not one norm of the "
        "whole batch.",
        "missing square": "square the deviation: mean((‖g‖ - 1)²); without the square, norms "
        "below 1 are rewarded.",
        "no -1 target": "the target norm is 1: (‖g‖ - 1)², not ‖g‖² (that would be R1-style, "
        "pushing to 0).",
        "no abs/norm": "reduce each sample's gradient to its length ‖g‖₂ first "
        "(grad.norm(2, dim=1)); (g - 1)² elementwise is not a norm.",
    }
    close_to_expected = torch.allclose(value, expected, atol=1e-5) or torch.allclose(
        value, other, atol=1e-5
    )
    if not close_to_expected:
        for name, candidate in candidates.items():
            if torch.allclose(value, candidate, atol=1e-5):
                raise CheckFailed(hints[name], mistake=name)
        raise CheckFailed(
            f"expected {expected.item():.4f} for this D and batch, got {value.item():.4f}. "
            "x̂ = eps * real + (1 - eps) * fake; g = ∇x̂ D(x̂); mean((‖g‖₂ - 1)²).",
            mistake="wrong value",
        )
    if not out.requires_grad:
        raise CheckFailed(
            "the penalty is not connected to D's weights, so it cannot train D: pass "
            "create_graph=True to torch.autograd.grad.",
            mistake="no create_graph",
        )
    D.zero_grad()
    out.backward()
    if all(p.grad is None or p.grad.abs().sum() == 0 for p in D.parameters()):
        raise CheckFailed(
            "backward() through your penalty gives D no gradient: use create_graph=True.",
            mistake="no create_graph",
        )
    return passed("gradient penalty on the interpolates, per-sample norm, differentiable w.r.t. D.")
