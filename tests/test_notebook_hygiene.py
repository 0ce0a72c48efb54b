"""Committed notebooks carry no outputs and run on the python3 kernel; lessons follow the
template."""

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(
    p
    for p in ROOT.glob("*/**/*.ipynb")
    if not {".venv", ".ipynb_checkpoints", "_build"} & set(p.parts)  # _build: the site's cache
)
LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))


def test_there_are_notebooks():
    assert LESSONS, "no lessons found"
    assert (ROOT / "lessons" / "00_welcome.ipynb") in LESSONS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_outputs_and_python3_kernel(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", (
        f"{path.name}: kernel must be python3"
    )
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], (
                f"{path.name} cell {index} has outputs: clear them before committing"
            )
            assert cell.execution_count is None, f"{path.name} cell {index} has an execution count"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_template(path):
    """Title + objectives + estimated time first, a summary at the end."""
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), (
        f"{path.name}: first cell must be the title"
    )
    text = first.source.lower()
    assert "objectives" in text or "you will" in text, (
        f"{path.name}: state the learning objectives in the first cell"
    )
    assert "minutes" in text, f"{path.name}: give the estimated time in the first cell"
    markdown = "\n".join(c.source.lower() for c in nb.cells if c.cell_type == "markdown")
    assert "summary" in markdown, f"{path.name}: end with a summary"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_only_the_title_is_a_top_level_heading(path):
    """Prose lines that start with '# ' render as huge headings (a comment prefix left in
    markdown)."""
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells[1:], start=1):
        if cell.cell_type != "markdown":
            continue
        in_code = False
        for line in cell.source.split("\n"):
            if line.strip().startswith("```"):
                in_code = not in_code
            elif not in_code:
                assert not line.startswith("# "), (
                    f"{path.name} cell {index}: stray '# ' heading: {line[:60]!r}"
                )


def test_the_notebook_run_fails_a_cell_that_shows_an_image_twice(tmp_path):
    """The repository's conftest.py checks every cell nbval runs: here one cell shows its figure
    twice (display + the figure as the cell's value) and fails; a cell showing it once passes."""
    import subprocess
    import sys

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    setup = "import matplotlib\nmatplotlib.use('module://matplotlib_inline.backend_inline')\n"
    setup += "import matplotlib.pyplot as plt\nfrom IPython.display import display"
    twice = "fig = plt.figure(figsize=(1, 1))\nplt.plot([0, 1])\ndisplay(fig)\nfig"
    once = "fig = plt.figure(figsize=(1, 1))\nplt.plot([0, 2])\nplt.show()"
    quiet = "fig = plt.figure(figsize=(1, 1))\nplt.plot([0, 3])\nfig;"  # Jupyter shows it once
    nb.cells = [nbformat.v4.new_code_cell(s) for s in (setup, twice, once, quiet)]
    path = tmp_path / "planted.ipynb"
    nbformat.write(nb, path)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "conftest",
            "-p",
            "no:cacheprovider",
            "--nbval-lax",
            "-q",
            str(path),
        ],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=300,
    )
    assert "1 failed, 3 passed" in result.stdout, result.stdout[-2000:]
    assert "Cell 1 shows the same image twice" in result.stdout
