"""The lesson 01 checks pass on the solution and name the common mistakes."""

import pytest
import torch
import torch.nn.functional as F

from gancourse.checks import CheckFailed, NotImplementedYet, lesson01
from tests.test_checks_core import crash_prone


def good_optimal(p_data, p_g):
    return p_data / (p_data + p_g)


def bce_on_probabilities(r, f):
    return F.binary_cross_entropy(torch.sigmoid(r), torch.ones_like(r)) + (
        F.binary_cross_entropy(torch.sigmoid(f), torch.zeros_like(f))
    )


LOSSES = {  # the D loss on real logits r and fake logits f, right and wrong
    "right": lambda r, f: F.softplus(-r).mean() + F.softplus(f).mean(),
    "flipped labels": lambda r, f: F.softplus(r).mean() + F.softplus(-f).mean(),
    "flipped sign": lambda r, f: -(F.softplus(-r).mean() + F.softplus(f).mean()),
    "BCE on probabilities": bce_on_probabilities,
    "epsilon": lambda r, f: (
        -(torch.log(torch.sigmoid(r) + 1e-8) + torch.log(1 - torch.sigmoid(f) + 1e-8)).mean()
    ),
    "naive log": lambda r, f: (
        -(torch.log(torch.sigmoid(r)) + torch.log(1 - torch.sigmoid(f))).mean()
    ),
    "real detached": lambda r, f: F.softplus(-r.detach()).mean() + F.softplus(f).mean(),
}


def make_step(
    detach=True, zero_grad=True, step=True, loss="right", order="zbs", ret=lambda x: x, own=False
):
    """A D step; ``order`` is the order of zero_grad (z), backward (b), step (s)."""

    def discriminator_step(G, D, real, z, opt_d):
        fake = G(z).detach() if detach else G(z)
        opt = torch.optim.SGD(D.parameters(), lr=0.1) if own else opt_d
        value = LOSSES[loss](D(real), D(fake))
        for action in order:
            if action == "z" and zero_grad:
                opt.zero_grad()
            if action == "b":
                value.backward()
            if action == "s" and step:
                opt.step()
        return ret(value)

    return discriminator_step


def test_solutions_pass(capsys):
    assert lesson01.check_optimal_discriminator(good_optimal)
    assert lesson01.check_d_step(make_step())
    assert capsys.readouterr().out.count("✅ Passed") == 2


def blank(*_):
    raise NotImplementedError()


@pytest.mark.parametrize("check", [lesson01.check_optimal_discriminator, lesson01.check_d_step])
def test_blank_is_not_implemented(check):
    with pytest.raises(NotImplementedYet):
        check(blank)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("flipped ratio", lambda a, b: b / (a + b)),
        ("not normalised", lambda a, b: a / b),
        ("numerator only", lambda a, b: a),
        ("wrong formula", lambda a, b: a / (a + 2 * b)),
        ("shape", lambda a, b: (a / (a + b)).mean()),
        ("not a tensor", lambda a, b: (a / (a + b)).tolist()),
        ("not a tensor", lambda a, b: (a / (a + b)).numpy()),
        ("not a tensor", lambda a, b: None),
        ("dtype", lambda a, b: (a / (a + b)).float()),  # the float64 batch comes back float32
        ("dtype", lambda a, b: torch.tensor((a / (a + b)).tolist())),
        ("in place", lambda a, b: a.div_(a + b)),
    ],
)
def test_optimal_discriminator_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson01.check_optimal_discriminator(func)
    assert info.value.mistake == mistake


@pytest.mark.parametrize(
    "mistake,kwargs",
    [
        ("missing detach", dict(detach=False)),
        ("flipped labels", dict(loss="flipped labels")),
        ("flipped sign", dict(loss="flipped sign")),
        ("missing zero_grad", dict(zero_grad=False)),
        ("no optimizer step", dict(step=False)),
        ("zero_grad after backward", dict(order="bzs")),
        ("missing zero_grad", dict(order="bsz")),  # zero_grad at the end: too late
        ("no backward", dict(order="zs")),
        ("own optimizer", dict(own=True)),
        ("real term detached", dict(loss="real detached")),
        ("BCE on probabilities", dict(loss="BCE on probabilities")),  # right at moderate logits
        ("extreme logits", dict(loss="epsilon")),
        ("unstable log(sigmoid)", dict(loss="naive log")),
        ("not a tensor", dict(ret=lambda x: x.item())),
        ("not a tensor", dict(ret=lambda x: None)),
        ("dtype", dict(ret=lambda x: x.double())),
        ("shape", dict(ret=lambda x: x.expand(3))),
    ],
)
def test_d_step_mistakes_named(mistake, kwargs):
    with pytest.raises(CheckFailed) as info:
        lesson01.check_d_step(make_step(**kwargs))
    assert info.value.mistake == mistake


def test_d_step_in_place_and_manual_update_named():
    def noisy_real(G, D, real, z, opt_d):
        real += 0.01  # "instance noise", added to the caller's batch
        return make_step()(G, D, real, z, opt_d)

    def manual_update(G, D, real, z, opt_d):  # a hard-coded learning rate, no optimiser
        D.zero_grad()
        loss = LOSSES["right"](D(real), D(G(z).detach()))
        loss.backward()
        with torch.no_grad():
            for p in D.parameters():
                p -= 0.1 * p.grad
        return loss

    for mistake, func in (("in place", noisy_real), ("own optimizer", manual_update)):
        with pytest.raises(CheckFailed) as info:
            lesson01.check_d_step(func)
        assert info.value.mistake == mistake


def test_d_step_library_version_passes():
    """gancourse.train.d_step is a correct D step too."""
    from gancourse import train

    def via_library(G, D, real, z, opt_d):
        return train.d_step(G, D, real, z, opt_d)["d_loss"]

    assert lesson01.check_d_step(via_library)
    assert torch.is_tensor(torch.tensor(0.0))


@pytest.mark.parametrize("func", crash_prone(good_optimal, grads=False))
def test_check_optimal_discriminator_answers_crash_prone_results_with_a_hint(func):
    with pytest.raises(CheckFailed):  # a hint, never another exception
        lesson01.check_optimal_discriminator(func)


@pytest.mark.parametrize("func", crash_prone(make_step(), grads=False))
def test_check_d_step_answers_crash_prone_results_with_a_hint(func):
    with pytest.raises(CheckFailed):  # a hint, never another exception
        lesson01.check_d_step(func)
