"""pytest configuration for the notebook runs (``pytest --nbval-lax lessons exercises/source``).

nbval executes every cell; the hooks here then check what the cell showed and how long it took:

- a cell that displays the same image twice (a returned Figure echoed after ``display`` or
  ``plt.show``) fails, naming the cell;
- in full mode (``GANCOURSE_FAST`` unset), a cell that runs longer than ``FAIL_S`` seconds must show
  progress (a tqdm bar, or a live widget redrawn in place), or it fails. Every cell over ``SLOW_S``
  is listed in the terminal summary, and every cell's time goes to
  ``runs/cell_times_{full,fast}.json`` (git-ignored), which ``benchmarks/cell_times.py`` reads.

Thresholds: issue 22 asks for progress on every cell over 10 s. Wall time on the shared 2-core CPU
moves with the load: with other runs beside it (load 5-6 measured here) a cell takes two to three
times as long. Two things keep the check from being flaky. (1) It judges a cell by its *work*,
``min(wall time, the kernel's CPU time)``: under contention the CPU time is about what the cell
takes alone (single-threaded), and with several threads the wall time is the smaller one; a cell
that waits (sleep, I/O) has little CPU time, so its wall time is not held against it. (2) It
*fails* only above ``FAIL_S`` = 15 s of work with no progress, and *reports* every cell over 10 s of
wall time in the summary, so borderline cells are seen without failing the run.
``GANCOURSE_PROGRESS_CHECK=report`` records and reports without failing (to survey every offender
in one run).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path

import pytest

SLOW_S = 10.0  # cells over this are listed in the summary (issue 22's "longer than 10 s")
# cells over this without progress fail in full mode (see the module docstring); the environment
# variable lowers it only for tests/test_cell_progress.py, which plants a 2 s cell
FAIL_S = float(os.environ.get("GANCOURSE_PROGRESS_FAIL_S", "15"))
WIDGET = "application/vnd.jupyter.widget-view+json"
# tqdm's text meter: "42%|####      | 42/100 [00:03<00:04, 12.3it/s]" (rate in it/s or s/it)
TQDM_TEXT = re.compile(r"\d+%\||\d(?:\.\d+)?\s*(?:it/s|s/it)\b|\?it/s")

_times: list[dict] = []


def duplicate_images(outputs, source: str = "") -> int:
    """How many image outputs repeat an earlier one of the same cell (same PNG/JPEG bytes).

    A cell whose code ends in ``;`` shows no result in Jupyter, but nbval still records one, so
    its ``execute_result`` is left out here as JupyterLab leaves it out.
    """
    seen, repeats = set(), 0
    quiet = source.rstrip().endswith(";")
    for out in outputs or ():
        if quiet and out.get("output_type") == "execute_result":
            continue
        data = out.get("data", {}) if hasattr(out, "get") else {}
        for kind in ("image/png", "image/jpeg"):
            if kind in data:
                digest = hashlib.sha256(str(data[kind]).encode()).hexdigest()
                repeats += digest in seen
                seen.add(digest)
    return repeats


def progress_kind(outputs) -> str | None:
    """How a cell's outputs show progress: ``"tqdm"``, ``"widget"`` or ``None``.

    - ``"tqdm"``: a tqdm bar. In a notebook ``tqdm.auto`` displays a widget whose ``text/plain``
      is the meter (``training: 0%|  | 0/1500 [00:00<?, ?it/s]``); in plain text tqdm writes the
      meter to stderr (``%|``, ``it/s`` or ``s/it``).
    - ``"widget"``: any other ipywidget (e.g. ``LivePlot``'s image, redrawn in place while the
      cell runs, or a live trainer).
    - ``None``: nothing that moves while the cell runs (prints and figures appear only at the end).
    """
    kind = None
    for out in outputs or ():
        if not hasattr(out, "get"):
            continue
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            if TQDM_TEXT.search(str(out.get("text", ""))):
                return "tqdm"
        data = out.get("data") or {}
        if WIDGET in data:
            if TQDM_TEXT.search(str(data.get("text/plain", ""))):
                return "tqdm"
            kind = "widget"
    return kind


def _kernel_cpu_seconds(item) -> float | None:
    """User + system CPU time of the kernel process running ``item`` (all its threads), or None."""
    km = getattr(getattr(getattr(item, "parent", None), "kernel", None), "km", None)
    pid = getattr(getattr(getattr(km, "provisioner", None), "process", None), "pid", None)
    if pid is None:
        return None
    try:
        import psutil  # an ipykernel dependency

        times = psutil.Process(pid).cpu_times()
    except Exception:  # no psutil, or the kernel is gone: wall time only
        return None
    return times.user + times.system


def cell_work(wall: float, cpu: float | None) -> float:
    """Seconds a cell would take on an idle machine: ``min(wall, cpu)`` (see the module doc)."""
    return wall if cpu is None else min(wall, cpu)


def _full_mode() -> bool:
    fast = os.environ.get("GANCOURSE_FAST", "").strip().lower()
    return fast not in {"1", "true", "yes", "on"}  # as gancourse.runtime.is_fast reads it


def slow_cell_error(name: str, seconds: float, kind: str | None, full: bool) -> str | None:
    """The failure message for a cell whose work (``cell_work``) took too long without progress,
    else ``None``."""
    if not full or seconds <= FAIL_S or kind is not None:
        return None
    return (
        f"{name} worked {seconds:.1f} s (min of wall and kernel CPU time) in full mode with no "
        f"progress shown (limit {FAIL_S:.0f} s): "
        "wrap its loop in tqdm.auto (or pass progress=True to the gancourse call that loops), "
        "or show a live widget, so the learner sees it moving."
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    if not hasattr(item, "cell_num"):  # not an nbval cell
        yield
        return
    cpu_start, start = _kernel_cpu_seconds(item), time.perf_counter()
    outcome = yield
    seconds, cpu_end = time.perf_counter() - start, _kernel_cpu_seconds(item)
    cpu = cpu_end - cpu_start if cpu_start is not None and cpu_end is not None else None
    outputs = getattr(item, "test_outputs", None)  # set by nbval for every executed cell
    source = getattr(getattr(item, "cell", None), "source", "")
    kind = progress_kind(outputs)
    full = _full_mode()
    path, root = Path(str(item.fspath)).resolve(), item.config.rootpath.resolve()
    notebook = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    _times.append(
        {
            "notebook": notebook,
            "cell": int(item.cell_num),  # nbval's "Cell N": N counts code cells only
            "index": _cell_index(item),  # the cell's position among all cells (nbformat's)
            "seconds": round(seconds, 2),  # wall time
            "cpu": round(cpu, 2) if cpu is not None else None,  # the kernel's CPU time
            "progress": kind,
            "passed": outcome.excinfo is None,
            "load": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        }
    )
    if outcome.excinfo is not None:
        return
    if outputs and duplicate_images(outputs, source):
        outcome.force_exception(
            AssertionError(
                f"{item.name} shows the same image twice: a cell that calls display(fig) or "
                "plt.show() should not also end with the figure (end it with plt.show() or `;`)."
            )
        )
        return
    error = slow_cell_error(item.name, cell_work(seconds, cpu), kind, full)
    if error and os.environ.get("GANCOURSE_PROGRESS_CHECK", "").lower() != "report":
        outcome.force_exception(AssertionError(error))


def _cell_index(item) -> int | None:
    cells = getattr(getattr(item, "parent", None), "nb", None)
    cells = getattr(cells, "cells", [])
    return next((i for i, cell in enumerate(cells) if cell is item.cell), None)


def write_times(path: Path, rows: list[dict], meta: dict) -> dict:
    """Merge this run's cell times into ``path``: notebooks run now replace their earlier rows."""
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        old = {}
    run_now = {row["notebook"] for row in rows}
    notebooks = {k: v for k, v in old.get("notebooks", {}).items() if k not in run_now}
    for row in rows:
        entry = notebooks.setdefault(row["notebook"], {**meta, "cells": []})
        entry["cells"].append({k: v for k, v in row.items() if k != "notebook"})
    for name in run_now:  # the 1-minute load average, mean over the notebook's cells
        loads = [c["load"] for c in notebooks[name]["cells"] if c.get("load") is not None]
        notebooks[name]["load_mean"] = round(sum(loads) / len(loads), 2) if loads else None
    data = {"notebooks": dict(sorted(notebooks.items()))}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")
    return data


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _times:
        return
    full = _full_mode()
    mode = "full" if full else "fast"
    meta = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpus": os.cpu_count(),
        "threads": os.environ.get("OMP_NUM_THREADS"),
    }
    # GANCOURSE_CELL_TIMES moves the file (tests write theirs to a temporary folder); the default
    # file keeps only the course's own notebooks (not one a test planted outside the repository)
    path = os.environ.get("GANCOURSE_CELL_TIMES")
    rows = _times if path else [r for r in _times if not Path(r["notebook"]).is_absolute()]
    path = Path(path) if path else config.rootpath / "runs" / f"cell_times_{mode}.json"
    if rows:
        write_times(path, rows, meta)
    slow = [row for row in _times if row["seconds"] > SLOW_S]
    tr = terminalreporter
    tr.section(f"cells over {SLOW_S:.0f} s ({mode} mode)")
    for row in slow:
        mark, cpu = "", row["cpu"]
        if not row["progress"]:
            over = cell_work(row["seconds"], cpu) > FAIL_S
            mark = "  <- NO PROGRESS" + ("" if over else f" (work under the {FAIL_S:.0f} s limit)")
        tr.write_line(
            f"{row['notebook']} Cell {row['cell']} (index {row['index']}): {row['seconds']:.1f} s"
            f"{f' (CPU {cpu:.1f} s)' if cpu is not None else ''}, "
            f"progress {'yes (' + row['progress'] + ')' if row['progress'] else 'no'}{mark}"
        )
    if not slow:
        tr.write_line("none")
    totals: dict[str, float] = {}
    for row in _times:
        totals[row["notebook"]] = totals.get(row["notebook"], 0.0) + row["seconds"]
    for nb, total in totals.items():
        tr.write_line(f"{nb}: {total:.0f} s in cells")
    tr.write_line(
        f"cell times written to {path}" if rows else "no course notebook: nothing written"
    )
