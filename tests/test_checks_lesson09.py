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


# ----------------------------------------------------------------------------- issue 20 mistakes
def _p2p_inplace(lg, f, t, lam=100.0):
    diff = f.sub_(t)  # changes the caller's fake
    return _bce(lg, 1.0) + lam * diff.abs().mean()


def _p2p_no_grad(lg, f, t, lam=100.0):
    with torch.no_grad():
        return g_loss(lg, f, t, lam)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("in place", _p2p_inplace),
        ("dtype", lambda lg, f, t, lam=100.0: g_loss(lg, f, t, lam).float()),
        ("dtype", lambda lg, f, t, lam=100.0: g_loss(lg.double(), f.double(), t.double(), lam)),
        ("lambda hard-coded", lambda lg, f, t, lam=100.0: g_loss(lg, f, t, 100.0)),
        (
            "BCE on probabilities",
            lambda lg, f, t, lam=100.0: (
                F.binary_cross_entropy(torch.sigmoid(lg), torch.ones_like(lg))
                + lam * (f - t).abs().mean()
            ),
        ),
        (
            "log(sigmoid + eps)",
            lambda lg, f, t, lam=100.0: (
                -torch.log(torch.sigmoid(lg) + 1e-8).mean() + lam * (f - t).abs().mean()
            ),
        ),
        (
            "wrong adversarial term",
            lambda lg, f, t, lam=100.0: _bce(lg, 0.9) + lam * (f - t).abs().mean(),
        ),
        (
            "wrong L1 term",
            lambda lg, f, t, lam=100.0: _bce(lg, 1.0) + lam * F.smooth_l1_loss(f, t),
        ),
        ("no gradient", _p2p_no_grad),
        (
            "detached term",
            lambda lg, f, t, lam=100.0: _bce(lg, 1.0) + lam * (f.detach() - t).abs().mean(),
        ),
        (
            "detached term",
            lambda lg, f, t, lam=100.0: _bce(lg.detach(), 1.0) + lam * (f - t).abs().mean(),
        ),
        ("not a tensor", lambda lg, f, t, lam=100.0: g_loss(lg, f, t, lam).item()),
        ("not a tensor", lambda lg, f, t, lam=100.0: pix2pix.generator_loss(lg, f, t, lam)),
        ("not a tensor", lambda lg, f, t, lam=100.0: None),
        ("not a tensor", lambda lg, f, t, lam=100.0: g_loss(lg, f, t, lam).detach().numpy()),
    ],
)
def test_pix2pix_issue20_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson09.check_pix2pix_generator_loss(func)
    assert info.value.mistake == mistake, str(info.value)


def _cyc_inplace(a, b, G, F_):
    a.clamp_(-0.5, 0.5)
    return cyc(a, b, G, F_)


def _cyc_no_grad(a, b, G, F_):
    with torch.no_grad():
        return cyc(a, b, G, F_)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("in place", _cyc_inplace),
        ("dtype", lambda a, b, G, F_: cyc(a, b, G, F_).float()),
        ("no gradient", _cyc_no_grad),
        (
            "detached term",
            lambda a, b, G, F_: (F_(G(a).detach()) - a).abs().mean() + (G(F_(b)) - b).abs().mean(),
        ),
        ("weighted by lambda", lambda a, b, G, F_: 10 * cyc(a, b, G, F_)),
        (
            "extra tanh",
            lambda a, b, G, F_: (
                (torch.tanh(F_(G(a))) - a).abs().mean() + (torch.tanh(G(F_(b))) - b).abs().mean()
            ),
        ),
        ("averaged twice", lambda a, b, G, F_: cyc(a, b, G, F_) / 2),
        ("not reduced", lambda a, b, G, F_: (F_(G(a)) - a).abs()),
        ("not a tensor", lambda a, b, G, F_: cyc(a, b, G, F_).item()),
        ("not a tensor", lambda a, b, G, F_: None),
    ],
)
def test_cycle_issue20_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson09.check_cycle_loss(func)
    assert info.value.mistake == mistake, str(info.value)


# ----------------------------------------------------------------------------- CycleGAN G step
def _make_step(
    *,
    zero_grad="before",
    step=True,
    detach="",
    wrong_identity=False,
    lambdas=None,
    log=lambda t: t.item(),
):
    """The exercise's cyclegan_step with one planted mistake."""

    def cyclegan_step(G_ab, G_ba, D_a, D_b, opt_g, a, b, lambda_cyc=10.0, lambda_id=5.0):
        lc, li = lambdas or (lambda_cyc, lambda_id)
        fake_b, fake_a = G_ab(a), G_ba(b)
        adv = (D_b(fake_b) - 1).pow(2).mean() + (D_a(fake_a) - 1).pow(2).mean()
        back_b = fake_b.detach() if "b" in detach else fake_b
        back_a = fake_a.detach() if "a" in detach else fake_a
        cycle = (G_ba(back_b) - a).abs().mean() + (G_ab(back_a) - b).abs().mean()
        if detach == "term":
            cycle = cycle.detach()
        same_b, same_a = (G_ba(b), G_ab(a)) if wrong_identity else (G_ab(b), G_ba(a))
        identity = (same_b - b).abs().mean() + (same_a - a).abs().mean()
        total = adv + lc * cycle + li * identity
        if zero_grad == "before":
            opt_g.zero_grad()
        total.backward()
        if zero_grad == "between":
            opt_g.zero_grad()
        if step:
            opt_g.step()
        return {k: log(v) for k, v in zip(lesson09._TERMS, (adv, cycle, identity, total))}

    return cyclegan_step


def _real_step(*args):
    model = cyclegan.CycleGAN.__new__(cyclegan.CycleGAN)
    torch.nn.Module.__init__(model)
    G_ab, G_ba, D_a, D_b, opt_g, a, b, lc, li = args
    model.G_ab, model.G_ba = G_ab, G_ba
    loss, terms, _ = cyclegan.generator_loss(model, D_a, D_b, a, b, lc, li)
    opt_g.zero_grad()
    loss.backward()
    opt_g.step()
    return {
        "adv": terms["adv"],
        "cycle": terms["cycle"],
        "identity": terms["identity"],
        "total": loss.item(),
    }


def test_cyclegan_step_solution_and_library_pass(capsys):
    assert lesson09.check_cyclegan_step(_make_step())
    assert lesson09.check_cyclegan_step(_real_step)
    assert capsys.readouterr().out.count("✅ Passed") == 2
    with pytest.raises(NotImplementedYet):
        lesson09.check_cyclegan_step(blank)


def _mutates(*args):
    args[5].mul_(0.5)
    return _make_step()(*args)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("missing zero_grad", _make_step(zero_grad="never")),
        ("no update", _make_step(zero_grad="between")),
        ("no update", _make_step(step=False)),
        ("detached cycle", _make_step(detach="ab")),
        ("detached cycle", _make_step(detach="a")),
        ("no cycle gradient", _make_step(detach="term")),
        ("identity on the wrong generator", _make_step(wrong_identity=True)),
        ("lambdas hard-coded", _make_step(lambdas=(10.0, 5.0))),
        ("tensor in log", _make_step(log=lambda t: t)),
        ("wrong log", _make_step(log=lambda t: 2 * t.item())),
        ("in place", _mutates),
        ("return", lambda *args: None),
        ("error", lambda *args: args[0](args[5][:, :2])),
    ],
)
def test_cyclegan_step_mistakes(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson09.check_cyclegan_step(func)
    assert info.value.mistake == mistake, str(info.value)
