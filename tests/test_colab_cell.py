"""Every lesson and exercise notebook starts (after its title) with the Colab cell, generated from
one template; the cell installs the course in Colab and does nothing anywhere else."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
import types
from pathlib import Path

import pytest

from gancourse.lab import colab

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(
    [*(ROOT / "lessons").glob("*.ipynb"), *(ROOT / "exercises").glob("**/*.ipynb")],
    key=str,
)
FIX = "python -m gancourse.lab.colab NOTEBOOK (for all: python -m gancourse.lab.colab)"


def _first_code_cell(path: Path) -> tuple[int, str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    index = next(i for i, c in enumerate(cells) if c["cell_type"] == "code")
    return index, "".join(cells[index]["source"])


def test_every_lesson_and_exercise_is_covered():
    names = {p.relative_to(ROOT).as_posix() for p in NOTEBOOKS}
    assert {"lessons/00_welcome.ipynb", "exercises/source/00_warmup.ipynb"} <= names
    assert "exercises/00_warmup.ipynb" in names  # learner copies too
    assert len([n for n in names if n.startswith("lessons/")]) >= 12


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_first_code_cell_is_the_colab_cell(path):
    index, source = _first_code_cell(path)
    assert source == colab.cell_source(), (
        f"{path.name}: first code cell is not the Colab cell; {FIX}"
    )
    assert index == 1, f"{path.name}: the Colab cell goes right after the title cell; {FIX}"


def test_the_source_location_is_pyprojects_repository_url():
    with (ROOT / "pyproject.toml").open("rb") as file:
        url = tomllib.load(file)["project"]["urls"]["Repository"]
    assert colab.repository_url() == url
    assert f'source = "git+{url}"' in colab.cell_source()
    assert "github.com" not in colab.TEMPLATE  # the location lives in pyproject.toml only


def test_the_cell_is_short_readable_and_says_what_it_does():
    lines = colab.cell_source().split("\n")
    assert lines[0].startswith("# Google Colab only:")
    assert len(lines) <= 15 and max(map(len, lines)) <= 100


def _run_cell(monkeypatch, modules: dict) -> list:
    """Execute the cell as a notebook would, with ``modules`` in sys.modules; returns pip calls."""
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    for name in ("google", "google.colab", "google.colab.output", "ipywidgets"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    exec(compile(colab.cell_source(), "<colab cell>", "exec"), {})
    return calls


def test_the_cell_does_nothing_outside_colab(monkeypatch, capsys):
    before = set(sys.modules) - {"ipywidgets"}
    assert _run_cell(monkeypatch, {}) == []
    assert not capsys.readouterr().out
    assert not {m for m in set(sys.modules) - before if m.startswith("google")}


def _fake_colab(enabled: list) -> dict:
    output = types.ModuleType("google.colab.output")
    output.enable_custom_widget_manager = lambda: enabled.append(True)
    package = types.ModuleType("google.colab")
    package.output = output
    google = types.ModuleType("google")
    google.colab = package
    return {"google": google, "google.colab": package, "google.colab.output": output}


def test_in_colab_the_cell_installs_the_course_and_turns_on_widgets(monkeypatch, capsys):
    enabled = []
    calls = _run_cell(monkeypatch, _fake_colab(enabled))
    target = f"git+{colab.repository_url()}"
    assert calls == [(([sys.executable, "-m", "pip", "install", "-q", target],), {"check": True})]
    assert enabled == [True]
    assert "restart" not in capsys.readouterr().out.lower()


def test_in_colab_an_old_ipywidgets_already_loaded_asks_for_a_restart(monkeypatch, capsys):
    old = types.ModuleType("ipywidgets")
    old.__version__ = "7.7.1"
    _run_cell(monkeypatch, {**_fake_colab([]), "ipywidgets": old})
    assert "Restart session" in capsys.readouterr().out


def _notebook(cells) -> dict:
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        },
        "nbformat": 4,
        "nbformat_minor": 4,
    }


def test_the_write_command_inserts_replaces_and_keeps_the_format(tmp_path):
    title = {"cell_type": "markdown", "id": "a1", "metadata": {}, "source": ["# Lesson\n", "text"]}
    prose = {"cell_type": "markdown", "metadata": {}, "source": ["More prose"]}
    setup = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": ["import torch"],
    }
    path = tmp_path / "lesson.ipynb"
    path.write_text(json.dumps(_notebook([title, prose, setup])), encoding="utf-8")
    assert colab.update([path], check=True) == [path]
    assert colab.update([path]) == [path]
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n") and '\n "cells": [' in text and '"id"' not in text
    cells = json.loads(text)["cells"]
    assert [c["cell_type"] for c in cells] == ["markdown", "code", "markdown", "code"]
    assert "".join(cells[1]["source"]) == colab.cell_source()
    assert colab.update([path]) == []  # idempotent
    # an older copy (another URL) as the first code cell is replaced and moved after the title
    stale = json.loads(text)
    stale["cells"].insert(2, stale["cells"].pop(1))
    stale["cells"][2]["source"] = [s.replace("OWNER", "someone") for s in cells[1]["source"]]
    path.write_text(colab.dumps(stale), encoding="utf-8")
    assert colab.update([path]) == [path]
    assert path.read_text(encoding="utf-8") == text


def test_the_write_command_reads_the_location_from_pyproject(tmp_path):
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    moved = (tmp_path / "pyproject.toml").read_text().replace("OWNER/gancourse", "course/gan")
    (tmp_path / "pyproject.toml").write_text(moved)
    assert colab.repository_url(tmp_path) == "https://github.com/course/gan"
    assert 'source = "git+https://github.com/course/gan"' in colab.cell_source(tmp_path)
