"""The lesson 09 checks pass on the solution (and the library) and name the common mistakes."""

import pytest
import torch
import torch.nn.functional as F

from gancourse.checks import CheckFailed, NotImplementedYet, lesson09
from gancourse.models import cyclegan, pix2pix


def g_loss(logits, fake, target, lam=100.0):
    return (
        F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        + lam * (fake - target).abs().mean()
    )


def cyc(a, b, G_ab, G_ba):
    return (G_ba(G_ab(a)) - a).abs().mean() + (G_ab(G_ba(b)) - b).abs().mean()


def blank(*_):
    raise NotImplementedError()


def test_solutions_and_library_pass(capsys):
    assert lesson09.check_pix2pix_generator_loss(g_loss)
    assert lesson09.check_pix2pix_generator_loss(
        lambda lg, f, t, lam: pix2pix.generator_loss(lg, f, t, lam)[0]
    )
    assert lesson09.check_cycle_loss(cyc)
    assert lesson09.check_cycle_loss(
        lambda a, b, G, F_: cyclegan.cycle_loss(a, F_(G(a))) + cyclegan.cycle_loss(b, G(F_(b)))
    )
    assert capsys.readouterr().out.count("✅ Passed") == 4


@pytest.mark.parametrize(
    "check", [lesson09.check_pix2pix_generator_loss, lesson09.check_cycle_loss]
)
def test_blank_is_not_implemented(check):
    with pytest.raises(NotImplementedYet):
        check(blank)


def _bce(logits, target):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


@pytest.mark.parametrize(
    "mistake,func",
    [
        (
            "L1 weight on the wrong term",
            lambda lg, f, t, lam=100.0: lam * _bce(lg, 1.0) + (f - t).abs().mean(),
        ),
        ("missing lambda", lambda lg, f, t, lam=100.0: _bce(lg, 1.0) + (f - t).abs().mean()),
        ("missing L1", lambda lg, f, t, lam=100.0: _bce(lg, 1.0)),
        ("missing adversarial", lambda lg, f, t, lam=100.0: lam * (f - t).abs().mean()),
        ("flipped labels", lambda lg, f, t, lam=100.0: _bce(lg, 0.0) + lam * (f - t).abs().mean()),
        (
            "L2 instead of L1",
            lambda lg, f, t, lam=100.0: _bce(lg, 1.0) + lam * ((f - t) ** 2).mean(),
        ),
        (
            "sum instead of mean",
            lambda lg, f, t, lam=100.0: _bce(lg, 1.0) + lam * (f - t).abs().sum(),
        ),
        (
            "unstable log(sigmoid)",
            lambda lg, f, t, lam=100.0: (
                -torch.log(torch.sigmoid(lg)).mean() + lam * (f - t).abs().mean()
            ),
        ),
        (
            "not reduced",
            lambda lg, f, t, lam=100.0: F.binary_cross_entropy_with_logits(
                lg, torch.ones_like(lg), reduction="none"
            ),
        ),
    ],
)
def test_pix2pix_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson09.check_pix2pix_generator_loss(func)
    assert info.value.mistake == mistake


@pytest.mark.parametrize(
    "mistake,func",
    [
        (
            "cycle compared to the wrong image",
            lambda a, b, G, F_: (F_(G(a)) - G(a)).abs().mean() + (G(F_(b)) - F_(b)).abs().mean(),
        ),
        ("no round trip", lambda a, b, G, F_: (G(a) - a).abs().mean() + (F_(b) - b).abs().mean()),
        ("one direction only", lambda a, b, G, F_: (F_(G(a)) - a).abs().mean()),
        (
            "same generator twice",
            lambda a, b, G, F_: (G(G(a)) - a).abs().mean() + (F_(F_(b)) - b).abs().mean(),
        ),
        (
            "L2 instead of L1",
            lambda a, b, G, F_: ((F_(G(a)) - a) ** 2).mean() + ((G(F_(b)) - b) ** 2).mean(),
        ),
        ("missing gradient", lambda a, b, G, F_: cyc(a, b, G, F_).detach().requires_grad_(True)),
        ("wrong formula", lambda a, b, G, F_: cyc(a, b, G, F_) * 2),
    ],
)
def test_cycle_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson09.check_cycle_loss(func)
    assert info.value.mistake == mistake
