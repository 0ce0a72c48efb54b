"""How every zoo model is trained: ``python -m gancourse.zoo train NAME --out DIR``.

One recipe per model (:mod:`.faces`, :mod:`.style`, :mod:`.translation`), each training through
:func:`gancourse.train.fit`. :func:`train` runs a recipe, saves the weights, reads them back as
``zoo.load`` would, measures them (:mod:`gancourse.zoo.evaluate`) and writes the model card,
whose ``training`` section is the recipe's settings plus what the run measured.

Stop a run early with ``kill -USR1 PID`` (or ``--max-minutes``): the weights and the card are
still written, recording the steps actually done.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from pathlib import Path

import torch
from torch import nn

from gancourse import checkpoint, runtime
from gancourse.train import distributed
from gancourse.zoo import read_file, write_card
from gancourse.zoo.evaluate import evaluate, half_precision_error
from gancourse.zoo.recipes import faces, judge, painter, style, translation
from gancourse.zoo.recipes.common import Recipe, Run, log
from gancourse.zoo.registry import WEIGHTS_DIR, entry

RECIPES: dict[str, Recipe] = {
    **faces.RECIPES,
    **style.RECIPES,
    **translation.RECIPES,
    **judge.RECIPES,
    **painter.RECIPES,
}


def machine_description(device: torch.device) -> dict:
    """Where a model was trained: CPU and cores, GPU, processes, PyTorch version and threads."""
    info = {
        "device": str(device),
        "cpu": runtime.cpu_name(),
        "cpu_cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "processes": distributed.world_size(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "os": platform.platform(),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def source_commit() -> str | None:
    """The git commit of the course's source (``+dirty`` with uncommitted changes), if known."""
    root = Path(__file__).resolve().parents[3]
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty=+dirty", "--abbrev=40"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def command(
    name: str,
    recipe: Recipe,
    steps: int,
    batch_size: int,
    eval_samples: int,
    seed: int,
    max_minutes: float | None,
) -> str:
    """The command line that reproduces a run (options left at the recipe's default omitted)."""
    parts = ["python -m gancourse.zoo train", name, f"--steps {steps}"]
    if max_minutes is not None:
        parts.append(f"--max-minutes {max_minutes:g}")
    for flag, value, default in (
        ("--batch-size", batch_size, recipe.batch_size),
        ("--eval-samples", eval_samples, recipe.eval_samples),
        ("--seed", seed, recipe.seed),
    ):
        if value != default:
            parts.append(f"{flag} {value}")
    return " ".join(parts + ["--out DIR"])


def train(
    name: str,
    out: str | Path,
    steps: int | None = None,
    batch_size: int | None = None,
    eval_samples: int | None = None,
    seed: int | None = None,
    device=None,
    threads: int | None = None,
    max_minutes: float | None = None,
    log=log,
) -> dict | None:
    """Train zoo model ``name``, measure it, write ``NAME.safetensors`` and ``NAME.json``.

    The files go in ``out``.

    ``out`` may not be the package's own ``zoo_weights`` folder (that would overwrite a shipped
    file whose sha256 is pinned). ``max_minutes`` caps the training time. Under ``torchrun`` only
    rank 0 writes and measures (the other ranks return ``None``).
    """
    zoo_entry = entry(name)
    if name not in RECIPES:
        raise checkpoint.CheckpointError(
            f"{name!r} is registered but has no recipe; recipes: {', '.join(RECIPES)}"
        )
    out = Path(out)
    if out.resolve() == WEIGHTS_DIR.resolve():
        raise ValueError(
            f"--out {out} is the package's own weights folder: training there would "
            "overwrite a shipped file. Train into another folder and load it with "
            f"zoo.load({name!r}, weights_dir=FOLDER)."
        )
    recipe = RECIPES[name]
    steps = recipe.steps if steps is None else steps
    batch_size = recipe.batch_size if batch_size is None else batch_size
    eval_samples = recipe.eval_samples if eval_samples is None else eval_samples
    seed = recipe.seed if seed is None else seed
    for label, value, least in (
        ("steps", steps, 1),
        ("batch size", batch_size, 1),
        ("eval samples", eval_samples, 0),
    ):
        if not isinstance(value, int) or value < least:
            raise ValueError(f"{label} must be an int >= {least}, got {value!r}")
    if threads is not None:
        runtime.set_threads(threads)
    device = runtime.get_device(device)
    out.mkdir(parents=True, exist_ok=True)
    log(f"training {name} for {steps} steps, batch {batch_size}, seed {seed}, on {device}")
    start = time.perf_counter()
    runtime.seed_everything(seed)
    run = Run(
        zoo_entry,
        recipe,
        steps,
        batch_size,
        seed,
        device,
        log,
        None if max_minutes is None else 60.0 * max_minutes,
        out,
    )
    model, notes = recipe.fn(run)
    if distributed.rank() != 0:
        return None
    train_seconds = time.perf_counter() - start
    model = model.cpu().eval()
    path = out / zoo_entry.filename
    sha = checkpoint.save_weights(model, path, zoo_entry.architecture, half=recipe.half)
    reloaded = read_file(zoo_entry, path)
    log(f"measuring {name} on {eval_samples} images")
    metrics = evaluate(zoo_entry, reloaded, eval_samples, out=out)
    metrics["float16_max_abs_diff"] = half_precision_error(zoo_entry, model, reloaded)
    steps_done = notes.pop("steps_done")
    card = {
        "name": name,
        "summary": zoo_entry.summary,
        "command": command(name, recipe, steps, batch_size, eval_samples, seed, max_minutes),
        "commit": source_commit(),
        "seed": seed,
        "data": recipe.data,
        "steps": steps_done,
        "steps_requested": steps,
        "batch_size": batch_size,
        "eval_samples": eval_samples,
        "wall_time_s": round(time.perf_counter() - start, 1),
        "train_time_s": round(train_seconds, 1),
        "machine": machine_description(device),
        "trained_on_gpu": device.type == "cuda",
        "metrics": metrics,
        "training": {**recipe.settings, **notes},
        "architecture": zoo_entry.architecture,
        "config": zoo_entry.config,
        "file": zoo_entry.filename,
        "dtype": "float16" if recipe.half else "float32",
        "size_bytes": path.stat().st_size,
        "sha256": sha,
        "created_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
    }
    write_card(out / zoo_entry.card_filename, card)
    log(f"done in {card['wall_time_s']:.0f} s: {path} sha256 {sha}")
    return {
        "path": path,
        "sha256": sha,
        "size_bytes": card["size_bytes"],
        "metrics": metrics,
        "card": card,
    }


def measure(name: str, folder: str | Path) -> dict:
    """Re-measure a trained file in ``folder`` and write the metrics into its card (e.g. once
    the face classifier exists)."""
    zoo_entry = entry(name)
    folder = Path(folder)
    model: nn.Module = read_file(zoo_entry, folder / zoo_entry.filename)
    card_path = folder / zoo_entry.card_filename
    card = json.loads(card_path.read_text())
    card["metrics"] = evaluate(zoo_entry, model, RECIPES[name].eval_samples or 500, out=folder)
    write_card(card_path, card)
    return card["metrics"]
