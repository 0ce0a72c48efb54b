"""Runtime settings: which device to use, seeding, FAST mode and CPU threads.

Everything the lessons need to behave the same on a laptop CPU, a Mac (MPS) and a CUDA GPU.

- ``get_device()``   CUDA -> MPS -> CPU, or the device named by ``GANCOURSE_DEVICE``.
- ``seed_everything`` one call seeds Python, NumPy and PyTorch.
- ``is_fast()``       True when ``GANCOURSE_FAST=1`` (set by ``make test``): lessons shrink
                      steps/sizes.
- ``set_threads()``   how many CPU threads PyTorch uses.
- ``cpu_name()``      the processor's model name (for benchmark reports and model cards).
- ``run_dir(name)``   a new folder under ``runs/`` for one run's grids and checkpoints.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import numpy as np
import torch

DEVICE_ENV = "GANCOURSE_DEVICE"
FAST_ENV = "GANCOURSE_FAST"
DEVICE_CHOICES = ("auto", "cpu", "cuda", "cuda:N", "mps")


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def _check_device_name(name: str) -> torch.device:
    """Turn a user-given device name into a ``torch.device`` or raise a clear error."""
    choices = ", ".join(DEVICE_CHOICES)
    lowered = name.strip().lower()
    if lowered == "cpu":
        return torch.device("cpu")
    if lowered == "mps":
        if not _mps_available():
            raise RuntimeError(
                f"{DEVICE_ENV}=mps was asked for, but this PyTorch sees no Apple MPS device. "
                f"Unset {DEVICE_ENV} (or set it to 'auto' or 'cpu'). Choices: {choices}."
            )
        return torch.device("mps")
    if lowered == "cuda" or lowered.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise RuntimeError(
                f"Device '{name}' was asked for, but CUDA is not available on this machine "
                f"(torch {torch.__version__}, torch.cuda.is_available() is False). "
                f"Unset {DEVICE_ENV} (or set it to 'auto' or 'cpu'). Choices: {choices}."
            )
        if lowered.startswith("cuda:"):
            index_text = lowered.split(":", 1)[1]
            if not index_text.isdigit():
                raise ValueError(
                    f"Device '{name}': the index after 'cuda:' must be a number, e.g. cuda:0."
                )
            index = int(index_text)
            if index >= torch.cuda.device_count():
                raise RuntimeError(
                    f"Device '{name}' was asked for, but only {torch.cuda.device_count()} CUDA "
                    f"device(s) exist (cuda:0 .. cuda:{torch.cuda.device_count() - 1})."
                )
        return torch.device(lowered)
    raise ValueError(f"Unknown device '{name}'. Choices: {choices}.")


def get_device(prefer: str | None = None, verbose: bool = False) -> torch.device:
    """Pick the device the course runs on.

    Order: ``prefer`` argument, then the ``GANCOURSE_DEVICE`` environment variable, then
    automatically CUDA -> MPS -> CPU. With ``verbose=True`` it prints what it chose and why.

    Raises a clear error (listing the choices) when the named device does not exist here.
    """
    requested = prefer if prefer is not None else os.environ.get(DEVICE_ENV, "")
    source = "argument" if prefer is not None else f"${DEVICE_ENV}"
    if requested and requested.strip().lower() != "auto":
        device = _check_device_name(requested)
        reason = f"asked for by {source}={requested!r}"
    elif torch.cuda.is_available():
        device = torch.device("cuda")
        reason = f"CUDA GPU found: {torch.cuda.get_device_name(0)}"
    elif _mps_available():
        device = torch.device("mps")
        reason = "Apple MPS GPU found"
    else:
        device = torch.device("cpu")
        reason = "no CUDA or MPS GPU found, so the CPU it is (every lesson is sized for a CPU)"
    if verbose:
        print(f"Using device '{device}': {reason}.")
    return device


def device_of(module: torch.nn.Module) -> torch.device:
    """The device of a module's parameters (the CPU when it has none)."""
    try:
        return next(module.parameters()).device
    except StopIteration:
        return torch.device("cpu")


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python's ``random``, NumPy and PyTorch (CPU and CUDA); return a seeded CPU generator."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}: {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def is_fast() -> bool:
    """True when ``GANCOURSE_FAST`` is set to 1/true/yes: lessons use tiny steps and sizes (CI)."""
    return os.environ.get(FAST_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def fast_or_full(fast, full):
    """Return ``fast`` in FAST mode, else ``full``: ``steps = fast_or_full(50, 2000)``."""
    return fast if is_fast() else full


def set_threads(n: int | None = None) -> int:
    """Set how many CPU threads PyTorch uses (default: all cores, at most 8). Returns the number."""
    if n is None:
        n = min(os.cpu_count() or 1, 8)
    if n < 1:
        raise ValueError(f"threads must be >= 1, got {n}")
    torch.set_num_threads(n)
    return n


def cpu_name() -> str:
    """The processor's model name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    import platform

    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment_report() -> dict:
    """Versions, device, threads and FAST mode, as a dict (lesson 00 prints it)."""
    import platform

    import matplotlib
    import torchvision

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "numpy": np.__version__,
        "matplotlib": matplotlib.__version__,
        "device": str(get_device()),
        "cuda available": torch.cuda.is_available(),
        "mps available": _mps_available(),
        "cpu threads": torch.get_num_threads(),
        "FAST mode": is_fast(),
    }


def run_dir(name: str, root: str | os.PathLike | None = None) -> Path:
    """A new folder for one run's results: ``root/name-YYYYmmdd-HHMMSS`` (``-2``, ``-3``, ... if
    taken), created and returned. ``root`` defaults to ``$GANCOURSE_RUNS`` or ``runs/`` in the
    working folder (git-ignored), so a learner's grids and checkpoints stay where they can find
    them, not in a temporary folder. Lessons 04 and 05 print the path."""
    if not isinstance(name, str) or not name or any(c in name for c in "/\\:"):
        raise ValueError(f"name must be a plain folder name such as 'lesson04', got {name!r}")
    base = Path(root or os.environ.get("GANCOURSE_RUNS") or "runs")
    stem = f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    for k in range(1, 1000):
        folder = base / (stem if k == 1 else f"{stem}-{k}")
        try:
            folder.mkdir(parents=True)
            return folder
        except FileExistsError:
            continue
    raise RuntimeError(f"could not make a new run folder under {base}: 999 taken for {stem}")
