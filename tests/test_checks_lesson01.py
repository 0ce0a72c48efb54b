"""The lesson 01 checks pass on the solution and name the common mistakes."""

import pytest
import torch
import torch.nn.functional as F

from gancourse.checks import CheckFailed, NotImplementedYet, lesson01


def good_optimal(p_data, p_g):
    return p_data / (p_data + p_g)


def make_step(detach=True, zero_grad=True, step=True, labels=1, sign=1):
    def discriminator_step(G, D, real, z, opt_d):
        fake = G(z).detach() if detach else G(z)
        if zero_grad:
            opt_d.zero_grad()
        if labels == 1:
            loss = F.softplus(-D(real)).mean() + F.softplus(D(fake)).mean()
        else:
            loss = F.softplus(D(real)).mean() + F.softplus(-D(fake)).mean()
        loss = sign * loss
        loss.backward()
        if step:
            opt_d.step()
        return loss

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
        ("not normalised", lambda a, b: a),
        ("wrong formula", lambda a, b: a / (a + 2 * b)),
        ("shape", lambda a, b: (a / (a + b)).mean()),
        ("not a tensor", lambda a, b: (a / (a + b)).tolist()),
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
        ("flipped labels", dict(labels=0)),
        ("flipped sign", dict(sign=-1)),
        ("missing zero_grad", dict(zero_grad=False)),
        ("no optimizer step", dict(step=False)),
    ],
)
def test_d_step_mistakes_named(mistake, kwargs):
    with pytest.raises(CheckFailed) as info:
        lesson01.check_d_step(make_step(**kwargs))
    assert info.value.mistake == mistake


def test_d_step_no_loss_returned():
    def no_return(G, D, real, z, opt_d):
        make_step()(G, D, real, z, opt_d)

    with pytest.raises(CheckFailed) as info:
        lesson01.check_d_step(no_return)
    assert info.value.mistake == "no loss returned"


def test_d_step_library_version_passes():
    """gancourse.train.d_step is a correct D step too."""
    from gancourse import train

    def via_library(G, D, real, z, opt_d):
        return train.d_step(G, D, real, z, opt_d)["d_loss"]

    assert lesson01.check_d_step(via_library)
    assert torch.is_tensor(torch.tensor(0.0))
