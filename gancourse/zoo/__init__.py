"""The reference model zoo: small checkpoints the project trains itself, shipped in the package.

Used from lesson 00 on. A learner on a CPU should see good results without hours of training,
and nothing may be downloaded. So each reference model

- is registered by name in :mod:`gancourse.zoo.registry` (one table: class, config, sha256);
- ships as ``gancourse/zoo_weights/NAME.safetensors`` (tensors only, never unpickled), float16
  where the quality allows, cast back to float32 on load;
- has a model card ``NAME.json``, written by the recipe that trained it
  (:mod:`gancourse.zoo.recipes`): the command, its settings, the data, the machine, the metrics
  (:mod:`gancourse.zoo.evaluate`) and the sha256;
- is checked at load: the file's sha256 must equal the pinned one, and its tensors must match the
  registered architecture key for key and shape for shape.

Use::

    from gancourse import zoo
    G = zoo.load("faces_dcgan64")          # eval mode, on runtime.get_device(), frozen
    zoo.names()                            # what is there
    zoo.card("faces_dcgan64")["metrics"]   # how good it is, measured

From a shell (:mod:`gancourse.zoo.cli`)::

    python -m gancourse.zoo list
    python -m gancourse.zoo train faces_dcgan64 --out DIR [--steps N]
    torchrun --nproc_per_node 4 -m gancourse.zoo train faces_stylegan --out DIR

Importing this package loads no training code. Every failure is a
:class:`~gancourse.checkpoint.CheckpointError` whose message names the fix.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from gancourse import checkpoint, runtime
from gancourse.checkpoint import (
    ArchitectureMismatchError,
    CheckpointError,
    CorruptCheckpointError,
    HashMismatchError,
    MissingCheckpointError,
    sha256_of,
)
from gancourse.zoo import registry
from gancourse.zoo.registry import REGISTRY, WEIGHTS_DIR, UnknownModelError, ZooEntry, entry, names

__all__ = [
    "REGISTRY",
    "WEIGHTS_DIR",
    "ArchitectureMismatchError",
    "CheckpointError",
    "CorruptCheckpointError",
    "HashMismatchError",
    "MissingCheckpointError",
    "UnknownModelError",
    "ZooEntry",
    "card",
    "entry",
    "list_models",
    "load",
    "load_painters",
    "names",
    "painter_for",
    "read_file",
    "sha256_of",
    "write_card",
]


def _folder(weights_dir) -> Path:
    return registry.WEIGHTS_DIR if weights_dir is None else Path(weights_dir)


def _reproduce(name: str, folder: Path | None = None) -> str:
    out = "" if folder is None else f" --out {folder}"
    return f"python -m gancourse.zoo train {name}{out}"


def card(name: str, weights_dir: str | Path | None = None) -> dict:
    """The model card of ``name`` (a dict read from ``NAME.json``)."""
    zoo_entry = entry(name)
    path = _folder(weights_dir) / zoo_entry.card_filename
    if not path.exists():
        raise MissingCheckpointError(
            f"No model card for {name!r} at {path}. Reproduce the checkpoint and its card with: "
            f"{_reproduce(name, None if weights_dir is None else path.parent)}"
        )
    try:
        return json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as error:
        raise CorruptCheckpointError(
            f"the model card {path} is not valid JSON ({error}). Restore it "
            "(`git checkout -- gancourse/zoo_weights`) or write it again: "
            f"{_reproduce(name, None if weights_dir is None else path.parent)}"
        ) from error


def write_card(path: str | Path, card_data: dict) -> None:
    """Write a model card as pretty JSON (keys in the order given)."""
    Path(path).write_text(json.dumps(card_data, indent=2) + "\n")


def _fix(name: str) -> str:
    return (
        "restore the shipped file (reinstall gancourse, or `git checkout -- "
        f"gancourse/zoo_weights`), or retrain it: {_reproduce(name)} --out DIR"
    )


def _build(zoo_entry: ZooEntry, path: Path, tensors: dict, metadata: dict) -> nn.Module:
    model = zoo_entry.build()
    checkpoint.check_architecture(model, tensors, path, _fix(zoo_entry.name), metadata)
    checkpoint.load_weights_into(model, tensors)
    return model.eval().requires_grad_(False)


def read_file(zoo_entry: ZooEntry, path: Path) -> nn.Module:
    """The model in ``path``, built from ``zoo_entry`` and checked against it (no hash check):
    eval mode, float32, frozen, on the CPU."""
    tensors, metadata = checkpoint.read_weights(path, _fix(zoo_entry.name))
    return _build(zoo_entry, path, tensors, metadata)


def load(
    name: str, device: str | torch.device | None = None, weights_dir: str | Path | None = None
) -> nn.Module:
    """Load the reference model ``name``: eval mode, float32, frozen parameters, on ``device``.

    ``device`` defaults to :func:`gancourse.runtime.get_device` (CUDA -> MPS -> CPU). The shipped
    file must have the sha256 pinned in the registry. With ``weights_dir`` (a folder you trained
    into with ``python -m gancourse.zoo train NAME --out DIR``) the file is checked against the
    sha256 in that folder's own card instead.

    Parameters are frozen because a reference model is used, not trained; gradients still flow
    *through* it (e.g. to a latent code). Call ``model.requires_grad_(True)`` to fine-tune it.
    """
    zoo_entry = entry(name)
    folder = _folder(weights_dir)
    path = folder / zoo_entry.filename
    if not path.exists():
        where = "shipped with the package" if weights_dir is None else f"in {folder}"
        raise MissingCheckpointError(
            f"The weights of {name!r} are not {where}: {path} does not exist. Reproduce them "
            f"with: {_reproduce(name, None if weights_dir is None else folder)}"
        )
    target = runtime.get_device() if device is None else torch.device(device)
    tensors, metadata = checkpoint.read_weights(path, _fix(name))
    if weights_dir is None:
        expected, source = zoo_entry.sha256, "the registry (gancourse/zoo/registry.py)"
    else:
        expected = card(name, folder).get("sha256", "")
        source = f"its card {folder / zoo_entry.card_filename}"
    actual = sha256_of(path)
    if actual != expected:
        raise HashMismatchError(
            f"{path} has sha256 {actual[:16]}…, but {source} expects {str(expected)[:16]}…. "
            "The file was changed or comes from another training run. Fix: restore the shipped "
            "file (reinstall gancourse, or `git checkout -- gancourse/zoo_weights`); if you "
            f"retrained it on purpose into a folder, load it with zoo.load({name!r}, "
            "weights_dir=FOLDER), which checks the file against that folder's card."
        )
    model = _build(zoo_entry, path, tensors, metadata).to(target)
    model.zoo_name = name
    return model


def list_models(weights_dir: str | Path | None = None) -> list[dict]:
    """One row per registered model: name, kind, size in MB, metrics (or what is missing)."""
    folder = _folder(weights_dir)
    rows = []
    for name in names():
        zoo_entry = registry.REGISTRY[name]
        path = folder / zoo_entry.filename
        row = {
            "name": name,
            "kind": zoo_entry.kind,
            "summary": zoo_entry.summary,
            "size_mb": None,
            "metrics": {},
        }
        if path.exists():
            row["size_mb"] = path.stat().st_size / 1e6
            try:
                row["metrics"] = card(name, folder).get("metrics", {})
            except MissingCheckpointError:
                pass
            except CorruptCheckpointError as error:  # one bad card must not hide the others
                row["metrics"] = {"card": f"unreadable ({str(error).split(' (')[0]})"}
        rows.append(row)
    return rows


def painter_for(style: str) -> str:
    """The zoo painter lesson 08 uses for ``style``: the one-style painter ``painter_STYLE`` where
    the registry has one, else the five-style ``painter`` (one network, a CIN per style)."""
    styles = entry("painter").config["styles"]
    if style not in styles:
        raise ValueError(f"style must be one of {styles}, got {style!r}")
    return f"painter_{style}" if f"painter_{style}" in REGISTRY else "painter"


def load_painters(device: str | torch.device | None = None) -> dict[str, nn.Module]:
    """style -> the painter that paints it (:func:`painter_for`), each model loaded once; for
    ``widgets.PainterExplorer`` and lesson 08."""
    loaded = {}
    out = {}
    for style in entry("painter").config["styles"]:
        name = painter_for(style)
        if name not in loaded:
            loaded[name] = load(name, device=device)
        out[style] = loaded[name]
    return out
