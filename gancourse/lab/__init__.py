"""Start JupyterLab on lesson 00: what ``make lab`` runs. Used in lesson 00 (how the course works).

Adds ``--allow-root`` only when running as root (containers), and passes any other arguments on,
e.g. ``python -m gancourse.lab --no-browser --port 8890``. The server uses the kernel WebSocket
connection in :mod:`gancourse.lab.connection` (sliders answer ~40 ms sooner). If a future
jupyter_server no longer has the class it extends, JupyterLab starts with jupyter_server's own
connection instead, and says so.

JupyterLab is the ``lab`` extra (``pip install "gancourse[lab]"``, what ``make lab`` installs):
Colab and other front ends bring their own.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path

FIRST_LESSON = "lessons/00_welcome.ipynb"
CONNECTION_CLASS = "gancourse.lab.connection.LowLatencyKernelConnection"
ROOT = Path(__file__).resolve().parents[2]  # the course folder: gancourse/lab/__init__.py -> ../..
FALLBACK_MESSAGE = (
    "gancourse.lab: cannot load the low-latency kernel connection {cls} ({error}). "
    "This jupyter_server ({version}) seems to have moved the class it extends. "
    "Starting JupyterLab with jupyter_server's own kernel connection: everything works, "
    "sliders may answer ~40 ms later. (Please report it, with this message.)"
)


def connection_flags() -> list[str]:
    """The server flag naming :data:`CONNECTION_CLASS`, or none (and a message) if it cannot load.

    ``[]`` leaves jupyter_server on its own default kernel connection class.
    """
    module, _, name = CONNECTION_CLASS.rpartition(".")
    try:
        getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        try:
            from jupyter_server import __version__ as version
        except ImportError:
            version = "not installed"
        message = FALLBACK_MESSAGE.format(
            cls=CONNECTION_CLASS, error=f"{type(error).__name__}: {error}", version=version
        )
        print(message, file=sys.stderr, flush=True)
        return []
    return [f"--ServerApp.kernel_websocket_connection_class={CONNECTION_CLASS}"]


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
        *connection_flags(),
    ]
    if is_root:
        command.append("--allow-root")
    command.extend(extra_args)
    return command


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not (ROOT / FIRST_LESSON).exists():
        sys.exit(f"Cannot find {FIRST_LESSON} under {ROOT}: run `make lab` from the course folder.")
    if importlib.util.find_spec("jupyterlab") is None:
        sys.exit(
            "JupyterLab is not installed here. Install the course with its lab extra: "
            'pip install -e ".[lab]" (or run `make lab`, which does it for you).'
        )
    os.chdir(ROOT)
    command = lab_command(argv)
    os.execv(command[0], command)
