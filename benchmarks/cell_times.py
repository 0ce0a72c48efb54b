"""Per-lesson full-mode time and slow cells, from the cell times the notebook runs record.

    python benchmarks/cell_times.py [--mode full|fast] [--file runs/cell_times_full.json]
                                    [--slow 10] [--only 04]

The root ``conftest.py`` times every cell nbval executes and writes ``runs/cell_times_full.json``
(``make test-full``, or ``pytest --nbval-lax lessons/04_*.ipynb`` without ``GANCOURSE_FAST``) and
``runs/cell_times_fast.json`` (FAST mode). This script reads that file (no notebook is run) and
prints, for each notebook: the sum of its cell times (the kernel's start-up excluded) against the
budget (DESIGN.md: full mode <= 5 min per lesson on a 2-core CPU, FAST <= 60 s), the learner's
estimated time the lesson states in its first cell, the number of cells, and every cell over
``--slow`` seconds with whether it showed progress (a tqdm bar or a live widget). It also names the
load and thread count the run was recorded under: wall times on a shared machine move with the
load; the kernel's CPU time (single-threaded runs) is what the lesson costs on an idle machine.

Exit status 1 when a lesson is over its budget or a cell over the conftest's failure limit
(15 s) showed no progress, so the script can gate a release; 2 when there is nothing to read.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = {"fast": 60.0, "full": 300.0}
FAIL_S = 15.0  # conftest.FAIL_S: a cell whose work, min(wall, CPU), is over this with no progress
# fails the full-mode run
ESTIMATE = re.compile(r"Estimated time:\**\s*(\d+)\s*minutes")


def stated_minutes(notebook: Path) -> int | None:
    """The learner's time a lesson states in its first cell (``**Estimated time:** 50 minutes``)."""
    try:
        cells = json.loads(notebook.read_text())["cells"]
    except (OSError, ValueError, KeyError):
        return None
    first = "".join(cells[0]["source"]) if cells else ""
    match = ESTIMATE.search(first)
    return int(match.group(1)) if match else None


def report(data: dict, mode: str, slow: float, only: str | None = None) -> tuple[list[str], int]:
    """Lines of the report and how many problems (over budget, slow cells without progress)."""
    budget = BUDGET_S[mode]
    lines = [
        f"| notebook | {mode} s (budget {budget:.0f}) | kernel CPU s | stated | cells "
        f"| cells > {slow:.0f} s | recorded (load, threads) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    slow_lines, problems, grand = [], 0, 0.0
    for name, entry in data.get("notebooks", {}).items():
        if only and only not in name:
            continue
        cells = entry.get("cells", [])
        total = sum(c["seconds"] for c in cells)
        cpus = [c.get("cpu") for c in cells]
        cpu = f"{sum(cpus):.0f}" if cpus and None not in cpus else "-"
        grand += total
        over = total > budget
        problems += over
        minutes = stated_minutes(ROOT / name)
        slow_cells = [c for c in cells if c["seconds"] > slow]
        failed = sum(not c.get("passed", True) for c in cells)
        note = f" ({failed} failed)" if failed else ""
        load = entry.get("load_mean", entry.get("load_1min_at_end", "?"))
        lines.append(
            f"| {name} | {total:.0f}{' OVER' if over else ''}{note} | {cpu} | "
            f"{f'{minutes} min' if minutes else '-'} | {len(cells)} | {len(slow_cells)} | "
            f"{entry.get('when', '?')} (load {load}, "
            f"threads {entry.get('threads') or 'default'}) |"
        )
        for c in slow_cells:
            work = min(c["seconds"], c["cpu"]) if c.get("cpu") is not None else c["seconds"]
            bad = not c.get("progress") and work > FAIL_S
            problems += bad and mode == "full"
            shown = f"yes ({c['progress']})" if c.get("progress") else "no"
            shown += " <- fix" if bad else ""
            cpu_s = c["cpu"] if c.get("cpu") is not None else "-"
            slow_lines.append(
                f"| {name} | {c.get('index', '?')} (Cell {c['cell']}) | {c['seconds']:.1f} | "
                f"{cpu_s} | {shown} |"
            )
    lines.append(f"\nAll notebooks together: {grand:.0f} s ({grand / 60:.1f} min).")
    lines.append(f"\nCells over {slow:.0f} s:\n")
    lines.append("| notebook | cell index (nbval's Cell N) | wall s | kernel CPU s | progress |")
    lines.append("| --- | --- | --- | --- | --- |")
    lines.extend(slow_lines or ["| (none) | | | | |"])
    return lines, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=sorted(BUDGET_S), default="full")
    parser.add_argument("--file", type=Path, default=None, help="default runs/cell_times_MODE.json")
    parser.add_argument("--slow", type=float, default=10.0, help="list cells over this many s")
    parser.add_argument("--only", default=None, help="only notebooks whose path contains this")
    args = parser.parse_args(argv)
    path = args.file or ROOT / "runs" / f"cell_times_{args.mode}.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        print(
            f"cannot read {path} ({err}): run the notebooks first, e.g. `make test-full` or "
            "`env -u GANCOURSE_FAST python -m pytest --nbval-lax lessons`",
            file=sys.stderr,
        )
        return 2
    lines, problems = report(data, args.mode, args.slow, args.only)
    print("\n".join(lines))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
