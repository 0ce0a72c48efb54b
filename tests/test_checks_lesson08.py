"""The lesson 08 checks pass on the solution (and the library) and name the common mistakes."""

import pytest
import torch

from gancourse import style
from gancourse.checks import CheckFailed, NotImplementedYet, lesson08


def gram(f):
    b, c, h, w = f.shape
    flat = f.reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


def adain(c, s, alpha=1.0, eps=1e-5):
    mu_c, mu_s = c.mean((2, 3), keepdim=True), s.mean((2, 3), keepdim=True)
    sd_c = (c.var((2, 3), keepdim=True, unbiased=False) + eps).sqrt()
    sd_s = (s.var((2, 3), keepdim=True, unbiased=False) + eps).sqrt()
    return alpha * (sd_s * (c - mu_c) / sd_c + mu_s) + (1 - alpha) * c


def blank(*_):
    raise NotImplementedError()


def test_solutions_and_library_pass(capsys):
    assert lesson08.check_gram_matrix(gram)
    assert lesson08.check_gram_matrix(style.gram_matrix)
    assert lesson08.check_adain(adain)
    assert lesson08.check_adain(style.adain)
    assert capsys.readouterr().out.count("✅ Passed") == 4


@pytest.mark.parametrize("check", [lesson08.check_gram_matrix, lesson08.check_adain])
def test_blank_is_not_implemented(check):
    with pytest.raises(NotImplementedYet):
        check(blank)


def _hw(f):
    b, c, h, w = f.shape
    return f.reshape(b, c, h * w)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("unnormalised Gram", lambda f: _hw(f) @ _hw(f).transpose(1, 2)),
        ("normalised by HW", lambda f: _hw(f) @ _hw(f).transpose(1, 2) / (f.shape[2] * f.shape[3])),
        ("normalised by C", lambda f: _hw(f) @ _hw(f).transpose(1, 2) / f.shape[1]),
        ("wrong axes", lambda f: _hw(f).transpose(1, 2) @ _hw(f) / f[0].numel()),
        (
            "wrong reshape",
            lambda f: (lambda x: x @ x.transpose(1, 2) / f[0].numel())(
                f.reshape(f.shape[0], -1, f.shape[1]).transpose(1, 2)
            ),
        ),
        ("wrong shape", lambda f: gram(f)[0]),
    ],
)
def test_gram_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson08.check_gram_matrix(func)
    assert info.value.mistake == mistake


def _dims(dims):
    def f(c, s, alpha=1.0, eps=1e-5):
        mu_c, mu_s = c.mean(dims, keepdim=True), s.mean(dims, keepdim=True)
        sd_c = (c.var(dims, keepdim=True, unbiased=False) + eps).sqrt()
        sd_s = (s.var(dims, keepdim=True, unbiased=False) + eps).sqrt()
        return alpha * (sd_s * (c - mu_c) / sd_c + mu_s) + (1 - alpha) * c

    return f


def _no_eps(c, s, alpha=1.0):
    mu_c, mu_s = c.mean((2, 3), keepdim=True), s.mean((2, 3), keepdim=True)
    t = s.std((2, 3), keepdim=True) * (c - mu_c) / c.std((2, 3), keepdim=True) + mu_s
    return alpha * t + (1 - alpha) * c


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("wrong dims", _dims((1, 2, 3))),
        ("wrong dims", _dims((0, 2, 3))),
        (
            "mean only",
            lambda c, s, alpha=1.0: (
                alpha * (c - c.mean((2, 3), keepdim=True) + s.mean((2, 3), keepdim=True))
                + (1 - alpha) * c
            ),
        ),
        ("std without epsilon", _no_eps),
        (
            "alpha reversed",
            lambda c, s, alpha=1.0: adain(c, s, 1 - alpha) if alpha != 1.0 else adain(c, s),
        ),
        ("alpha ignored", lambda c, s, alpha=1.0: adain(c, s, 1.0)),
        ("wrong formula", lambda c, s, alpha=1.0: c * 2),
    ],
)
def test_adain_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson08.check_adain(func)
    assert info.value.mistake == mistake


# ----------------------------------------------------------------------------- issue 20 mistakes
def _gram_inplace(f):
    f -= f.mean((2, 3), keepdim=True)  # changes the caller's features
    return gram(f)


def _gram_fixed_size(f):
    flat = f.reshape(f.shape[0], f.shape[1], -1)
    return flat @ flat.transpose(1, 2) / 210  # C·H·W of the first test case


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("in place", _gram_inplace),
        ("dtype", lambda f: gram(f).double()),
        ("dtype", lambda f: gram(f).float()),
        ("wrong formula", _gram_fixed_size),
        ("not finite", lambda f: gram(f) / 0),
        ("not a tensor", lambda f: gram(f).numpy()),
        ("not a tensor", lambda f: None),
        ("not a tensor", lambda f: (gram(f), f)),
    ],
)
def test_gram_issue20_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson08.check_gram_matrix(func)
    assert info.value.mistake == mistake, str(info.value)


def _adain_inplace(c, s, alpha=1.0, eps=1e-5):
    out = adain(c, s, alpha, eps)
    c.zero_()  # changes the caller's content features
    return out


def _adain_new_tensor(c, s, alpha=1.0, eps=1e-5):
    out = torch.empty(c.shape)  # float32 whatever the content's dtype
    out[:] = adain(c, s, alpha, eps)
    return out


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("in place", _adain_inplace),
        ("swapped inputs", lambda c, s, alpha=1.0, eps=1e-5: adain(s, c, alpha, eps)),
        ("eps hard-coded", lambda c, s, alpha=1.0, eps=1e-5: adain(c, s, alpha)),
        ("dtype", lambda c, s, alpha=1.0, eps=1e-5: adain(c, s, alpha, eps).double()),
        ("dtype", _adain_new_tensor),
        (
            "unbiased std",
            lambda c, s, alpha=1.0, eps=1e-5: (
                alpha
                * (
                    (s.var((2, 3), keepdim=True) + eps).sqrt()
                    * (c - c.mean((2, 3), keepdim=True))
                    / (c.var((2, 3), keepdim=True) + eps).sqrt()
                    + s.mean((2, 3), keepdim=True)
                )
                + (1 - alpha) * c
            ),
        ),
        ("not a tensor", lambda c, s, alpha=1.0, eps=1e-5: None),
        ("not a tensor", lambda c, s, alpha=1.0, eps=1e-5: adain(c, s, alpha, eps).tolist()),
        (
            "wrong formula",
            lambda c, s, alpha=1.0, eps=1e-5: adain(c, s, alpha, eps) if c.shape[1] == 4 else c,
        ),
    ],
)
def test_adain_issue20_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson08.check_adain(func)
    assert info.value.mistake == mistake, str(info.value)


# ----------------------------------------------------------------------------- texture synthesis
def _synth(*, zero_grad=True, tanh=True, reduce=torch.mean, seed=None, lr=None, log=True, out=""):
    """The exercise's loop with one planted mistake."""
    from gancourse.style import gram_matrix

    def synthesize_texture(style, features, size=64, steps=200, lr_=0.05, seed_=0):
        with torch.no_grad():
            targets = [gram_matrix(f) for f in features(style)]
        gen = torch.Generator().manual_seed(seed_ if seed is None else seed)
        u = (0.5 * torch.randn(1, 3, size, size, generator=gen)).requires_grad_(True)
        opt = torch.optim.Adam([u], lr=lr_ if lr is None else lr)
        losses = []
        for _ in range(steps):
            x = torch.tanh(u) if tanh else u
            loss = 1e3 * sum(
                reduce((gram_matrix(f) - t) ** 2) for f, t in zip(features(x), targets)
            )
            if zero_grad:
                opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item() if log else loss)
        x = torch.tanh(u) if tanh else u
        if out == "attached":
            return x, losses
        if out == "short":
            return x.detach(), losses[:-1]
        return x.detach(), losses

    return synthesize_texture


def _synth_inplace(style, features, *args):
    style.clamp_(-0.5, 0.5)
    return _synth()(style, features, *args)


def test_synthesize_texture_solution_library_and_blank(capsys):
    assert lesson08.check_synthesize_texture(_synth())
    with pytest.raises(NotImplementedYet):
        lesson08.check_synthesize_texture(blank)
    assert "✅ Passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("missing zero_grad", _synth(zero_grad=False)),
        ("no tanh", _synth(tanh=False)),
        ("sum instead of mean", _synth(reduce=torch.sum)),
        ("seed hard-coded", _synth(seed=0)),
        ("lr hard-coded", _synth(lr=0.05)),
        ("tensor in losses", _synth(log=False)),
        ("not detached", _synth(out="attached")),
        ("losses", _synth(out="short")),
        ("in place", _synth_inplace),
        ("return", lambda *args: _synth()(*args)[0]),
        ("shape", lambda s, f, size, *a: _synth()(s, f, 8, *a)),
        ("wrong texture", lambda *args: (_synth()(*args)[0] * 0.9, _synth()(*args)[1])),
    ],
)
def test_synthesize_texture_mistakes_are_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson08.check_synthesize_texture(func)
    assert info.value.mistake == mistake, str(info.value)
