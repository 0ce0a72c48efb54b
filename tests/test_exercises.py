"""Exercise machinery: learner copies are generated from sources, leak nothing, and fail
helpfully."""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from gancourse import exercises

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "exercises" / "source").glob("*.ipynb"))


def test_there_are_exercises():
    assert (ROOT / "exercises" / "source" / "00_warmup.ipynb") in SOURCES


def test_learner_copies_are_in_sync():
    stale = exercises.generate(ROOT / "exercises" / "source", ROOT / "exercises", check=True)
    assert stale == [], f"learner copies out of date, run `make exercises`: {stale}"


def test_every_learner_copy_has_a_source():
    learner = {p.name for p in (ROOT / "exercises").glob("*.ipynb")}
    assert learner == {p.name for p in SOURCES}


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_no_solution_leaks(source):
    nb = nbformat.read(source, as_version=4)
    learner = nbformat.read(ROOT / "exercises" / source.name, as_version=4)
    learner_text = "\n".join(c.source for c in learner.cells)
    for cell in nb.cells:
        inside = False
        for line in cell.source.split("\n"):
            if line.strip() == exercises.BEGIN:
                inside = True
            elif line.strip() == exercises.END:
                inside = False
            elif inside and line.strip() and not line.strip().startswith("#"):
                assert line not in learner_text.split("\n"), f"solution line leaked: {line!r}"
    assert exercises.BEGIN not in learner_text and exercises.END not in learner_text


def test_clear_solution_keeps_indentation_and_rest():
    source = (
        "def f(x):\n    '''doc'''\n    ### BEGIN SOLUTION\n    return x + 1\n"
        "    ### END SOLUTION\nprint(f)"
    )
    assert exercises.clear_solution_text(source) == (
        "def f(x):\n    '''doc'''\n    # YOUR CODE HERE\n    raise NotImplementedError()\nprint(f)"
    )
    assert (
        exercises.clear_solution_text("### BEGIN SOLUTION\nan answer\n### END SOLUTION", "markdown")
        == "YOUR ANSWER HERE"
    )


@pytest.mark.parametrize(
    "bad",
    [
        "### BEGIN SOLUTION\nx = 1",
        "x = 1\n### END SOLUTION",
        "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION",
    ],
)
def test_unbalanced_markers_are_errors(bad):
    with pytest.raises(exercises.SolutionMarkerError):
        exercises.clear_solution_text(bad)


def test_generate_writes_then_reports_in_sync(tmp_path):
    src, out = tmp_path / "source", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "def f():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION"
        )
    ]
    nbformat.write(nb, src / "01_x.ipynb")
    assert exercises.generate(src, out) == [out / "01_x.ipynb"]
    assert exercises.generate(src, out, check=True) == []
    assert "return 42" not in (out / "01_x.ipynb").read_text()


def _check_cells(nb):
    return [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        and "check_" in c.source
        and "import" not in c.source.split("\n")[0]
    ]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_blank_copy_fails_every_check_with_a_hint(source):
    """Run the learner copy: each exercise cell runs, each check cell fails with one short hint."""
    learner = nbformat.read(ROOT / "exercises" / source.name, as_version=4)
    checks = _check_cells(learner)
    assert checks, f"{source.name} has no check cells"
    client = NotebookClient(
        learner,
        timeout=300,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(ROOT / "exercises")}},
    )
    client.execute()
    for index, cell in enumerate(learner.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if index in checks:
            assert errors, f"cell {index} should fail on the blank copy:\n{cell.source}"
            error = errors[0]
            assert error.ename in {"NotImplementedYet", "CheckFailed"}, (
                f"cell {index}: {error.ename}: {error.evalue}"
            )
            assert len(error.traceback) <= 2, (
                f"cell {index}: traceback wall instead of a hint: {error.traceback}"
            )
            assert (
                "raise NotImplementedError" not in "".join(error.traceback)
                and "Not" in error.traceback[0]
            )
        else:
            assert not errors, (
                f"cell {index} (not a check) failed on the blank copy: {errors[0].evalue}"
            )


@pytest.mark.parametrize(
    "line",
    [
        "#### BEGIN SOLUTION",
        "## BEGIN SOLUTION",
        "### begin solution",
        "### BEGIN SOLUTION  # the answer",
        "# BEGIN  SOLUTION",
        "### END SOLUTION # done",
        "### End Solution",
    ],
)
def test_a_near_miss_marker_is_an_error_not_a_leak(line):
    source = f"def f(x):\n    {line}\n    return x + 1\n    ### END SOLUTION\n"
    if "END" in line.upper():
        source = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    " + line + "\n"
    with pytest.raises(exercises.SolutionMarkerError, match="looks like a solution marker"):
        exercises.clear_solution_text(source, where="ex.ipynb, cell 3")


def test_prose_about_markers_is_not_mistaken_for_one():
    text = "Solutions sit between `### BEGIN SOLUTION` and `### END SOLUTION` lines."
    assert exercises.clear_solution_text(text, "markdown") == text


def test_answers_hidden_in_comments_attachments_and_widget_state_are_stripped():
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {"state": {"x": "secret-4217"}}
    }
    answer = nbformat.v4.new_markdown_cell(
        "Why?\n### BEGIN SOLUTION\nBecause of ![](attachment:answer.png)\n### END SOLUTION"
    )
    answer.attachments = {"answer.png": {"image/png": "iVBORw0KGgo="}}
    hint = nbformat.v4.new_markdown_cell("Think about D.<!-- answer: the logits saturate -->")
    kept = nbformat.v4.new_markdown_cell("A figure: ![](attachment:fig.png)")
    kept.attachments = {"fig.png": {"image/png": "iVBORw0KGgo="}}
    code = nbformat.v4.new_code_cell("x = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION")
    nb.cells = [answer, hint, kept, code, nbformat.v4.new_code_cell("print(x)")]
    learner = exercises.make_learner_copy(nb)
    text = nbformat.writes(learner)
    for leak in ("secret-4217", "the logits saturate", "answer.png", "Because", "y = 2"):
        assert leak not in text, f"{leak!r} reached the learner copy"
    assert "widgets" not in learner.metadata
    assert learner.cells[2].attachments == kept.attachments, "a plain figure's attachment stays"
    assert learner.cells[1].source == "Think about D."


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_each_exercise_gives_its_time_and_the_lesson_to_do_first(source):
    """The learner's copy opens with an estimated time and a working link to its own lesson."""
    intro = nbformat.read(ROOT / "exercises" / source.name, as_version=4).cells[0].source
    assert re.search(r"\*\*Estimated time:\*\* \d+ minutes", intro), intro[:300]
    link = re.search(r"\*\*Do first:\*\* \[[^\]]+\]\(([^)]+)\)", intro)
    assert link, f"{source.name}: say which lesson to do first, with a link"
    target = (ROOT / "exercises" / link.group(1)).resolve()
    assert target.exists(), f"{source.name}: the link {link.group(1)} leads nowhere"
    assert target.parent.name == "lessons" and target.name[:2] == source.name[:2]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_sources_carry_valid_nbgrader_metadata(source):
    """nbgrader can run on exercises/source: every cell has valid v3 metadata, checks are graded."""
    nb = nbformat.read(source, as_version=4)
    assert exercises.nbgrader_problems(nb) == []
    meta = [c.metadata["nbgrader"] for c in nb.cells]
    assert any(m["solution"] for m in meta) and any(m["grade"] for m in meta)
    assert [c.metadata["nbgrader"] for c in exercises.nbgrader_metadata(nb).cells] == meta
    for cell, m in zip(nb.cells, meta):
        if exercises.check_call(cell):
            assert m["grade_id"] == exercises.check_call(cell) and m["points"] >= 1


def _graded_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("Write f."),
        nbformat.v4.new_code_cell(
            "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"
        ),
        nbformat.v4.new_code_cell("lesson00.check_f(f)"),
    ]
    return exercises.nbgrader_metadata(nb)


def test_nbgrader_metadata_names_cells_readably():
    ids = [c.metadata["nbgrader"]["grade_id"] for c in _graded_notebook().cells]
    assert ids == ["cell-00", "f_solution", "check_f"]


@pytest.mark.parametrize(
    "plant, message",
    [
        (lambda cells: cells[2].metadata["nbgrader"].update(grade_id="f_solution"), "duplicate"),
        (lambda cells: cells[2].metadata["nbgrader"].pop("points"), "needs points"),
        (lambda cells: cells[1].metadata["nbgrader"].update(locked=True), "must not be locked"),
        (lambda cells: cells[2].metadata["nbgrader"].update(grade=False), "check cell"),
        (lambda cells: cells[0].metadata["nbgrader"].pop("schema_version"), "missing"),
        (lambda cells: cells[0].metadata["nbgrader"].update(grade_id="cell 0"), "not letters"),
        (lambda cells: cells[1].metadata["nbgrader"].update(solution=False), "markers"),
        (lambda cells: cells[0].metadata.pop("nbgrader"), "no nbgrader"),
        (lambda cells: cells[0].metadata["nbgrader"].update(grade=True, points=1), "markdown"),
        (lambda cells: cells[0].metadata["nbgrader"].update(hidden=True), "does not allow"),
        (lambda cells: cells[2].metadata["nbgrader"].update(points="1"), "needs points"),
    ],
)
def test_nbgrader_validator_rejects_planted_errors(plant, message):
    nb = _graded_notebook()
    assert exercises.nbgrader_problems(nb) == []
    plant(nb.cells)
    problems = exercises.nbgrader_problems(nb)
    assert problems and message in " ".join(problems), problems
