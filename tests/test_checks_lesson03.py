"""The lesson 03 checks pass on the solution (and the library) and name the common mistakes."""

import pytest
import torch
import torch.nn.functional as F

from gancourse import losses
from gancourse.checks import CheckFailed, NotImplementedYet, lesson03
from tests.test_checks_core import crash_prone


def good_gp(D, real, fake, eps):
    mixed = (eps * real + (1 - eps) * fake).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(mixed).sum(), mixed, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def _bce_on_probabilities(f):
    return F.binary_cross_entropy(torch.sigmoid(f), torch.ones_like(f))


def test_solutions_and_library_pass(capsys):
    assert lesson03.check_g_loss_nonsaturating(lambda f: F.softplus(-f).mean())
    assert lesson03.check_g_loss_nonsaturating(losses.g_loss_nonsaturating)
    assert lesson03.check_g_loss_nonsaturating(lambda f: -F.logsigmoid(f).mean())
    assert lesson03.check_d_loss_hinge(losses.d_loss_hinge)
    assert lesson03.check_gradient_penalty(good_gp)
    swapped = lambda D, r, f, e: good_gp(D, f, r, e)  # noqa: E731  ε on the other side is fine
    assert lesson03.check_gradient_penalty(swapped)
    assert capsys.readouterr().out.count("✅ Passed") == 6


def blank(*_):
    raise NotImplementedError()


@pytest.mark.parametrize(
    "check",
    [
        lesson03.check_g_loss_nonsaturating,
        lesson03.check_d_loss_hinge,
        lesson03.check_gradient_penalty,
    ],
)
def test_blank_is_not_implemented(check):
    with pytest.raises(NotImplementedYet):
        check(blank)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("saturating loss", lambda f: torch.log(1 - torch.sigmoid(f)).mean()),
        ("flipped sign", lambda f: torch.log(torch.sigmoid(f)).mean()),
        ("flipped labels", lambda f: F.softplus(f).mean()),
        ("sum instead of mean", lambda f: F.softplus(-f).sum()),
        ("unstable log(sigmoid)", lambda f: -torch.log(torch.sigmoid(f)).mean()),
        ("not reduced", lambda f: F.softplus(-f)),
        ("wrong formula", lambda f: (1 - torch.sigmoid(f)).mean()),
        ("BCE on probabilities", _bce_on_probabilities),
        ("extreme logits", lambda f: -torch.log(torch.sigmoid(f) + 1e-8).mean()),
        ("extreme logits", lambda f: -torch.log(torch.sigmoid(f).clamp(min=1e-7)).mean()),
        ("hard-coded batch size", lambda f: F.softplus(-f).sum() / 6),
        ("dtype", lambda f: F.softplus(-f).mean().float()),  # the float64 batch: float32 back
        ("dtype", lambda f: torch.tensor(F.softplus(-f).mean().item())),
        ("not a tensor", lambda f: F.softplus(-f).mean().item()),
        ("not a tensor", lambda f: None),
        ("in place", lambda f: F.softplus(f.neg_()).mean()),
        ("no gradient", lambda f: F.softplus(-f).mean().detach()),
        ("wrong gradient", lambda f: F.softplus(-f).mean() * 2 - F.softplus(-f.detach()).mean()),
    ],
)
def test_g_loss_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson03.check_g_loss_nonsaturating(func)
    assert info.value.mistake == mistake


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("flipped labels", lambda r, f: F.relu(1 + r).mean() + F.relu(1 - f).mean()),
        ("missing max(0, ·)", lambda r, f: (1 - r).mean() + (1 + f).mean()),
        ("missing margin", lambda r, f: F.relu(-r).mean() + F.relu(f).mean()),
        ("flipped sign", lambda r, f: F.relu(1 - r).mean() + F.relu(1 - f).mean()),
        ("wrong formula", lambda r, f: F.relu(1 - r).mean()),
        ("averaged the terms", lambda r, f: torch.cat([F.relu(1 - r), F.relu(1 + f)]).mean()),
        ("dtype", lambda r, f: (F.relu(1 - r).mean() + F.relu(1 + f).mean()).float()),
        ("not reduced", lambda r, f: F.relu(1 - r) + F.relu(1 + f)),
        ("not a tensor", lambda r, f: (F.relu(1 - r).mean(), F.relu(1 + f).mean())),
        ("in place", lambda r, f: F.relu(r.mul_(-1).add_(1)).mean() + F.relu(1 + f).mean()),
        ("wrong gradient", lambda r, f: F.relu(1 - r.detach()).mean() + F.relu(1 + f).mean()),
        ("no gradient", lambda r, f: (F.relu(1 - r).mean() + F.relu(1 + f).mean()).detach()),
    ],
)
def test_hinge_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson03.check_d_loss_hinge(func)
    assert info.value.mistake == mistake


def gp_variant(kind):
    def gp(D, real, fake, eps):
        point = {"real": real, "fake": fake}.get(kind, eps * real + (1 - eps) * fake)
        x = point.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(D(x).sum(), x, create_graph=kind != "no graph")
        grad = grad.flatten(1)
        if kind == "squared":
            return ((grad.pow(2).sum(1) - 1) ** 2).mean()
        if kind == "batch norm":
            return (grad.norm() - 1) ** 2
        if kind == "no square":
            return (grad.norm(dim=1) - 1).mean()
        if kind == "no target":
            return grad.norm(dim=1).pow(2).mean()
        if kind == "elementwise":
            return ((grad - 1) ** 2).mean()
        if kind == "detached":
            return ((grad.detach().norm(dim=1) - 1) ** 2).mean()
        if kind == "half detached":  # right value, half the gradient
            norms = grad.norm(dim=1)
            return ((norms - 1) * (norms.detach() - 1)).mean()
        if kind == "float32":
            return ((grad.norm(dim=1) - 1) ** 2).mean().float()
        return ((grad.norm(dim=1) - 1) ** 2).mean()

    return gp


@pytest.mark.parametrize(
    "mistake,kind",
    [
        ("penalty on real points", "real"),
        ("penalty on fake points", "fake"),
        ("squared norm", "squared"),
        ("norm over the batch", "batch norm"),
        ("missing square", "no square"),
        ("no -1 target", "no target"),
        ("no abs/norm", "elementwise"),
        ("no create_graph", "no graph"),
        ("detached", "detached"),
        ("wrong gradient", "half detached"),
        ("dtype", "float32"),  # the float64 run gets float32 back
    ],
)
def test_gradient_penalty_mistakes_named(mistake, kind):
    with pytest.raises(CheckFailed) as info:
        lesson03.check_gradient_penalty(gp_variant(kind))
    assert info.value.mistake == mistake


def _gp_by_backward(D, real, fake, eps):
    mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
    D(mixed).sum().backward()
    return ((mixed.grad.norm(dim=1) - 1) ** 2).mean()


def _gp_own_eps(D, real, fake, eps):
    return good_gp(D, real, fake, torch.rand_like(eps))


def _gp_in_place(D, real, fake, eps):
    real.mul_(eps).add_((1 - eps) * fake)  # x̂ built in the caller's real batch
    return good_gp(D, real, real, torch.ones_like(eps))


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("used backward", _gp_by_backward),
        ("ignores eps", _gp_own_eps),
        ("in place", _gp_in_place),
        ("not a tensor", lambda D, r, f, e: None),
        ("not reduced", lambda D, r, f, e: good_gp(D, r, f, e).expand(3)),
    ],
)
def test_gradient_penalty_other_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson03.check_gradient_penalty(func)
    assert info.value.mistake == mistake


@pytest.mark.parametrize("func", crash_prone(lambda f: F.softplus(-f).mean(), grads=True))
def test_check_g_loss_nonsaturating_answers_crash_prone_results_with_a_hint(func):
    with pytest.raises(CheckFailed):  # a hint, never another exception
        lesson03.check_g_loss_nonsaturating(func)


@pytest.mark.parametrize("func", crash_prone(losses.d_loss_hinge, grads=True))
def test_check_d_loss_hinge_answers_crash_prone_results_with_a_hint(func):
    with pytest.raises(CheckFailed):  # a hint, never another exception
        lesson03.check_d_loss_hinge(func)


@pytest.mark.parametrize("func", crash_prone(good_gp, grads=True))
def test_check_gradient_penalty_answers_crash_prone_results_with_a_hint(func):
    with pytest.raises(CheckFailed):  # a hint, never another exception
        lesson03.check_gradient_penalty(func)


def good_r1(D, real, gamma):
    x = real.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
    return gamma / 2 * grad.flatten(1).pow(2).sum(1).mean()


def r1_variant(kind):
    def r1(D, real, gamma):
        x = real if kind == "caller's batch" else real.detach()
        x = x.requires_grad_(True)
        if kind == "backward":
            D(x).sum().backward()
            return gamma / 2 * x.grad.pow(2).sum(1).mean()
        (grad,) = torch.autograd.grad(D(x).sum(), x, create_graph=kind != "no graph")
        sq = grad.pow(2).sum(1)
        return {
            "no half": lambda: gamma * sq.mean(),
            "gamma 10": lambda: 10 / 2 * sq.mean(),
            "gamma 1": lambda: sq.mean() / 2,
            "norm": lambda: gamma / 2 * sq.sqrt().mean(),
            "target 1": lambda: gamma / 2 * (sq.sqrt() - 1).pow(2).mean(),
            "sum": lambda: gamma / 2 * sq.sum(),
            "mean all": lambda: gamma / 2 * grad.pow(2).mean(),
            "detached": lambda: gamma / 2 * grad.detach().pow(2).sum(1).mean(),
            "half detached": lambda: gamma / 2 * (grad * grad.detach()).sum(1).mean(),
            "float32": lambda: (gamma / 2 * sq.mean()).float(),
            "per sample": lambda: gamma / 2 * sq,
            "item": lambda: (gamma / 2 * sq.mean()).item(),
            "in place": lambda: gamma / 2 * sq.mean() + 0 * real.mul_(1.01).sum(),
        }.get(kind, lambda: gamma / 2 * sq.mean())()

    return r1


def test_r1_solution_and_library_pass(capsys):
    assert lesson03.check_r1_penalty(good_r1)
    assert lesson03.check_r1_penalty(lambda D, real, gamma: gamma / 2 * losses.r1_penalty(D, real))
    assert capsys.readouterr().out.count("✅ Passed") == 2


def test_r1_blank_is_not_implemented():
    with pytest.raises(NotImplementedYet):
        lesson03.check_r1_penalty(blank)


@pytest.mark.parametrize(
    "mistake,kind",
    [
        ("missing 1/2", "no half"),
        ("hard-coded gamma", "gamma 10"),
        ("hard-coded gamma", "gamma 1"),
        ("norm not squared", "norm"),
        ("target 1", "target 1"),
        ("sum instead of mean", "sum"),
        ("mean over coordinates", "mean all"),
        ("no create_graph", "no graph"),
        ("detached", "detached"),
        ("used backward", "backward"),
        ("wrong gradient", "half detached"),
        ("dtype", "float32"),  # the float64 run gets float32 back
        ("not reduced", "per sample"),
        ("not a tensor", "item"),
        ("in place", "in place"),
        ("in place", "caller's batch"),  # requires_grad_ on the caller's tensor
    ],
)
def test_r1_mistakes_named(mistake, kind):
    with pytest.raises(CheckFailed) as info:
        lesson03.check_r1_penalty(r1_variant(kind))
    assert info.value.mistake == mistake


@pytest.mark.parametrize("func", crash_prone(good_r1, grads=True))
def test_check_r1_penalty_answers_crash_prone_results_with_a_hint(func):
    with pytest.raises(CheckFailed):  # a hint, never another exception
        lesson03.check_r1_penalty(func)
