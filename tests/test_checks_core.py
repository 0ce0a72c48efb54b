"""The check helper shows the learner's own failing line, not the course's or a library's."""

import importlib.util
import sys

import numpy as np
import pytest
import torch

from gancourse.checks._core import (
    CheckFailed,
    expect_tensor,
    grads_of,
    learner_line,
    needs_grad,
    recognise,
    run_learner,
    run_pure,
)

LEARNER_CODE = """import torch


def my_gram(feat):
    b, c, h, w = feat.shape
    flat = feat.reshape(b, c, h * w)
    return flat @ flat / (c * h * w)  # the mistake: no transpose


def my_loss(x):
    return helper(x) + 1


def helper(x):
    raise ValueError("not a probability")
"""


@pytest.fixture
def learner(tmp_path):
    path = tmp_path / "learner_cell.py"
    path.write_text(LEARNER_CODE)
    spec = importlib.util.spec_from_file_location("learner_cell", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("learner_cell", None)


def test_an_error_inside_torch_points_at_the_learners_line(learner):
    with pytest.raises(CheckFailed) as caught:
        run_learner(learner.my_gram, torch.randn(2, 4, 3, 5))
    message = str(caught.value)
    assert caught.value.mistake == "error"
    assert "RuntimeError" in message  # torch's own message stays
    assert "in `my_gram`, line 7 of" in message and "learner_cell.py" in message
    assert "flat @ flat / (c * h * w)" in message  # the code of the line, not torch's internals


def test_the_deepest_learner_frame_is_shown(learner):
    with pytest.raises(CheckFailed) as caught:
        run_learner(learner.my_loss, 1.0)
    assert "in `helper`, line 15" in str(caught.value)
    assert 'raise ValueError("not a probability")' in str(caught.value)


def test_no_learner_frame_gives_no_line():
    with pytest.raises(CheckFailed) as caught:
        run_learner(torch.zeros, "three")  # the error is raised inside torch only
    message = str(caught.value)
    assert "TypeError" in message
    assert "\n" not in message and "line" not in message  # no frame of the learner's to show


def test_a_notebook_cell_is_named_as_such():
    code = compile("def f():\n    return 1 / 0\n", "/tmp/ipykernel_42/123456.py", "exec")
    scope: dict = {}
    exec(code, scope)
    with pytest.raises(ZeroDivisionError) as caught:
        scope["f"]()
    assert learner_line(caught.value) == "in `f`, line 2 of your cell"


# --- the shared guards: expect_tensor, run_pure, needs_grad, grads_of, recognise ---------------


@pytest.mark.parametrize(
    "result,mistake,words",
    [
        (None, "not a tensor", "forget the `return`"),
        ((torch.zeros(3), torch.zeros(3)), "not a tensor", "tuple of 2 items"),
        (np.zeros(3, dtype=np.float32), "not a tensor", "numpy ndarray"),
        (np.float64(1.5), "not a tensor", "numpy"),
        (1.5, "not a tensor", ".item()"),
        (torch.zeros(2, 3), "shape", "(3,)"),
        (torch.zeros(3, dtype=torch.float64), "dtype", "the input was torch.float32"),
        (torch.zeros(3, device="meta"), "device", "on meta"),
        (torch.tensor([0.0, float("nan"), 1.0]), "not finite", "1 of 3"),
    ],
)
def test_expect_tensor_names_what_is_wrong(result, mistake, words):
    with pytest.raises(CheckFailed) as caught:
        expect_tensor(result, like=torch.zeros(3), shape=(3,), name="f", finite=True)
    assert caught.value.mistake == mistake
    assert words in caught.value.hint and "`f`" in caught.value.hint


def test_expect_tensor_passes_a_good_result_through():
    good = torch.ones(3, dtype=torch.float64)
    assert expect_tensor(good, like=torch.zeros(5, dtype=torch.float64)) is good  # no shape given
    assert expect_tensor(good, dtype=torch.float64, shape=(3,)) is good
    with pytest.raises(CheckFailed, match="expected torch.uint8"):
        expect_tensor(good, dtype=torch.uint8)
    assert expect_tensor(torch.tensor([float("inf")]), like=torch.zeros(1)) is not None


def subtract_in_place(x, m):
    x -= m
    return x


def scale_weights(net, factor):
    with torch.no_grad():
        net.weight.mul_(factor)
    return net.weight.sum()


def test_run_pure_names_the_argument_changed_in_place():
    x = torch.ones(4)
    with pytest.raises(CheckFailed) as caught:
        run_pure(subtract_in_place, x, torch.tensor(0.5))
    assert caught.value.mistake == "in place" and "`x`" in caught.value.hint
    with pytest.raises(CheckFailed, match="`net.weight`"):
        run_pure(scale_weights, torch.nn.Linear(2, 2), 2.0)
    with pytest.raises(CheckFailed, match=r"`pair\[1\]`"):
        run_pure(lambda pair: pair[1].zero_(), [torch.ones(2), torch.ones(2)])


def test_run_pure_passes_a_pure_function_and_keeps_learner_errors():
    x = torch.ones(4)
    assert torch.equal(run_pure(lambda x, m: x - m, x, 1.0), torch.zeros(4))
    assert torch.equal(x, torch.ones(4))
    assert run_pure(lambda net, f: net.weight.sum() * f, torch.nn.Linear(2, 2), 2.0) is not None
    with pytest.raises(CheckFailed) as caught:
        run_pure(lambda x: 1 / 0, x)
    assert caught.value.mistake == "error"


def test_needs_grad_before_backward():
    w = torch.ones(3, requires_grad=True)
    needs_grad(w * 2, name="f")  # connected: no error
    for cut in ((w * 2).detach(), torch.tensor((w * 2).sum().item())):
        with pytest.raises(CheckFailed) as caught:
            needs_grad(cut, name="f")
        assert caught.value.mistake == "no gradient" and "no_grad" in caught.value.hint
    with torch.no_grad():
        under = w * 2
    with pytest.raises(CheckFailed, match="no gradient"):
        needs_grad(under)


def test_grads_of_gives_values_and_zeros_where_nothing_flows():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([3.0], requires_grad=True)
    ga, gb = grads_of(a * a, [a, b])
    assert torch.equal(ga, torch.tensor([2.0, 4.0])) and torch.equal(gb, torch.zeros(1))
    ga, gb = grads_of((a * 3).detach(), [a, b])  # nothing flows: zeros, no crash
    assert torch.equal(ga, torch.zeros(2)) and torch.equal(gb, torch.zeros(1))


def test_recognise_names_the_matching_mistake_only():
    out = torch.tensor([1.0, 2.0], dtype=torch.float64)
    candidates = {
        "too long": (torch.tensor([1.0, 2.0, 3.0]), "never matches: other shape"),
        "halved": (torch.tensor([2.0, 4.0]) / 2, "you halved it"),
    }
    with pytest.raises(CheckFailed, match="you halved it") as caught:
        recognise(out, candidates)
    assert caught.value.mistake == "halved"
    recognise(out + 1, candidates)  # nothing matches: no error
    recognise(torch.tensor([float("nan"), 2.0]), candidates)


def crash_prone(func, grads: bool = False):
    """Versions of a right exercise function that return what crashes a naive check: None, a
    numpy array, a list, a tuple, float64, NaN and (with ``grads``) a detached result. Every check
    must answer each with CheckFailed. A pair (tuple result) is spoilt element by element."""

    def spoil(change):
        def spoilt(*args, **kwargs):
            out = func(*args, **kwargs)
            return tuple(map(change, out)) if isinstance(out, tuple) else change(out)

        return spoilt

    changes = {
        "None": lambda r: None,
        "numpy": lambda r: r.detach().numpy(),
        "list": lambda r: r.tolist(),
        "tuple": lambda r: (r, r),
        "float64": lambda r: r.double(),
        "NaN": lambda r: r * float("nan"),
    }
    if grads:
        changes["no grad"] = lambda r: r.detach()
    return [pytest.param(spoil(change), id=label) for label, change in changes.items()]


def test_crash_prone_versions_of_a_function():
    versions = crash_prone(lambda x: (x * 2, x), grads=True)
    results = [v.values[0](torch.ones(2, requires_grad=True)) for v in versions]
    assert results[0] == (None, None) and isinstance(results[1][0], np.ndarray)
    assert results[4][0].dtype == torch.float64 and torch.isnan(results[5][0]).all()
    assert not results[6][0].requires_grad and len(versions) == 7
