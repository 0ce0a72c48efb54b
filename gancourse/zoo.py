"""The reference model zoo: small checkpoints the project trains itself, shipped inside the package.

A learner on a CPU should see good results without hours of training, and nothing may be
downloaded. So each reference model

- is registered here by name, with the class that builds it and that class's constructor config;
- ships as ``gancourse/zoo_weights/NAME.safetensors`` (tensors only: nothing is ever unpickled),
  stored in float16 where the quality allows and cast back to float32 on load;
- has a model card ``gancourse/zoo_weights/NAME.json``: the command that reproduces it, seed, data,
  steps, wall time and machine, measured metrics, sha256, architecture and config;
- is checked at load: the file's sha256 must equal the one pinned in the registry, and its tensors
  must match the registered architecture key for key and shape for shape.

Use::

    from gancourse import zoo
    G = zoo.load("faces_dcgan64")          # eval mode, on runtime.get_device(), parameters frozen
    zoo.names()                            # what is there
    zoo.card("faces_dcgan64")["metrics"]   # how good it is, measured

From a shell::

    python -m gancourse.zoo list
    python -m gancourse.zoo train faces_dcgan64 [--steps N] [--out DIR]

Every failure is a :class:`ZooError` subclass whose message names the fix.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

WEIGHTS_DIR = Path(__file__).resolve().parent / "zoo_weights"
FORMAT = "gancourse-zoo-1"


# --------------------------------------------------------------------------------------------------
# errors: one class per failure, each message says how to fix it


class ZooError(RuntimeError):
    """Base class of every zoo failure."""


class UnknownModelError(ZooError, KeyError):
    """The name is not in the registry."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return self.args[0]


class MissingCheckpointError(ZooError, FileNotFoundError):
    """The registered weights file is not on disk."""


class CorruptCheckpointError(ZooError):
    """The file exists but is not a readable safetensors file."""


class HashMismatchError(ZooError):
    """The file's sha256 differs from the one the registry (or its card) pins."""


class ArchitectureMismatchError(ZooError):
    """The file holds the weights of a different model than the registry describes."""


# --------------------------------------------------------------------------------------------------
# the registry


@dataclass(frozen=True)
class ZooEntry:
    """One reference model: what to build, from which file, and the sha256 that file must have."""

    name: str
    architecture: str  # "package.module:ClassName"
    config: dict  # constructor kwargs: build with Class(**config)
    sha256: str  # of the shipped NAME.safetensors
    summary: str
    kind: str  # "generator" | "conditional_generator" | "classifier" | kinds of extensions
    recipe: str = ""  # "package.module:function" that trains it (see gancourse.zoo_train)
    tags: tuple = field(default_factory=tuple)

    @property
    def filename(self) -> str:
        return f"{self.name}.safetensors"

    @property
    def card_filename(self) -> str:
        return f"{self.name}.json"

    def build(self) -> nn.Module:
        """A freshly initialised model of this entry's architecture and config."""
        return build_architecture(self.architecture, self.config)


def build_architecture(architecture: str, config: dict) -> nn.Module:
    """Import ``"pkg.module:Class"`` and return ``Class(**config)``."""
    module_name, _, class_name = architecture.partition(":")
    if not module_name or not class_name:
        raise ValueError(f"architecture must look like 'package.module:ClassName', got {architecture!r}")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(**config)


# The shipped models. The sha256 values are pinned here (code), so a swapped or damaged file is
# caught even when its card was edited along with it. After retraining a model on purpose, put the
# new sha256 (printed by `python -m gancourse.zoo train`) here.
REGISTRY: dict[str, ZooEntry] = {}


def register(entry: ZooEntry) -> ZooEntry:
    """Add ``entry`` to the registry (replacing one of the same name); returns it."""
    REGISTRY[entry.name] = entry
    return entry


FACE_ATTRIBUTES = {"smile": 0, "eye_size": 0, "skin_tone": 0, "head_tilt": 0,  # 0: continuous in [0, 1]
                   "hair_color": 4, "hair_style": 3, "glasses": 2, "background": 4}  # number of classes
FACE_CLASSES = {name: k for name, k in FACE_ATTRIBUTES.items() if k}

register(ZooEntry(
    name="face_classifier",
    architecture="gancourse.models.classifier:AttributeClassifier",
    config={"attributes": FACE_ATTRIBUTES, "image_size": 64, "channels": 3, "width": 24, "feature_dim": 128},
    sha256="7c0628efa34a68206616407d3a8456430ab2f7ecf301e7a9c61df4cecb7af490",
    summary="attribute classifier for 64x64 synthetic faces; its features(x) is the course's metric embedding",
    kind="classifier",
))
register(ZooEntry(
    name="faces_dcgan64",
    architecture="gancourse.models.dcgan:Generator",
    config={"z_dim": 64, "image_size": 64, "channels": 3, "width": 32},
    sha256="726842d202157aa6442f0beaefe5969b19dcd23081bf23ef1e4b0dfb46756157",
    summary="DCGAN generator (EMA weights) on 64x64 synthetic faces",
    kind="generator",
))
register(ZooEntry(
    name="faces_cgan64",
    architecture="gancourse.models.conditional:ConditionalGenerator",
    config={"z_dim": 64, "image_size": 64, "channels": 3, "width": 32, "classes": FACE_CLASSES, "embed_dim": 16},
    sha256="5f1fdfdb08b7884bde72e0932daa1743070f6808859483dbfc1c0c19491b0c3e",
    summary="conditional DCGAN (projection discriminator) on 64x64 faces, conditioned on the categorical attributes",
    kind="conditional_generator",
))
register(ZooEntry(
    name="digits_dcgan",
    architecture="gancourse.models.dcgan:Generator",
    config={"z_dim": 32, "image_size": 32, "channels": 1, "width": 32},
    sha256="c0690fc970e7168d6438588e0a5121a48a63cf64f788712eb8cb5f890731c929",
    summary="small DCGAN generator (EMA weights) on scikit-learn's 8x8 digits upsampled to 32x32",
    kind="generator",
))


def names() -> list[str]:
    """The registered model names, sorted."""
    return sorted(REGISTRY)


def entry(name: str) -> ZooEntry:
    """The registry entry of ``name``; an unknown name is an error that lists the known ones."""
    if not isinstance(name, str):
        raise TypeError(f"a zoo model name is a string, got {type(name).__name__}: {name!r}")
    if name not in REGISTRY:
        import difflib

        close = difflib.get_close_matches(name, list(REGISTRY), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UnknownModelError(
            f"No zoo model named {name!r}.{hint} Known models: {', '.join(names()) or '(none)'}. "
            "List them with details: python -m gancourse.zoo list"
        )
    return REGISTRY[name]


# --------------------------------------------------------------------------------------------------
# files: hashing, cards, saving


def sha256_of(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _weights_dir(weights_dir) -> Path:
    return WEIGHTS_DIR if weights_dir is None else Path(weights_dir)


def card(name: str, weights_dir: str | Path | None = None) -> dict:
    """The model card of ``name`` (a dict read from ``NAME.json``)."""
    zoo_entry = entry(name)
    path = _weights_dir(weights_dir) / zoo_entry.card_filename
    if not path.exists():
        raise MissingCheckpointError(
            f"No model card for {name!r} at {path}. Reproduce the checkpoint and its card with: "
            f"python -m gancourse.zoo train {name}"
        )
    return json.loads(path.read_text())


def save_checkpoint(model: nn.Module, path: str | Path, architecture: str, half: bool = True) -> str:
    """Write ``model``'s state dict to ``path`` as safetensors; return the file's sha256.

    Floating tensors are stored as float16 when ``half`` (halves the size; the loader casts back to
    float32). The architecture and config go into the file's metadata, so a file always says what
    it holds.
    """
    from safetensors.torch import save_file

    config = getattr(model, "config", None)
    if not isinstance(config, dict):
        raise TypeError(f"{type(model).__name__} needs a `config` dict (its constructor kwargs) to be saved in the zoo")
    tensors = {}
    for key, value in model.state_dict().items():
        value = value.detach().cpu()
        if half and value.is_floating_point():
            value = value.half()
        tensors[key] = value.clone().contiguous()  # clone: safetensors refuses shared storage
    metadata = {
        "format": FORMAT,
        "architecture": architecture,
        "config": json.dumps(config, sort_keys=True),
        "dtype": "float16" if half else "float32",
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata=metadata)
    return sha256_of(path)


def write_card(path: str | Path, card_data: dict) -> None:
    """Write a model card as pretty JSON (keys in a stable order)."""
    Path(path).write_text(json.dumps(card_data, indent=2, sort_keys=False) + "\n")


# --------------------------------------------------------------------------------------------------
# loading


def _read_safetensors(path: Path, name: str) -> tuple[dict, dict]:
    """Parse a safetensors file into (tensors, metadata); any parse error becomes a clear error."""
    from safetensors import safe_open
    from safetensors.torch import load as load_bytes

    try:
        data = path.read_bytes()
        tensors = load_bytes(data)
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
    except Exception as error:  # SafetensorError, OSError, header JSON errors...
        raise CorruptCheckpointError(
            f"{path} is not a readable safetensors file ({type(error).__name__}: {error}). "
            f"It is damaged or was replaced. Fix: restore the shipped file (reinstall gancourse or "
            f"`git checkout -- {path.name}` in gancourse/zoo_weights), or reproduce it with: "
            f"python -m gancourse.zoo train {name}"
        ) from error
    return tensors, metadata


def check_architecture(model: nn.Module, tensors: dict, name: str, path: Path, metadata: dict | None = None) -> None:
    """Raise ArchitectureMismatchError unless ``tensors`` match ``model``'s state dict exactly."""
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in tensors.items()}
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    wrong_shape = sorted(k for k in set(expected) & set(found) if expected[k] != found[k])
    if not (missing or unexpected or wrong_shape):
        return
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing (e.g. {missing[0]!r})")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected (e.g. {unexpected[0]!r})")
    if wrong_shape:
        k = wrong_shape[0]
        problems.append(f"{len(wrong_shape)} with another shape (e.g. {k!r}: file {found[k]}, model {expected[k]})")
    holds = ""
    if metadata and "architecture" in metadata:
        holds = f" The file says it holds {metadata['architecture']} with config {metadata.get('config', '?')}."
    raise ArchitectureMismatchError(
        f"{path.name} does not fit the registered architecture of {name!r} "
        f"({type(model).__name__} with config {getattr(model, 'config', '?')}): tensors "
        f"{'; '.join(problems)}.{holds} It is a checkpoint of another model. Fix: restore the "
        f"shipped file, or retrain it for this architecture with: python -m gancourse.zoo train {name}"
    )


def load(name: str, device: str | torch.device | None = None, weights_dir: str | Path | None = None) -> nn.Module:
    """Load the reference model ``name``: eval mode, float32, frozen parameters, on ``device``.

    ``device`` defaults to :func:`gancourse.runtime.get_device` (CUDA -> MPS -> CPU).

    The shipped file must have the sha256 pinned in the registry. With ``weights_dir`` (a folder you
    trained into with ``python -m gancourse.zoo train NAME --out DIR``) the file is checked against
    the sha256 in that folder's own card instead.

    Parameters are frozen (``requires_grad=False``) because a reference model is used, not trained;
    gradients still flow *through* it (e.g. to a latent code). Call ``model.requires_grad_(True)``
    to fine-tune it.
    """
    from gancourse import runtime

    zoo_entry = entry(name)
    folder = _weights_dir(weights_dir)
    path = folder / zoo_entry.filename
    if not path.exists():
        where = "shipped with the package" if weights_dir is None else f"in {folder}"
        raise MissingCheckpointError(
            f"The weights of {name!r} are not {where}: {path} does not exist. Reproduce them with: "
            f"python -m gancourse.zoo train {name}" + ("" if weights_dir is None else f" --out {folder}")
        )
    tensors, metadata = _read_safetensors(path, name)

    if weights_dir is None:
        expected_sha, source = zoo_entry.sha256, "the registry (gancourse/zoo.py)"
    else:
        expected_sha, source = card(name, folder).get("sha256", ""), f"its card {folder / zoo_entry.card_filename}"
    actual_sha = sha256_of(path)
    if actual_sha != expected_sha:
        raise HashMismatchError(
            f"{path} has sha256 {actual_sha[:16]}…, but {source} expects {str(expected_sha)[:16]}…. "
            "The file was changed or comes from another training run. Fix: restore the shipped file "
            "(reinstall gancourse, or `git checkout -- gancourse/zoo_weights`); if you retrained it on "
            f"purpose into a folder, load it with zoo.load({name!r}, weights_dir=FOLDER), which checks "
            "the file against that folder's card."
        )

    model = zoo_entry.build()
    check_architecture(model, tensors, name, path, metadata)
    model_state = model.state_dict()
    state = {k: v.to(model_state[k].dtype) for k, v in tensors.items()}  # float16 -> float32
    model.load_state_dict(state, strict=True)
    target = runtime.get_device() if device is None else torch.device(device)
    model = model.to(target).eval().requires_grad_(False)
    model.zoo_name = name
    return model


# --------------------------------------------------------------------------------------------------
# command line


def _format_metrics(metrics: dict) -> str:
    parts = []
    for key, value in metrics.items():
        if isinstance(value, float):
            parts.append(f"{key}={value:.4g}")
        elif isinstance(value, (int, str)):
            parts.append(f"{key}={value}")
    return ", ".join(parts)


def list_models(weights_dir: str | Path | None = None) -> list[dict]:
    """One row per registered model: name, kind, size in MB, metrics (or what is missing)."""
    folder = _weights_dir(weights_dir)
    rows = []
    for name in names():
        zoo_entry = REGISTRY[name]
        path = folder / zoo_entry.filename
        row = {"name": name, "kind": zoo_entry.kind, "summary": zoo_entry.summary}
        if path.exists():
            row["size_mb"] = path.stat().st_size / 1e6
            try:
                row["metrics"] = card(name, folder).get("metrics", {})
            except MissingCheckpointError:
                row["metrics"] = {}
        else:
            row["size_mb"] = None
            row["metrics"] = {}
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m gancourse.zoo", description="The gancourse reference model zoo.")
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("list", help="names, sizes (MB) and metrics of the reference models")
    show.add_argument("--dir", default=None, help="a weights folder other than the shipped one")
    train = commands.add_parser("train", help="reproduce a checkpoint and write its model card")
    train.add_argument("name")
    train.add_argument("--steps", type=int, default=None, help="training steps (default: the recipe's full count)")
    train.add_argument("--out", default=None, help=f"output folder (default: {WEIGHTS_DIR})")
    train.add_argument("--batch-size", type=int, default=None, help="batch size (default: the recipe's)")
    train.add_argument("--eval-samples", type=int, default=None, help="images used for the metrics in the card")
    train.add_argument("--seed", type=int, default=None, help="seed (default: the recipe's)")
    train.add_argument("--device", default=None, help="cpu, cuda, mps (default: runtime.get_device())")
    train.add_argument("--threads", type=int, default=None, help="CPU threads for PyTorch")
    train.add_argument("--max-minutes", type=float, default=None,
                       help="stop training after this many minutes even if --steps are not done")
    args = parser.parse_args(argv)

    if args.command == "list":
        rows = list_models(args.dir)
        total = sum(r["size_mb"] or 0 for r in rows)
        width = max([len(r["name"]) for r in rows] + [4])
        print(f"{'name':<{width}}  {'size':>8}  metrics")
        for r in rows:
            size = f"{r['size_mb']:.2f} MB" if r["size_mb"] is not None else "missing"
            metrics = _format_metrics(r["metrics"]) if r["size_mb"] is not None else (
                f"(train it: python -m gancourse.zoo train {r['name']})")
            print(f"{r['name']:<{width}}  {size:>8}  {metrics}")
        print(f"{'total':<{width}}  {total:.2f} MB")
        return 0

    zoo_entry = entry(args.name)
    trainer = _trainer_of(zoo_entry.name)
    result = trainer.train(
        zoo_entry.name, steps=args.steps, out=args.out, batch_size=args.batch_size,
        eval_samples=args.eval_samples, seed=args.seed, device=args.device, threads=args.threads,
        max_minutes=args.max_minutes,
    )
    print(f"wrote {result['path']} ({result['size_bytes'] / 1e6:.2f} MB) and its card")
    print(f"sha256 {result['sha256']}")
    if result["sha256"] != zoo_entry.sha256:
        print(f"note: the registry pins {zoo_entry.sha256[:16]}… for {zoo_entry.name}; to ship this file, "
              "put the sha256 above in gancourse/zoo.py")
    print("metrics:", _format_metrics(result["metrics"]))
    return 0


# Other modules add their own entries (and recipes) when imported, e.g. the style models of
# lessons 08-09. Each provides ``RECIPES`` (name -> recipe) and ``train(name, ...)``.
EXTENSIONS = ("gancourse.zoo_style",)


def _trainer_of(name: str):
    """The module whose ``train`` reproduces ``name``: gancourse.zoo_train or an extension."""
    from gancourse import zoo_train

    for module_name in ("gancourse.zoo_train", *EXTENSIONS):
        if importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        if name in getattr(module, "RECIPES", {}):
            return module
    return zoo_train  # its train() raises a clear error naming the recipes


for _module_name in EXTENSIONS:
    if importlib.util.find_spec(_module_name) is not None:
        importlib.import_module(_module_name)


if __name__ == "__main__":
    # Run the imported module's main, so there is one registry (not a second copy in __main__).
    from gancourse.zoo import main as _main

    raise SystemExit(_main())
