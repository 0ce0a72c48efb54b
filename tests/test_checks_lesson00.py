"""The lesson 00 checks pass on the solution and name the common mistakes."""

import pytest
import torch

from gancourse.checks import CheckFailed, NotImplementedYet, lesson00
from tests.test_checks_core import crash_prone


def good_to_unit(images):
    return images.float() / 127.5 - 1


def good_to_uint8(x):
    return ((x + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)


def test_solutions_pass(capsys):
    assert lesson00.check_to_unit_range(good_to_unit)
    assert lesson00.check_to_uint8(good_to_uint8)
    assert capsys.readouterr().out.count("✅ Passed") == 2


def blank(_):
    raise NotImplementedError()


@pytest.mark.parametrize("check", [lesson00.check_to_unit_range, lesson00.check_to_uint8])
def test_blank_is_not_implemented(check):
    with pytest.raises(NotImplementedYet, match="still raises NotImplementedError"):
        check(blank)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("integer dtype", lambda v: v // 128 - 1),
        ("[0, 1] range", lambda v: v.float() / 255),
        ("forgot -1", lambda v: v.float() / 127.5),
        ("divided by 256", lambda v: v.float() / 256 * 2 - 1),
        ("shape", lambda v: v.float().flatten() / 127.5 - 1),
        ("not a tensor", lambda v: (v.float() / 127.5 - 1).numpy()),
        ("not a tensor", lambda v: None),
        ("not a tensor", lambda v: (v.float() / 127.5 - 1, v)),
        ("dtype", lambda v: v.double() / 127.5 - 1),  # float64: no crash, a named dtype
        ("error", lambda v: (v.float() / 127.5 - 1).view(4, 3, 8, 8)),  # hard-coded shape
        ("in place", lambda v: v.fill_(0).float() - 1),
        ("wrong mapping", lambda v: v.float() / 127.5 - 1 + 0.5 * (v.dim() == 3)),  # 1st batch only
    ],
)
def test_to_unit_range_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson00.check_to_unit_range(func)
    assert info.value.mistake == mistake


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("no rounding", lambda x: ((x + 1) * 127.5).clamp(0, 255).to(torch.uint8)),
        (
            "no clamp",
            lambda x: ((x + 1) * 127.5).round().to(torch.int64).remainder(256).to(torch.uint8),
        ),
        ("dtype", lambda x: ((x + 1) * 127.5).round()),
        ("wrong mapping", lambda x: ((x + 1) * 100).round().clamp(0, 255).to(torch.uint8)),
        ("in place", lambda x: x.add_(1).mul_(127.5).round_().clamp_(0, 255).to(torch.uint8)),
        ("not a tensor", lambda x: ((x + 1) * 127.5).round().clamp(0, 255).byte().tolist()),
        ("not a tensor", lambda x: None),
        # float32 intermediate: rounds 127.5-steps of a float64 input the same, but a constant
        # built with the wrong shape fails on the second (3, 7) batch
        ("shape", lambda x: ((x + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).flatten()),
    ],
)
def test_to_uint8_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson00.check_to_uint8(func)
    assert info.value.mistake == mistake


def test_learner_exception_is_one_line():
    def broken(v):
        return v.nonexistent()

    with pytest.raises(CheckFailed, match="raised AttributeError") as info:
        lesson00.check_to_unit_range(broken)
    assert info.value._render_traceback_() == [str(info.value)]


@pytest.mark.parametrize("func", crash_prone(good_to_unit, grads=False))
def test_check_to_unit_range_answers_crash_prone_results_with_a_hint(func):
    with pytest.raises(CheckFailed):  # a hint, never another exception
        lesson00.check_to_unit_range(func)


@pytest.mark.parametrize("func", crash_prone(good_to_uint8, grads=False))
def test_check_to_uint8_answers_crash_prone_results_with_a_hint(func):
    with pytest.raises(CheckFailed):  # a hint, never another exception
        lesson00.check_to_uint8(func)
