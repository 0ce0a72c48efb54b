"""The lesson 00 checks pass on the solution and name the common mistakes."""

import pytest
import torch

from gancourse.checks import CheckFailed, NotImplementedYet, lesson00


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
