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


def generate(source_dir: Path, out_dir: Path, check: bool = False) -> list[Path]:
    """Write (or with ``check=True`` compare) the learner copy of every source notebook.

    Returns the learner copies that were written, or with ``check`` those that are out of date.
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
        learner_text = nbformat.writes(make_learner_copy(notebook, source.name)) + "\n"
        target = Path(out_dir) / source.name
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current != learner_text:
            changed.append(target)
            if not check:
                target.write_text(learner_text, encoding="utf-8")
    return changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source_dir", nargs="?", default="exercises/source")
    parser.add_argument("out_dir", nargs="?", default="exercises")
    parser.add_argument(
        "--check", action="store_true", help="only report learner copies that are out of date"
    )
    args = parser.parse_args(argv)
    changed = generate(Path(args.source_dir), Path(args.out_dir), check=args.check)
    if args.check:
        for path in changed:
            print(f"out of date: {path} (run `make exercises`)")
        return 1 if changed else 0
    for path in changed:
        print(f"wrote {path}")
    print(f"{len(changed)} learner cop{'y' if len(changed) == 1 else 'ies'} updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
