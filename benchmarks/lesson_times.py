"""Wall time of each lesson, executed top to bottom as Restart & Run All does, in FAST and full
mode.

    python benchmarks/lesson_times.py [--modes fast,full] [--only 04]

Budgets (DESIGN.md): FAST (CI) <= 60 s per lesson; full mode <= 5 min per lesson on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = {"fast": 60, "full": 300}


def run_notebook(path: Path, fast: bool) -> float:
    nb = nbformat.read(path, as_version=4)
    saved = os.environ.get("GANCOURSE_FAST")
    os.environ["GANCOURSE_FAST"] = "1" if fast else "0"
    try:
        client = NotebookClient(
            nb,
            timeout=1200,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        start = time.perf_counter()
        client.execute()
        return time.perf_counter() - start
    finally:
        if saved is None:
            os.environ.pop("GANCOURSE_FAST", None)
        else:
            os.environ["GANCOURSE_FAST"] = saved


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--modes", default="fast,full")
    parser.add_argument("--only", default=None, help="only lessons whose file name contains this")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    lessons = sorted((ROOT / "lessons").glob("*.ipynb"))
    if args.only:
        lessons = [p for p in lessons if args.only in p.name]
    print("| lesson | " + " | ".join(f"{m} s (budget {BUDGET_S[m]})" for m in modes) + " |")
    print("| --- |" + " --- |" * len(modes))
    failures = 0
    for path in lessons:
        cells = []
        for mode in modes:
            try:
                seconds = run_notebook(path, fast=(mode == "fast"))
                flag = "" if seconds <= BUDGET_S[mode] else " (over budget)"
                cells.append(f"{seconds:.1f}{flag}")
            except Exception as error:  # report and go on with the other lessons
                failures += 1
                cells.append(f"failed: {type(error).__name__}")
        print(f"| {path.name} | " + " | ".join(cells) + " |", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
