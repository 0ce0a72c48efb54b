"""Start JupyterLab on lesson 00: what ``make lab`` runs. Used in lesson 00 (how the course works).

Adds ``--allow-root`` only when running as root (containers), and passes any other arguments on,
e.g. ``python -m gancourse.lab --no-browser --port 8890``. The server uses the kernel WebSocket
connection in :mod:`gancourse.lab.connection` (sliders answer ~40 ms sooner).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

FIRST_LESSON = "lessons/00_welcome.ipynb"
CONNECTION_CLASS = "gancourse.lab.connection.LowLatencyKernelConnection"
ROOT = Path(__file__).resolve().parents[2]  # the course folder: gancourse/lab/__init__.py -> ../..


def lab_command(extra_args=(), is_root: bool | None = None) -> list[str]:
    if is_root is None:
        is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    # Serve the whole course folder (lessons and exercises side by side), opened on lesson 00.
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--LabApp.default_url=/lab/tree/{FIRST_LESSON}",
        # kernel messages reach the page at once, not ~40 ms late: see connection.py
        f"--ServerApp.kernel_websocket_connection_class={CONNECTION_CLASS}",
    ]
    if is_root:
        command.append("--allow-root")
    command.extend(extra_args)
    return command


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not (ROOT / FIRST_LESSON).exists():
        sys.exit(f"Cannot find {FIRST_LESSON} under {ROOT}: run `make lab` from the course folder.")
    os.chdir(ROOT)
    command = lab_command(argv)
    os.execv(command[0], command)
