"""The check helper shows the learner's own failing line, not the course's or a library's."""

import importlib.util
import sys

import pytest
import torch

from gancourse.checks._core import CheckFailed, learner_line, run_learner

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
