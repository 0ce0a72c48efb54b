"""The Colab cell: the first code cell of every lesson and exercise (lesson 00 explains it).

In Google Colab the course package is not installed, so each notebook starts, right after its
title, with one cell that installs it there (pip, from the course's repository) and turns on
Colab's widget manager for ipywidgets 8. Anywhere else (``make lab``, CI, nbval) the cell does
nothing: it only checks ``"google.colab" in sys.modules``.

The cell is generated from :data:`TEMPLATE`, never edited by hand, and a test checks every
notebook's copy. Where it installs from is written in one place, ``[project.urls] Repository``
in ``pyproject.toml`` (read from the installed package's metadata when there is no checkout).

Command line, from the course folder::

    python -m gancourse.lab.colab              # lessons/, exercises/source/ (+ learner copies)
    python -m gancourse.lab.colab NB.ipynb ... # only these notebooks
    python -m gancourse.lab.colab --check      # list the notebooks whose cell is missing or old

Writing keeps the notebook format (nbformat 4.4, one-space JSON indent, no cell ids, no outputs).
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the course folder: gancourse/lab/colab.py -> ../..
MARK = "# Google Colab only"
FIRST_LINE = MARK + ": install the course and turn on its sliders (elsewhere: nothing)."
TEMPLATE = (
    FIRST_LINE
    + """
import sys

if "google.colab" in sys.modules:
    import subprocess

    from google.colab import output

    source = "{source}"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", source], check=True)
    output.enable_custom_widget_manager()  # Colab shows ipywidgets 8 through this manager
    loaded = sys.modules.get("ipywidgets")  # imported before the install: an older one
    if loaded and int(loaded.__version__.split(".")[0]) < 8:
        print("Now restart the session (Runtime > Restart session) and run this cell again.")"""
)
DEFAULT_FOLDERS = ("lessons", "exercises/source")


def repository_url(root: Path = ROOT) -> str:
    """The course's repository: ``[project.urls] Repository`` in pyproject.toml (the one place)."""
    pyproject = root / "pyproject.toml"
    if pyproject.exists():
        with pyproject.open("rb") as file:
            return tomllib.load(file)["project"]["urls"]["Repository"]
    for entry in metadata.metadata("gancourse").get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip() == "Repository":
            return url.strip()
    raise LookupError("no Repository URL: neither pyproject.toml nor the package metadata has one")


def cell_source(root: Path = ROOT) -> str:
    """The Colab cell's code, as every notebook must carry it."""
    return TEMPLATE.format(source=f"git+{repository_url(root)}")


def _is_colab_cell(cell: dict) -> bool:
    """An earlier copy of the cell (same first words, or the same Colab test)."""
    source = "".join(cell["source"])
    return source.startswith(MARK) or '"google.colab" in sys.modules' in source


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def with_colab_cell(notebook: dict, source: str) -> dict:
    """The notebook with the Colab cell right after its title cell (an older copy is replaced)."""
    cells = list(notebook["cells"])
    code = [i for i, c in enumerate(cells) if c["cell_type"] == "code"]
    if code and _is_colab_cell(cells[code[0]]):
        del cells[code[0]]
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": _lines(source),
    }
    title = 1 if cells and cells[0]["cell_type"] == "markdown" else 0
    return {**notebook, "cells": cells[:title] + [cell] + cells[title:]}


def dumps(notebook: dict) -> str:
    """The course's notebook JSON (what nbformat writes for 4.4): sorted keys, no cell ids."""
    for cell in notebook["cells"]:
        cell.pop("id", None)
    return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def update(paths, check: bool = False, root: Path = ROOT) -> list[Path]:
    """Give each notebook the current Colab cell; returns those changed (with ``check``: stale)."""
    source = cell_source(root)
    changed = []
    for path in map(Path, paths):
        text = path.read_text(encoding="utf-8")
        new = dumps(with_colab_cell(json.loads(text), source))
        if new != text:
            changed.append(path)
            if not check:
                path.write_text(new, encoding="utf-8")
    return changed


def default_notebooks(root: Path = ROOT) -> list[Path]:
    return sorted(p for folder in DEFAULT_FOLDERS for p in (root / folder).glob("*.ipynb"))


def _shown(path: Path) -> Path:
    path = path.resolve()
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: all")
    parser.add_argument("--check", action="store_true", help="only list outdated notebooks")
    args = parser.parse_args(argv)
    paths = args.notebooks or default_notebooks()
    changed = update(paths, check=args.check)
    for path in changed:
        print(f"{'out of date' if args.check else 'wrote'}: {_shown(path)}")
    if args.check:
        return 1 if changed else 0
    sources = [p for p in changed if p.resolve().parent == (ROOT / "exercises" / "source")]
    if sources:  # the learner copies are generated from the sources
        from gancourse import exercises

        for path in exercises.generate(ROOT / "exercises" / "source", ROOT / "exercises"):
            print(f"wrote: {_shown(path)} (learner copy)")
    print(f"{len(changed)} notebook(s) updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
