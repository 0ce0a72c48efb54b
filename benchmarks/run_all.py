"""`make bench`: run every benchmark script and write docs/benchmarks.md (machine named).

    python benchmarks/run_all.py [--quick]

--quick skips the slow parts (full-mode lesson times, timing `make test`).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import torch

from gancourse import runtime

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = [  # (title, command) in the order they appear in the report
    ("Synthetic faces: rendering throughput", ["benchmarks/faces_throughput.py"]),
    ("Training step: gancourse vs a plain reference loop", ["benchmarks/train_step.py"]),
    ("Slider callbacks (no browser): state -> new PNG bytes", ["benchmarks/slider_callbacks.py"]),
    ("Style strength: alpha -> new image bytes", ["benchmarks/style_latency.py"]),
    (
        "A slider move through JupyterLab's server (no browser): Nagle on and off",
        ["benchmarks/kernel_websocket_latency.py"],
    ),
    (
        "Sliders in the browser: key press -> new image painted",
        ["benchmarks/browser_slider_latency.py", "--moves", "50", "--compare-stock"],
    ),
    ("Model zoo quality", ["benchmarks/zoo_quality.py"]),
    ("DCGAN compute cost vs image size and width", ["benchmarks/compute_cost.py"]),
]


def machine() -> str:
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (
        f"{runtime.cpu_name()}, {os.cpu_count()} cores, {gpu}; Python {platform.python_version()}, "
        f"torch {torch.__version__}, {platform.system()} {platform.release()}"
    )


def as_markdown(output: str) -> str:
    """A script's output for the report: Markdown tables stay as they are, other text goes in a
    code block."""
    if any(line.startswith("|") for line in output.splitlines()):
        return output
    return f"```\n{output.strip()}\n```"


def run(command: list[str], timeout: int = 3600) -> tuple[str, float, int]:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, *command], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    output = result.stdout + (f"\n[stderr]\n{result.stderr[-2000:]}" if result.returncode else "")
    return output.strip(), time.perf_counter() - start, result.returncode


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sections = [
        f"# Benchmarks\n\nMeasured by `make bench` on {datetime.date.today()}.\n\n"
        f"**Machine:** {machine()}.\n\nFigures are single runs on a shared machine: compare ratios "
        "measured within one run, not absolute numbers across runs. "
        "Figures measured on a GPU (once, on a borrowed H200) are in "
        "[benchmarks_gpu.md](benchmarks_gpu.md).\n"
    ]
    failed = 0
    scripts = list(SCRIPTS)
    scripts.append(
        (
            "Lesson execution time",
            ["benchmarks/lesson_times.py", "--modes", "fast" if args.quick else "fast,full"],
        )
    )
    for title, command in scripts:
        if not (ROOT / command[0]).exists():
            sections.append(f"## {title}\n\n(`{command[0]}` not written yet)\n")
            continue
        print(f"== {title}: {' '.join(command)}", flush=True)
        output, seconds, code = run(command)
        failed += code != 0
        print(output, flush=True)
        sections.append(
            f"## {title}\n\n`python {' '.join(command)}` ({seconds:.0f} s"
            f"{', FAILED' if code else ''}):\n\n{as_markdown(output)}\n"
        )
    if not args.quick:
        print("== make test (wall time)", flush=True)
        start = time.perf_counter()
        code = subprocess.run(["make", "test"], cwd=ROOT, capture_output=True).returncode
        seconds = time.perf_counter() - start
        failed += code != 0
        sections.append(
            f"## `make test` wall time\n\n{seconds / 60:.1f} min with the environment already "
            f"set up ({'passed' if code == 0 else 'FAILED'}); a fresh clone adds the install "
            "(about 3 min here).\n"
        )
    out = ROOT / "docs" / "benchmarks.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(sections))
    print(f"wrote {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
