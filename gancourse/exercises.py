"""Make learner copies of exercise notebooks, following nbgrader's conventions.

A source notebook (``exercises/source/NN_topic.ipynb``) holds the solution between markers::

    ### BEGIN SOLUTION
    x = images.float() / 127.5 - 1
    ### END SOLUTION

The learner copy (``exercises/NN_topic.ipynb``) gets, as nbgrader's ``ClearSolutions`` does, the
region replaced by a stub at the same indentation::

    # YOUR CODE HERE
    raise NotImplementedError()

Markdown answers become ``YOUR ANSWER HERE``. Outputs and execution counts are removed. Nothing
else that could hold an answer survives either: HTML comments in markdown, the attachments of a
cell that had a solution, and the widget state saved in the notebook's metadata. A line that
looks like a marker but is not exactly one (``#### BEGIN SOLUTION``, ``### begin solution``,
``### END SOLUTION  # done``) is an error, because it would leave the answer in the copy.
This is a small equivalent of nbgrader's preprocessor that needs no nbgrader database. Lesson 00
explains how the exercises work.

``nbgrader_metadata`` gives every source cell nbgrader's cell metadata (schema version 3), so an
instructor can run ``nbgrader generate_assignment`` and ``autograde`` on ``exercises/source``:
solution cells are unlocked ``solution`` cells, the cells that call a ``check_*`` function are
locked graded tests worth one point, every other cell is locked. ``generate`` writes it into the
sources; the learner copies keep it, as nbgrader's release copies do.

Command line: ``python -m gancourse.exercises [--check] [SOURCE_DIR OUT_DIR]``.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
TEXT_STUB = ["YOUR ANSWER HERE"]
# a line whose words are a marker's, whatever the #s, case and trailing text
NEAR_MARKER = re.compile(r"^\W*(begin|end)\s+solution\b", re.IGNORECASE)
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
CHECK_CALL = re.compile(r"^\s*(?:\w+\.)*(check_\w+)\(", re.MULTILINE)
DEFINES = re.compile(r"^(?:def|class)\s+(\w+)", re.MULTILINE)
GRADE_ID = re.compile(r"^[a-zA-Z0-9_\-]+$")  # nbgrader's rule for a grade_id
NBGRADER_KEYS = {"grade", "grade_id", "locked", "schema_version", "solution", "task"}
# keys nbgrader's v3 schema allows besides those (it sets checksum and cell_type on releases)
NBGRADER_OPTIONAL = {"points", "checksum", "cell_type"}


class SolutionMarkerError(ValueError):
    """A BEGIN/END SOLUTION pair is missing or nested."""


def clear_solution_text(source: str, cell_type: str = "code", where: str = "cell") -> str:
    """Replace every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region with a stub."""
    lines = source.split("\n")
    out: list[str] = []
    inside = False
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped not in (BEGIN, END) and NEAR_MARKER.match(stripped):
            exact = BEGIN if stripped.lstrip("# ").lower().startswith("begin") else END
            raise SolutionMarkerError(
                f"{where}, line {number}: {stripped!r} looks like a solution marker but is not "
                f"exactly '{exact}' (on a line of its own), so the answer would stay in the "
                "learner copy. Write the marker exactly."
            )
        if stripped == BEGIN:
            if inside:
                raise SolutionMarkerError(
                    f"{where}, line {number}: '{BEGIN}' inside another solution region."
                )
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            stub = CODE_STUB if cell_type == "code" else TEXT_STUB
            out.extend(indent + s for s in stub)
        elif stripped == END:
            if not inside:
                raise SolutionMarkerError(
                    f"{where}, line {number}: '{END}' without a '{BEGIN}' before it."
                )
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise SolutionMarkerError(f"{where}: '{BEGIN}' has no matching '{END}'.")
    return "\n".join(out)


def make_learner_copy(
    notebook: nbformat.NotebookNode, name: str = "notebook"
) -> nbformat.NotebookNode:
    """Return the learner copy of a source notebook (solutions cleared, outputs removed)."""
    learner = copy.deepcopy(notebook)
    learner.metadata.pop("widgets", None)  # saved widget state can show a solution's output
    for index, cell in enumerate(learner.cells):
        had_solution = BEGIN in cell.source
        cell.source = clear_solution_text(
            cell.source, cell.cell_type, where=f"{name}, cell {index}"
        )
        if cell.cell_type == "markdown":
            cell.source = HTML_COMMENT.sub("", cell.source)
        if had_solution:
            cell.pop("attachments", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return learner


def has_solution(notebook: nbformat.NotebookNode) -> bool:
    return any(BEGIN in cell.source for cell in notebook.cells)


def is_solution_cell(cell) -> bool:
    return any(line.strip() == BEGIN for line in cell.source.split("\n"))


def check_call(cell) -> str | None:
    """The ``check_*`` function a code cell calls, or None."""
    found = CHECK_CALL.search(cell.source) if cell.cell_type == "code" else None
    return found.group(1) if found else None


def nbgrader_metadata(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Set nbgrader's cell metadata (schema 3) on every cell, in place; returns the notebook.

    grade_ids are readable and stable: ``<function>_solution`` for a cell whose solution defines
    a function, ``check_<name>`` for a check cell, ``cell-NN`` (NN the cell index) otherwise;
    ``-2``, ``-3``... tell apart repeats.
    """
    used: set[str] = set()
    for index, cell in enumerate(notebook.cells):
        meta = dict(grade=False, locked=True, schema_version=3, solution=False, task=False)
        defined = DEFINES.findall(cell.source) if cell.cell_type == "code" else []
        if is_solution_cell(cell):
            name = f"{defined[0]}_solution" if defined else f"cell-{index:02d}-solution"
            meta.update(locked=False, solution=True)
        elif name := check_call(cell):
            meta.update(grade=True, points=1)
        else:
            name = f"cell-{index:02d}"
        grade_id, n = name, 1
        while grade_id in used:
            n += 1
            grade_id = f"{name}-{n}"
        used.add(grade_id)
        meta["grade_id"] = grade_id
        cell.metadata["nbgrader"] = dict(sorted(meta.items()))
    return notebook


def nbgrader_problems(notebook: nbformat.NotebookNode) -> list[str]:
    """What breaks nbgrader's v3 cell metadata rules (or this course's) in a notebook; [] if none.

    nbgrader's rules (``nbgraderformat/v3.py`` and its docs on cell metadata): the keys grade,
    grade_id, locked, schema_version (3), solution and task; booleans where boolean; a grade_id
    of letters, digits, ``_`` and ``-``, unique in the notebook; no other keys but points,
    checksum and cell_type; ``points`` (a number >= 0) on a grade cell; a task cell is markdown and
    neither grade nor solution; a markdown cell is both grade and solution or neither. The course
    adds: a solution cell is not locked (else the learner cannot answer); the markers only in
    solution cells; every check cell graded with points >= 1.
    """
    problems, seen = [], set()
    for index, cell in enumerate(notebook.cells):
        where = f"cell {index}"
        meta = cell.metadata.get("nbgrader")
        if not isinstance(meta, dict):
            problems.append(f"{where}: no nbgrader metadata")
            continue
        missing = NBGRADER_KEYS - set(meta)
        if missing:
            problems.append(f"{where}: missing {sorted(missing)}")
            continue
        extra = set(meta) - NBGRADER_KEYS - NBGRADER_OPTIONAL
        if extra:
            problems.append(f"{where}: keys nbgrader does not allow: {sorted(extra)}")
        if meta["schema_version"] != 3:
            problems.append(f"{where}: schema_version {meta['schema_version']!r}, not 3")
        for key in ("grade", "locked", "solution", "task"):
            if not isinstance(meta[key], bool):
                problems.append(f"{where}: {key} must be true or false")
        grade_id = meta["grade_id"]
        if not isinstance(grade_id, str) or not GRADE_ID.match(grade_id):
            problems.append(f"{where}: grade_id {grade_id!r} is not letters, digits, _ and -")
        elif grade_id in seen:
            problems.append(f"{where}: duplicate grade_id {grade_id!r}")
        seen.add(grade_id)
        points = meta.get("points")
        if isinstance(points, bool) or not isinstance(points, (int, float)):
            points = None
        if meta["grade"] and points is None:
            problems.append(f"{where}: a grade cell needs points")
        elif meta["grade"] and points < 0:
            problems.append(f"{where}: negative points")
        if meta["solution"] and meta["locked"]:
            problems.append(f"{where}: a solution cell must not be locked")
        if meta["task"] and (cell.cell_type != "markdown" or meta["grade"] or meta["solution"]):
            problems.append(f"{where}: a task cell is markdown, neither grade nor solution")
        if cell.cell_type == "markdown" and not meta["task"] and meta["grade"] != meta["solution"]:
            problems.append(f"{where}: a markdown answer must be both grade and solution")
        if is_solution_cell(cell) != bool(meta["solution"]):
            problems.append(f"{where}: solution flag disagrees with the solution markers")
        if check_call(cell) and not (meta["grade"] and (points or 0) >= 1):
            problems.append(f"{where}: a check cell must be graded, with points >= 1")
    return problems


def generate(
    source_dir: Path, out_dir: Path, check: bool = False, nbgrader: bool = False
) -> list[Path]:
    """Write (or with ``check=True`` compare) the learner copy of every source notebook.

    With ``nbgrader=True`` (the command line's default) the sources first get their nbgrader
    metadata (``nbgrader_metadata``) and are rewritten, or reported, when it changed. Returns the
    files written, or with ``check`` those that are out of date.
    """
    sources = sorted(Path(source_dir).glob("*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"no exercise notebooks in {source_dir}")
    changed = []
    for source in sources:
        notebook = nbformat.read(source, as_version=4)
        if not has_solution(notebook):
            raise SolutionMarkerError(
                f"{source} has no '{BEGIN}' marker: every exercise source needs one."
            )
        texts = {}
        if nbgrader:
            texts[source] = nbformat.writes(nbgrader_metadata(notebook)) + "\n"
        learner = make_learner_copy(notebook, source.name)  # keeps the nbgrader metadata
        texts[Path(out_dir) / source.name] = nbformat.writes(learner) + "\n"
        for path, text in texts.items():
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current != text:
                changed.append(path)
                if not check:
                    path.write_text(text, encoding="utf-8")
    return changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source_dir", nargs="?", default="exercises/source")
    parser.add_argument("out_dir", nargs="?", default="exercises")
    parser.add_argument(
        "--check", action="store_true", help="only report learner copies that are out of date"
    )
    parser.add_argument(
        "--no-nbgrader", action="store_true", help="leave the sources' nbgrader metadata as it is"
    )
    args = parser.parse_args(argv)
    changed = generate(
        Path(args.source_dir), Path(args.out_dir), check=args.check, nbgrader=not args.no_nbgrader
    )
    if args.check:
        for path in changed:
            print(f"out of date: {path} (run `make exercises`)")
        return 1 if changed else 0
    for path in changed:
        print(f"wrote {path}")
    print(f"{len(changed)} notebook{'' if len(changed) == 1 else 's'} updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
