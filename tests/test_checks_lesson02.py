"""The lesson 02 checks pass on the solutions and name the common mistakes."""

import pytest
import torch

from gancourse.checks import CheckFailed, NotImplementedYet, lesson02
from tests.test_checks_core import crash_prone


def good_normalize(x, mean, std):
    return (x - torch.tensor(mean).view(-1, 1, 1)) / torch.tensor(std).view(-1, 1, 1)


def good_denormalize(y, mean, std):
    return y * torch.tensor(std).view(-1, 1, 1) + torch.tensor(mean).view(-1, 1, 1)


def good_paired_flip(a, b, generator=None):
    flip = (torch.rand(a.shape[0], generator=generator) < 0.5).view(-1, 1, 1, 1)
    return torch.where(flip, a.flip(-1), a), torch.where(flip, b.flip(-1), b)


def good_translate(x, dx, dy):
    h, w = x.shape[-2:]
    padded = torch.nn.functional.pad(x, (abs(dx), abs(dx), abs(dy), abs(dy)))
    return padded[..., abs(dy) - dy : abs(dy) - dy + h, abs(dx) - dx : abs(dx) - dx + w]


def test_solutions_pass(capsys):
    assert lesson02.check_normalize(good_normalize)
    assert lesson02.check_denormalize(good_denormalize)
    assert lesson02.check_paired_flip(good_paired_flip)
    assert lesson02.check_translate(good_translate)
    assert capsys.readouterr().out.count("✅ Passed") == 4


def blank(*args):
    raise NotImplementedError()


@pytest.mark.parametrize(
    "check",
    [
        lesson02.check_normalize,
        lesson02.check_denormalize,
        lesson02.check_paired_flip,
        lesson02.check_translate,
    ],
)
def test_blank_is_not_implemented(check):
    with pytest.raises(NotImplementedYet):
        check(blank)


IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


def _t(v):
    return torch.tensor(v).view(-1, 1, 1)


def _inplace(x, m, s):
    x -= _t(m)
    return x / _t(s)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("channel broadcast", lambda x, m, s: (x - torch.tensor(m)) / torch.tensor(s)),
        ("swapped mean and std", lambda x, m, s: (x - _t(s)) / _t(m)),
        ("multiplied by std", lambda x, m, s: (x - _t(m)) * _t(s)),
        ("wrong order", lambda x, m, s: x / _t(s) - _t(m)),
        ("in place", _inplace),
        ("shape", lambda x, m, s: ((x - _t(m)) / _t(s)).mean(1)),
        ("hard-coded 0.5", lambda x, m, s: x * 2 - 1),  # [-1, 1], whatever the arguments
        ("wrong values", lambda x, m, s: (x - _t(m)) / _t(s) + 0.1),
        ("hard-coded mean/std", lambda x, m, s: good_normalize(x, IMAGENET[0], IMAGENET[1])),
        ("dtype", lambda x, m, s: good_normalize(x, m, s).float()),
        ("dtype", lambda x, m, s: (x.float() - _t(m)) / _t(s)),
        ("not a tensor", lambda x, m, s: good_normalize(x, m, s).numpy()),
        ("not a tensor", lambda x, m, s: None),
        ("in place", lambda x, m, s: x.sub_(_t(m)).div_(_t(s))),
    ],
)
def test_normalize_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson02.check_normalize(func)
    assert info.value.mistake == mistake


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("wrong order", lambda y, m, s: (y + _t(m)) * _t(s)),
        ("swapped mean and std", lambda y, m, s: y * _t(m) + _t(s)),
        ("divided by std", lambda y, m, s: y / _t(s) + _t(m)),
        ("hard-coded 0.5", lambda y, m, s: (y + 1) / 2),
        ("wrong values", lambda y, m, s: y * _t(s) + _t(m) + 0.1),
        ("hard-coded mean/std", lambda y, m, s: good_denormalize(y, IMAGENET[0], IMAGENET[1])),
        ("in place", lambda y, m, s: y.mul_(_t(s)).add_(_t(m))),
        ("dtype", lambda y, m, s: good_denormalize(y, m, s).float()),
        ("shape", lambda y, m, s: good_denormalize(y, m, s)[0]),
        ("not a tensor", lambda y, m, s: (good_denormalize(y, m, s),)),
    ],
)
def test_denormalize_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson02.check_denormalize(func)
    assert info.value.mistake == mistake


def _independent(a, b, generator=None):
    fa = (torch.rand(a.shape[0], generator=generator) < 0.5).view(-1, 1, 1, 1)
    fb = (torch.rand(a.shape[0], generator=generator) < 0.5).view(-1, 1, 1, 1)
    return torch.where(fa, a.flip(-1), a), torch.where(fb, b.flip(-1), b)


def _one_coin(a, b, generator=None):
    if torch.rand(1, generator=generator).item() < 2:  # always: the whole batch flips together
        return a.flip(-1), b.flip(-1)
    return a, b


def _vertical(a, b, generator=None):
    flip = (torch.rand(a.shape[0], generator=generator) < 0.5).view(-1, 1, 1, 1)
    return torch.where(flip, a.flip(-2), a), torch.where(flip, b.flip(-2), b)


def _fixed_seed(a, b, generator=None):
    return good_paired_flip(a, b, torch.Generator().manual_seed(0))


def _in_place_flip(a, b, generator=None):
    flip = torch.rand(a.shape[0], generator=generator) < 0.5
    a[flip], b[flip] = a[flip].flip(-1), b[flip].flip(-1)
    return a, b


def _global_rng(a, b, generator=None):
    return good_paired_flip(a, b, None)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("inconsistent flip", _independent),
        ("one coin for the batch", _one_coin),
        ("vertical flip", _vertical),
        ("ignores generator", _global_rng),
        ("not a pair", lambda a, b, g=None: torch.cat([a, b])),
        ("fixed seed", _fixed_seed),
        ("in place", _in_place_flip),
        ("dtype", lambda a, b, g=None: tuple(t.float() for t in good_paired_flip(a, b, g))),
        ("not a tensor", lambda a, b, g=None: (None, None)),
        ("shape", lambda a, b, g=None: tuple(t[:2] for t in good_paired_flip(a, b, g))),
    ],
)
def test_paired_flip_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson02.check_paired_flip(func)
    assert info.value.mistake == mistake


def _roll_then_zero(x, dx, dy):
    x.copy_(torch.roll(x, shifts=(dy, dx), dims=(-2, -1)))
    return good_translate(torch.roll(x, shifts=(-dy, -dx), dims=(-2, -1)), dx, dy)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("wrap-around", lambda x, dx, dy: torch.roll(x, shifts=(dy, dx), dims=(-2, -1))),
        ("wrong direction", lambda x, dx, dy: good_translate(x, -dx, -dy)),
        ("swapped axes", lambda x, dx, dy: good_translate(x, dy, dx)),
        ("wrong values", lambda x, dx, dy: x * 0),
        ("in place", _roll_then_zero),
        ("dtype", lambda x, dx, dy: good_translate(x, dx, dy).float()),
        ("shape", lambda x, dx, dy: good_translate(x, dx, dy).view(-1, *x.shape[-2:])),
        ("not a tensor", lambda x, dx, dy: None),
    ],
)
def test_translate_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson02.check_translate(func)
    assert info.value.mistake == mistake


@pytest.mark.parametrize("func", crash_prone(good_normalize, grads=False))
def test_check_normalize_answers_crash_prone_results_with_a_hint(func):
    with pytest.raises(CheckFailed):  # a hint, never another exception
        lesson02.check_normalize(func)


@pytest.mark.parametrize("func", crash_prone(good_denormalize, grads=False))
def test_check_denormalize_answers_crash_prone_results_with_a_hint(func):
    with pytest.raises(CheckFailed):  # a hint, never another exception
        lesson02.check_denormalize(func)


@pytest.mark.parametrize("func", crash_prone(good_paired_flip, grads=False))
def test_check_paired_flip_answers_crash_prone_results_with_a_hint(func):
    with pytest.raises(CheckFailed):  # a hint, never another exception
        lesson02.check_paired_flip(func)


@pytest.mark.parametrize("func", crash_prone(good_translate, grads=False))
def test_check_translate_answers_crash_prone_results_with_a_hint(func):
    with pytest.raises(CheckFailed):  # a hint, never another exception
        lesson02.check_translate(func)
