"""The root conftest.py's check that long notebook cells show progress (issue 22).

Unit tests of the detection on hand-made nbval outputs, and one planted notebook run through nbval
with the failure limit lowered to 1 s, so the check is seen failing and passing for real.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_root_conftest():
    spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cp = _load_root_conftest()
WIDGET = "application/vnd.jupyter.widget-view+json"


def widget_out(text: str) -> dict:
    view = {"version_major": 2, "version_minor": 0, "model_id": "abc123"}
    return {"output_type": "display_data", "data": {WIDGET: view, "text/plain": text}}


def stream(name: str, text: str) -> dict:
    return {"output_type": "stream", "name": name, "text": text}


def test_a_tqdm_widget_is_progress():
    outs = [widget_out("training:   0%|          | 0/1500 [00:00<?, ?it/s]")]
    assert cp.progress_kind(outs) == "tqdm"


def test_tqdm_text_on_stderr_is_progress():
    rate = "texture: 100%|##########| 300/300 [00:12<00:00, 24.31it/s]\n"
    slow = "inverting:  40%|####      | 4/10 [00:09<00:13,  2.21s/it]\r"
    assert cp.progress_kind([stream("stderr", rate)]) == "tqdm"
    assert cp.progress_kind([stream("stderr", slow)]) == "tqdm"


def test_another_widget_counts_as_live_progress():
    # e.g. LivePlot's ipywidgets.Image, redrawn in place while fit runs
    assert cp.progress_kind([widget_out("Image(value=b'...')")]) == "widget"


@pytest.mark.parametrize(
    "outs",
    [
        [],
        None,
        [stream("stdout", "step 1500: d_loss 0.62, g_loss 1.31\n")],
        [stream("stdout", "100%| done, 12 it/s\n")],  # a print on stdout is not tqdm's stderr
        [stream("stderr", "UserWarning: something deprecated\n")],
        [{"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "<Fig>"}}],
        [{"output_type": "execute_result", "data": {"text/plain": "0.42"}}],
    ],
)
def test_prints_figures_and_warnings_are_not_progress(outs):
    assert cp.progress_kind(outs) is None


def test_the_failure_rule():
    limit = cp.FAIL_S
    assert cp.slow_cell_error("nb::Cell 3", limit + 5, None, full=True) is not None
    assert "Cell 3" in cp.slow_cell_error("nb::Cell 3", limit + 5, None, full=True)
    assert cp.slow_cell_error("nb::Cell 3", limit + 5, "tqdm", full=True) is None
    assert cp.slow_cell_error("nb::Cell 3", limit + 5, "widget", full=True) is None
    assert cp.slow_cell_error("nb::Cell 3", limit + 5, None, full=False) is None  # FAST mode
    assert cp.slow_cell_error("nb::Cell 3", limit - 1, None, full=True) is None


def test_work_is_the_smaller_of_wall_and_cpu_time():
    assert cp.cell_work(30.0, 11.0) == 11.0  # contended: 30 s of wall for 11 s of CPU
    assert cp.cell_work(20.0, 38.0) == 20.0  # two threads: more CPU than wall
    assert cp.cell_work(20.0, None) == 20.0  # CPU time unknown: the wall time


def test_write_times_replaces_only_the_notebooks_run_again(tmp_path):
    path = tmp_path / "runs" / "times.json"
    meta = {"when": "t"}
    cp.write_times(path, [{"notebook": "a", "cell": 0, "seconds": 1.0, "progress": None}], meta)
    cp.write_times(path, [{"notebook": "b", "cell": 0, "seconds": 2.0, "progress": "tqdm"}], meta)
    data = cp.write_times(
        path, [{"notebook": "a", "cell": 1, "seconds": 3.0, "progress": None}], meta
    )
    assert json.loads(path.read_text()) == data
    assert [c["cell"] for c in data["notebooks"]["a"]["cells"]] == [1]
    assert data["notebooks"]["a"]["load_mean"] is None  # these rows carry no load
    assert data["notebooks"]["b"]["cells"][0]["seconds"] == 2.0


def test_the_benchmark_totals_lessons_and_flags_slow_cells_without_progress():
    spec = importlib.util.spec_from_file_location("cell_times", ROOT / "benchmarks/cell_times.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    cells = [
        {"cell": 0, "seconds": 3.0, "progress": None},
        {"cell": 5, "index": 13, "seconds": 40.0, "progress": "tqdm"},
        {"cell": 9, "seconds": 12.0, "progress": None},  # listed, under the failure limit
    ]
    data = {"notebooks": {"lessons/04_training_a_dcgan.ipynb": {"cells": cells, "load_mean": 2}}}
    lines, problems = bench.report(data, "full", slow=10)
    text = "\n".join(lines)
    stated = "| lessons/04_training_a_dcgan.ipynb | 55 | - | 75 min | 3 | 2 |"  # the lesson's time
    assert stated in text
    assert (
        "| 13 (Cell 5) | 40.0 | - | yes (tqdm) |" in text and "(Cell 9) | 12.0 | - | no |" in text
    )
    assert problems == 0
    cells.append({"cell": 10, "seconds": 30.0, "cpu": 9.0, "progress": None})  # 9 s of work
    lines, problems = bench.report(data, "full", slow=10)
    assert problems == 0 and "| 30.0 | 9.0 | no |" in "\n".join(lines)
    cells.append({"cell": 11, "seconds": 300.0, "progress": None})  # over budget, no progress
    lines, problems = bench.report(data, "full", slow=10)
    assert problems == 2 and "385 OVER" in "\n".join(lines) and "<- fix" in "\n".join(lines)


def _run_planted(tmp_path: Path, fast: bool) -> tuple[subprocess.CompletedProcess, dict]:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    cells = [
        "import time\nfrom tqdm.auto import tqdm",
        "def busy(s):\n    t = time.process_time()\n    while time.process_time() - t < s:\n"
        "        pass",
        "busy(2.5)\nprint('done')",  # works 2.5 s, no progress: fails
        "for _ in tqdm(range(5), mininterval=0.1):\n    busy(0.5)",  # works 2.5 s, a tqdm bar
        "time.sleep(2.5)",  # waits 2.5 s: little work, so it passes
        "print('quick')",
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# planted")]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in cells]
    path = tmp_path / "planted.ipynb"
    nbformat.write(nb, path)
    # the FAST run writes where the default puts it: runs/ under the root (here tmp_path)
    times_file = tmp_path / "runs" / "cell_times_fast.json" if fast else tmp_path / "t.json"
    env = dict(os.environ, GANCOURSE_PROGRESS_FAIL_S="1", GANCOURSE_CELL_TIMES=str(times_file))
    if fast:
        env.pop("GANCOURSE_CELL_TIMES")
    env.pop("GANCOURSE_PROGRESS_CHECK", None)
    if fast:
        env["GANCOURSE_FAST"] = "1"
    else:
        env.pop("GANCOURSE_FAST", None)
    args = ["-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "--nbval-lax", "-q"]
    args += ["--rootdir", str(tmp_path)]
    result = subprocess.run(
        [sys.executable, *args, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    times = json.loads(times_file.read_text())
    (cells_run,) = times["notebooks"].values()
    assert list(times["notebooks"]) == ["planted.ipynb"]  # named relative to the root
    return result, {c["cell"]: c for c in cells_run["cells"]}


def test_a_slow_cell_without_progress_fails_in_full_mode_only(tmp_path):
    result, cells = _run_planted(tmp_path, fast=False)
    assert "1 failed, 5 passed" in result.stdout, result.stdout[-2000:]
    assert "Cell 2 worked" in result.stdout and "no progress shown" in result.stdout
    assert cells[2]["progress"] is None and cells[2]["cpu"] > 2 and cells[2]["seconds"] > 2
    assert cells[3]["progress"] == "tqdm" and cells[3]["seconds"] > 2  # tqdm.auto's widget
    assert cells[4]["progress"] is None and cells[4]["seconds"] > 2 and cells[4]["cpu"] < 1
    assert "cells over 10 s (full mode)" in result.stdout
    assert all(c["load"] >= 0 for c in cells.values())
    assert [c["index"] for c in cells.values()] == [1, 2, 3, 4, 5, 6]  # the markdown counts

    result, cells = _run_planted(tmp_path, fast=True)
    assert "6 passed" in result.stdout, result.stdout[-2000:]
    assert cells[2]["seconds"] > 2


# ------------------------------------------------- the package loops the long lesson cells call
def _toy_editing():
    from tests.test_editing import _ToyClassifier, _ToyG

    return _ToyG().eval(), _ToyClassifier().eval()


def _calls():
    """(name, call(progress or None for the default)) for each loop issue 22 gave a bar."""
    import torch

    from gancourse import editing, forensics

    G, C = _toy_editing()
    z = torch.randn(16, 4, generator=torch.Generator().manual_seed(0))
    n = torch.tensor([1.0, 0, 0, 0])
    images = torch.rand(16, 3, 16, 16) * 2 - 1

    def kw(progress):
        return {} if progress is None else {"progress": progress}

    return {
        "calibrate_alpha": lambda p: editing.calibrate_alpha(
            G, C, n, "smile", alphas=(0.01, 1.0), z=z, **kw(p)
        ),
        "gradient_edit": lambda p: editing.gradient_edit(G, C, z, "smile", steps=2, **kw(p)),
        "train_encoder": lambda p: editing.train_encoder(
            G, steps=2, batch_size=4, width=4, **kw(p)
        ),
        "train_cnn_detector": lambda p: forensics.train_cnn_detector(
            images, images.flip(-1), steps=2, batch_size=4, width=4, **kw(p)
        ),
    }


@pytest.mark.parametrize(
    "name", ["calibrate_alpha", "gradient_edit", "train_encoder", "train_cnn_detector"]
)
def test_the_slow_package_loops_show_a_bar_unless_asked_not_to(name, capsys):
    call = _calls()[name]
    call(None)  # the default: a bar (tqdm.auto writes text to stderr outside a notebook)
    assert cp.progress_kind([stream("stderr", capsys.readouterr().err)]) == "tqdm", name
    call(False)
    assert capsys.readouterr().err == "", name


@pytest.mark.parametrize("search_shifts", [False, True])
def test_null_scores_folded_once_equal_scoring_every_key_separately(search_shifts):
    """Watermark.null_scores folds the images once for all keys (lesson 10's calibration went
    from 10-16 s to under 10 s): the scores are the ones each key's own score() gives."""
    import torch

    from gancourse.forensics.watermark import Watermark

    clean = torch.rand(6, 3, 64, 64, generator=torch.Generator().manual_seed(0)) * 2 - 1
    wm = Watermark("k", strength=0.03)
    keys = [wm] + [wm._like(f"k/null-{i}") for i in range(3)]
    expected = torch.cat([key.score(clean, search_shifts) for key in keys])
    assert torch.allclose(wm.null_scores(clean, 3, search_shifts), expected, atol=1e-6)
