import random

import numpy as np
import pytest
import torch

from gancourse import runtime


def test_auto_device_on_this_machine(monkeypatch):
    monkeypatch.delenv("GANCOURSE_DEVICE", raising=False)
    device = runtime.get_device()
    expected = (
        "cuda" if torch.cuda.is_available() else ("mps" if runtime._mps_available() else "cpu")
    )
    assert device.type == expected


def test_device_says_why(monkeypatch, capsys):
    monkeypatch.setenv("GANCOURSE_DEVICE", "cpu")
    assert runtime.get_device(verbose=True) == torch.device("cpu")
    assert "GANCOURSE_DEVICE" in capsys.readouterr().out


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("GANCOURSE_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="CUDA is not available") as info:
        runtime.get_device()
    for choice in ("auto", "cpu", "cuda", "mps"):
        assert choice in str(info.value)


def test_unknown_device_lists_choices(monkeypatch):
    monkeypatch.setenv("GANCOURSE_DEVICE", "tpu")
    with pytest.raises(
        ValueError, match="Unknown device 'tpu'. Choices: auto, cpu, cuda, cuda:N, mps"
    ):
        runtime.get_device()


def test_argument_overrides_environment(monkeypatch):
    monkeypatch.setenv("GANCOURSE_DEVICE", "tpu")
    assert runtime.get_device("cpu").type == "cpu"


def test_seed_everything_reproduces_all_generators():
    runtime.seed_everything(123)
    a = (random.random(), np.random.rand(), torch.rand(3))
    runtime.seed_everything(123)
    b = (random.random(), np.random.rand(), torch.rand(3))
    assert a[0] == b[0] and a[1] == b[1] and torch.equal(a[2], b[2])
    with pytest.raises(TypeError):
        runtime.seed_everything("7")


@pytest.mark.parametrize("value,expected", [("1", True), ("true", True), ("0", False), ("", False)])
def test_is_fast(monkeypatch, value, expected):
    monkeypatch.setenv("GANCOURSE_FAST", value)
    assert runtime.is_fast() is expected
    assert runtime.fast_or_full("small", "big") == ("small" if expected else "big")


def test_threads():
    before = torch.get_num_threads()
    try:
        assert runtime.set_threads(1) == 1 and torch.get_num_threads() == 1
        with pytest.raises(ValueError):
            runtime.set_threads(0)
    finally:
        torch.set_num_threads(before)


def test_environment_report_keys():
    report = runtime.environment_report()
    assert {"torch", "device", "FAST mode", "cpu threads"} <= set(report)


def test_cpu_name_is_a_non_empty_string():
    name = runtime.cpu_name()
    assert isinstance(name, str) and name.strip() == name and name


def test_run_dir_makes_a_new_folder_each_time(tmp_path, monkeypatch):
    first = runtime.run_dir("lesson04", root=tmp_path)
    second = runtime.run_dir("lesson04", root=tmp_path)
    assert first.is_dir() and second.is_dir() and first != second
    assert first.parent == tmp_path and first.name.startswith("lesson04-")
    monkeypatch.setenv("GANCOURSE_RUNS", str(tmp_path / "elsewhere"))
    assert runtime.run_dir("x").parent == tmp_path / "elsewhere"
    monkeypatch.delenv("GANCOURSE_RUNS")
    monkeypatch.chdir(tmp_path)
    assert runtime.run_dir("x").parent.resolve() == (tmp_path / "runs").resolve()
    for bad in ("", "a/b", None):
        with pytest.raises(ValueError, match="plain folder name"):
            runtime.run_dir(bad, root=tmp_path)
