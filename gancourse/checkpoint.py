"""Saving and loading models: safetensors only (nothing is ever unpickled). Derived in lesson 04.

Two formats, one module:

- **run checkpoints** (``gancourse-checkpoint-1``), written by :func:`gancourse.train.fit`: G, D,
  the EMA generator, both optimisers, the RNG state and the history, so a stopped run resumes
  exactly. :func:`save_checkpoint`, :func:`save_state`, :func:`load_checkpoint`,
  :func:`restore_checkpoint`, :func:`build_model`.
- **weights files** (``gancourse-zoo-1``), the shipped reference models of :mod:`gancourse.zoo`:
  one model's ``state_dict``, float16 where the quality allows, with its architecture and config in
  the metadata. :func:`save_weights`, :func:`read_weights`, :func:`check_architecture`.

Every tensor lives in the safetensors body; everything else is JSON in its metadata. A file names
the class that built its model, and loading builds only classes of :mod:`gancourse.models` (an
allow-list): a crafted file cannot make the loader import or call anything else.
Writes are atomic (temp file + ``os.replace``): an interruption leaves the previous file intact.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load as load_bytes
from safetensors.torch import save
from torch import nn

from gancourse.runtime import device_of

RUN_FORMAT = "gancourse-checkpoint-1"
WEIGHTS_FORMAT = "gancourse-zoo-1"
MODELS_PACKAGE = "gancourse.models"


# ------------------------------------------------------------------------------------------ errors
class CheckpointError(RuntimeError):
    """Base class of every checkpoint failure; each message says how to fix it."""


class MissingCheckpointError(CheckpointError, FileNotFoundError):
    """The file is not on disk."""


class CorruptCheckpointError(CheckpointError):
    """The file exists but is not a readable safetensors file of the expected format."""


class HashMismatchError(CheckpointError):
    """The file's sha256 differs from the one pinned for it."""


class ArchitectureMismatchError(CheckpointError):
    """The file holds the weights of another model than the one it is loaded into."""


class UnsafeClassError(CheckpointError):
    """The file names a class outside :mod:`gancourse.models`: it is not built."""


# ----------------------------------------------------------------------------------- model classes
def model_class(name: str) -> type[nn.Module]:
    """The model class called ``name`` (``"gancourse.models.dcgan:Generator"`` or ``….Generator``).

    Only ``nn.Module`` subclasses defined in :mod:`gancourse.models` are returned: the name comes
    from a file, and a file must never choose what code runs.
    """
    if not isinstance(name, str):
        raise UnsafeClassError(f"a model class name must be a string, got {type(name).__name__}")
    module_name, sep, class_name = name.partition(":")
    if not sep:
        module_name, _, class_name = name.rpartition(".")
    inside = module_name == MODELS_PACKAGE or module_name.startswith(MODELS_PACKAGE + ".")
    if not (inside and class_name.isidentifier() and not class_name.startswith("_")):
        raise UnsafeClassError(
            f"refusing to build {name!r}: checkpoints may only name model classes of "
            f"{MODELS_PACKAGE} (e.g. 'gancourse.models.dcgan:Generator'). The file was not written "
            "by gancourse or was tampered with; build the model yourself and load only its tensors."
        )
    try:
        cls = getattr(importlib.import_module(module_name), class_name, None)
    except ImportError:
        cls = None
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)) or cls.__module__ != module_name:
        raise UnsafeClassError(f"{name!r} is not a model class defined in {module_name}")
    return cls


def build(name: str, config: dict) -> nn.Module:
    """``Class(**config)`` for an allow-listed model class name (see :func:`model_class`)."""
    if not isinstance(config, dict):
        raise CheckpointError(f"the config of {name} must be a dict of constructor arguments")
    return model_class(name)(**config)


# ------------------------------------------------------------------------------------- file basics
def sha256_of(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomic(path: str | Path, payload: bytes) -> Path:
    """Write ``payload`` to a temp file next to ``path``, fsync, then ``os.replace`` it into place.

    ``os.replace`` is atomic: a reader (or a crash, or Ctrl-C) sees the old file or the new one,
    never half a file. The temp file is removed if anything goes wrong.
    """
    path = Path(path)
    remove_stale_temps(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        pass
    return True


def remove_stale_temps(path: str | Path) -> list[Path]:
    """Delete the ``.NAME.tmp-PID`` files of ``path`` whose writer is gone; return them."""
    path = Path(path)
    removed = []
    for tmp in path.parent.glob(f".{path.name}.tmp-*"):
        pid = tmp.name.rpartition("-")[2]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def non_finite(*models: nn.Module | None) -> list[str]:
    """Names of the parameters and buffers (e.g. BatchNorm statistics) that hold NaN or inf."""
    bad = []
    for model in models:
        if model is None:
            continue
        for name, tensor in model.state_dict().items():
            if tensor.is_floating_point() and not torch.isfinite(tensor).all():
                bad.append(f"{type(model).__name__}.{name}")
    return bad


def check_writable(path: str | Path) -> Path:
    """Create ``path``'s folder and check a file can be written there.

    Done *before* a long run starts.
    """
    path = Path(path)
    if path.suffix != ".safetensors":
        raise ValueError(f"checkpoint paths end in .safetensors, got {path.name!r}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        probe = path.with_name(f".{path.name}.probe-{os.getpid()}")
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise CheckpointError(
            f"cannot write the checkpoint {path}: {error.strerror or error}. "
            "Choose a folder you can write to (checkpoint=...)."
        ) from error
    return path


# -------------------------------------------------------------------------------- run checkpoints
def _optim_parts(prefix: str, opt) -> tuple[dict, dict]:
    sd = opt.state_dict()
    tensors, scalars = {}, {}
    for index, entries in sd["state"].items():
        for key, value in entries.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{prefix}/{index}/{key}"] = value
            else:
                scalars[f"{index}/{key}"] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def _optim_restore(prefix: str, opt, tensors: dict, meta: dict) -> None:
    state: dict[int, dict] = {}
    for name, value in tensors.items():
        if name.startswith(prefix + "/"):
            _, index, key = name.split("/", 2)
            state.setdefault(int(index), {})[key] = value
    for name, value in meta["scalars"].items():
        index, key = name.split("/", 1)
        state.setdefault(int(index), {})[key] = value
    groups = []
    for group in meta["param_groups"]:
        group = dict(group)
        if isinstance(group.get("betas"), list):
            group["betas"] = tuple(group["betas"])
        groups.append(group)
    opt.load_state_dict({"state": state, "param_groups": groups})


def save_checkpoint(
    path,
    *,
    G: nn.Module,
    D: nn.Module | None = None,
    opt_g=None,
    opt_d=None,
    G_ema: nn.Module | None = None,
    step: int = 0,
    history: dict | None = None,
    generator: torch.Generator | None = None,
    extra: dict | None = None,
) -> Path:
    """Save models (+ their class and ``config``), optimisers, RNG state and history.

    Tensors are stored as ``G/<name>``, ``D/<name>``, ``G_ema/<name>``, ``opt_g/<i>/<key>``, …;
    everything else is one JSON string in the safetensors metadata.
    """
    path = check_writable(path)
    tensors: dict[str, torch.Tensor] = {}
    meta: dict = {
        "format": RUN_FORMAT,
        "step": int(step),
        "history": history or {},
        "extra": extra or {},
        "models": {},
        "optimizers": {},
    }
    for name, model in (("G", G), ("D", D), ("G_ema", G_ema)):
        if model is None:
            continue
        meta["models"][name] = {
            "class": f"{type(model).__module__}.{type(model).__qualname__}",
            "config": getattr(model, "config", None),
        }
        for key, value in model.state_dict().items():
            tensors[f"{name}/{key}"] = value
    for name, opt in (("opt_g", opt_g), ("opt_d", opt_d)):
        if opt is None:
            continue
        opt_tensors, opt_meta = _optim_parts(name, opt)
        tensors.update(opt_tensors)
        meta["optimizers"][name] = opt_meta
    if generator is not None:
        tensors["rng/generator"] = generator.get_state()
    tensors = {k: v.detach().to("cpu", copy=True).contiguous() for k, v in tensors.items()}
    return write_atomic(path, save(tensors, metadata={"gancourse": json.dumps(meta)}))


def save_state(path, state, extra: dict | None = None) -> Path:
    """Save everything :func:`gancourse.train.fit` needs to resume from its ``TrainState``."""
    return save_checkpoint(
        path,
        G=state.G,
        D=state.D,
        opt_g=state.opt_g,
        opt_d=state.opt_d,
        G_ema=state.ema.model if state.ema is not None else None,
        step=state.step,
        history=state.history,
        generator=state.generator,
        extra=extra,
    )


def load_checkpoint(path) -> tuple[dict[str, torch.Tensor], dict]:
    """``(tensors, meta)`` from a run checkpoint written by :func:`save_checkpoint`."""
    path = Path(path)
    if not path.exists():
        raise MissingCheckpointError(f"no checkpoint at {path}")
    try:
        with safe_open(str(path), framework="pt") as handle:
            raw = (handle.metadata() or {}).get("gancourse")
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    except Exception as error:  # SafetensorError, OSError, a truncated header...
        raise CorruptCheckpointError(
            f"{path} is not a readable safetensors file ({type(error).__name__}: {error}); "
            "it is damaged or was cut short. Resume from an earlier checkpoint or train again."
        ) from error
    if raw is None:
        raise CorruptCheckpointError(
            f"{path} is a safetensors file but not a gancourse run checkpoint (no metadata)"
        )
    meta = json.loads(raw)
    if meta.get("format") != RUN_FORMAT:
        raise CorruptCheckpointError(
            f"{path}: unknown checkpoint format {meta.get('format')!r}, expected {RUN_FORMAT!r}"
        )
    return tensors, meta


def _sub(tensors: dict, prefix: str) -> dict:
    return {k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + "/")}


def build_model(path, name: str = "G") -> nn.Module:
    """Rebuild a model from a run checkpoint: ``Class(**config)``, then its weights (eval mode).

    Only classes of :mod:`gancourse.models` are built (:func:`model_class`).
    """
    tensors, meta = load_checkpoint(path)
    if name not in meta["models"]:
        raise KeyError(f"{path} has no model {name!r}; it has {sorted(meta['models'])}")
    info = meta["models"][name]
    if info["config"] is None:
        raise ValueError(
            f"model {name!r} in {path} has no config: build it yourself, then restore_checkpoint"
        )
    model = build(info["class"], info["config"])
    model.load_state_dict(_sub(tensors, name))
    return model.eval()


def restore_checkpoint(
    path,
    *,
    G: nn.Module | None = None,
    D: nn.Module | None = None,
    opt_g=None,
    opt_d=None,
    G_ema: nn.Module | None = None,
    generator: torch.Generator | None = None,
) -> dict:
    """Load a run checkpoint into existing models/optimisers (those given); return its metadata."""
    tensors, meta = load_checkpoint(path)
    for name, model in (("G", G), ("D", D), ("G_ema", G_ema)):
        if model is None:
            continue
        if name not in meta["models"]:
            raise KeyError(f"{path} holds no {name!r} (it has {sorted(meta['models'])})")
        saved = meta["models"][name]
        config = getattr(model, "config", None)
        if saved["config"] is not None and config not in (None, saved["config"]):
            cls = saved["class"].rsplit(".", 1)[1]
            raise ArchitectureMismatchError(
                f"{name} in {path} was built with {saved['config']}, but your model has {config}: "
                f"build it with {cls}(**config)"
            )
        device = device_of(model)
        model.load_state_dict({k: v.to(device) for k, v in _sub(tensors, name).items()})
    for name, opt in (("opt_g", opt_g), ("opt_d", opt_d)):
        if opt is not None and name in meta["optimizers"]:
            _optim_restore(name, opt, tensors, meta["optimizers"][name])
    if generator is not None and "rng/generator" in tensors:
        generator.set_state(tensors["rng/generator"])
    return meta


# ----------------------------------------------------------------------------------- weights files
def save_weights(model: nn.Module, path: str | Path, architecture: str, half: bool = True) -> str:
    """Write ``model``'s state dict to ``path`` as safetensors; return the file's sha256.

    Floating tensors are stored as float16 when ``half`` (halves the size; :func:`read_weights`'
    callers cast back to float32). The architecture and config go into the file's metadata, so a
    file always says what it holds.
    """
    config = getattr(model, "config", None)
    if not isinstance(config, dict):
        raise TypeError(
            f"{type(model).__name__} needs a `config` dict (its constructor kwargs) "
            "to be saved as a weights file"
        )
    tensors = {}
    for key, value in model.state_dict().items():
        value = value.detach().cpu()
        if half and value.is_floating_point():
            value = value.half()
        tensors[key] = value.clone().contiguous()  # clone: safetensors refuses shared storage
    metadata = {
        "format": WEIGHTS_FORMAT,
        "architecture": architecture,
        "config": json.dumps(config, sort_keys=True),
        "dtype": "float16" if half else "float32",
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, save(tensors, metadata=metadata))
    return sha256_of(path)


def read_weights(path: Path, fix: str) -> tuple[dict, dict]:
    """Parse a weights file into ``(tensors, metadata)``; any parse error names ``fix``."""
    try:
        tensors = load_bytes(Path(path).read_bytes())
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
    except Exception as error:  # SafetensorError, OSError, header JSON errors...
        raise CorruptCheckpointError(
            f"{path} is not a readable safetensors file ({type(error).__name__}: {error}). "
            f"It is damaged or was replaced. Fix: {fix}"
        ) from error
    return tensors, metadata


def check_architecture(
    model: nn.Module, tensors: dict, path: Path, fix: str, metadata: dict | None = None
) -> None:
    """Raise :class:`ArchitectureMismatchError` unless ``tensors`` fit ``model`` key for key."""
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
        problems.append(
            f"{len(wrong_shape)} with another shape "
            f"(e.g. {k!r}: file {found[k]}, model {expected[k]})"
        )
    holds = ""
    if metadata and "architecture" in metadata:
        holds = (
            f" The file says it holds {metadata['architecture']} "
            f"with config {metadata.get('config', '?')}."
        )
    raise ArchitectureMismatchError(
        f"{Path(path).name} does not fit {type(model).__name__} with config "
        f"{getattr(model, 'config', '?')}: tensors {'; '.join(problems)}.{holds} "
        f"It is a checkpoint of another model. Fix: {fix}"
    )


def load_weights_into(model: nn.Module, tensors: dict) -> nn.Module:
    """Copy ``tensors`` into ``model``, cast to the model's dtypes (float16 files -> float32)."""
    reference = model.state_dict()
    model.load_state_dict({k: v.to(reference[k].dtype) for k, v in tensors.items()}, strict=True)
    return model
