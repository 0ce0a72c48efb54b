"""The GAN training loop: one discriminator step, one generator step, and ``fit`` around them.

One iteration of the alternating game (Goodfellow et al., 2014)::

    z ~ N(0, I);  fake = G(z)
    D step:  minimise L_D(D(x), D(fake.detach()))      # gradients reach D only
    G step:  minimise L_G(D(fake))                     # gradients reach G only, *through* D

- :func:`d_step` / :func:`g_step`: each testable alone (see ``tests/test_train.py``).
- :func:`fit`: tqdm progress, a history of D(x), D(G(z)) and the losses, callbacks (e.g.
  :class:`SampleGrid`), an :class:`EMA` of the generator, TTUR (``lr_g`` != ``lr_d``),
  bf16 autocast + channels_last on CUDA, a NaN/inf guard, and checkpoints.
- :func:`save_checkpoint` / :func:`load_checkpoint`: safetensors (no pickle), written atomically
  (temp file + ``os.replace``), with optimiser state and RNG state so a resumed run continues
  exactly where it stopped.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import inspect
import json
import math
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import torch
from torch import nn

from . import losses as _losses

HISTORY_KEYS = ("step", "d_loss", "g_loss", "d_real", "d_fake")


# ----------------------------------------------------------------------------- helpers
def _loss_fns(loss):
    """``loss`` is a name from ``gancourse.losses.LOSSES`` or a ``(d_loss, g_loss)`` pair."""
    if isinstance(loss, str):
        return _losses.get_loss(loss)
    if isinstance(loss, tuple | list) and len(loss) == 2 and all(callable(f) for f in loss):
        return tuple(loss)
    raise ValueError(f"loss must be a name ({', '.join(_losses.LOSSES)}) or a (d_loss, g_loss) pair, got {loss!r}")


def _autocast(device: torch.device, amp: bool):
    """bf16 autocast on CUDA when ``amp``; a no-op elsewhere (CPU training stays float32)."""
    if amp and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _device_of(model: nn.Module) -> torch.device:
    try:
        return next(model.parameters()).device
    except StopIteration:
        return torch.device("cpu")


@contextlib.contextmanager
def frozen(model: nn.Module):
    """Temporarily switch off ``requires_grad`` of a model's parameters (restored afterwards).

    In the G step this stops autograd from computing D's weight gradients, which the G step does
    not use: gradients still flow *through* D to G, and the step is cheaper.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield model
    finally:
        for p in params:
            p.requires_grad_(True)


def _d_prob(logits: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(logits.detach().float()).mean()


# ----------------------------------------------------------------------------- the two steps
def d_step(G: nn.Module, D: nn.Module, real: torch.Tensor, z: torch.Tensor | None, opt_d,
           loss="bce", fake: torch.Tensor | None = None, gp_weight: float = 0.0,
           r1_weight: float = 0.0, amp: bool = False) -> dict[str, torch.Tensor]:
    """One discriminator update. Returns detached tensors ``d_loss``, ``d_real``, ``d_fake``.

    ``L_D = d_loss(D(x), D(G(z)))  [+ gp_weight · GP]  [+ r1_weight/2 · R1]``

    The fake batch is made under ``no_grad`` (or ``fake.detach()`` when given), so no gradient
    reaches G. ``d_real`` / ``d_fake`` are the mean of ``sigmoid(D(·))``: D's belief that the batch
    is real.
    """
    d_fn, _ = _loss_fns(loss)
    if fake is None:
        if z is None:
            raise ValueError("d_step needs either a latent batch z or a ready fake batch")
        with torch.no_grad(), _autocast(real.device, amp):
            fake = G(z)
    fake = fake.detach()
    opt_d.zero_grad(set_to_none=True)
    with _autocast(real.device, amp):
        real_logits = D(real)
        fake_logits = D(fake)
        loss_d = d_fn(real_logits.float(), fake_logits.float())
    if gp_weight:
        loss_d = loss_d + gp_weight * _losses.gradient_penalty(D, real, fake.to(real.dtype))
    if r1_weight:
        loss_d = loss_d + 0.5 * r1_weight * _losses.r1_penalty(D, real)
    loss_d.backward()
    opt_d.step()
    return {"d_loss": loss_d.detach(), "d_real": _d_prob(real_logits), "d_fake": _d_prob(fake_logits)}


def g_step(G: nn.Module, D: nn.Module, z: torch.Tensor | None, opt_g, loss="bce",
           fake: torch.Tensor | None = None, amp: bool = False) -> dict[str, torch.Tensor]:
    """One generator update. Returns detached tensors ``g_loss`` and ``d_fake_g`` (D(G(z)) seen by G).

    ``L_G = g_loss(D(G(z)))``; D's parameters are frozen during the step (no gradient is
    accumulated in D), the gradient flows through D into G. ``fake`` may be the batch already
    made for the D step (still attached to G's graph), which saves a generator forward pass.
    """
    _, g_fn = _loss_fns(loss)
    opt_g.zero_grad(set_to_none=True)
    with frozen(D), _autocast(_device_of(G), amp):
        if fake is None:
            if z is None:
                raise ValueError("g_step needs either a latent batch z or a fake batch made by G")
            fake = G(z)
        elif not fake.requires_grad:
            raise ValueError("g_step got a detached fake batch: pass G(z) itself (not .detach()), "
                             "otherwise no gradient can reach the generator")
        fake_logits = D(fake)
        loss_g = g_fn(fake_logits.float())
    loss_g.backward()
    opt_g.step()
    return {"g_loss": loss_g.detach(), "d_fake_g": _d_prob(fake_logits)}


# ----------------------------------------------------------------------------- EMA
class EMA:
    """Exponential moving average of a generator's weights (Karras et al.; Yazıcı et al., 2019).

    ``θ_ema ← β θ_ema + (1 - β) θ`` after every G step; buffers (BatchNorm statistics) are copied.
    ``ema.model`` is a frozen copy in eval mode: sample from it, it is usually smoother than G.
    """

    def __init__(self, model: nn.Module, beta: float = 0.999):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"EMA beta must be in [0, 1), got {beta}")
        self.beta = beta
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        ema_p = list(self.model.parameters())
        cur_p = [p.detach() for p in model.parameters()]
        torch._foreach_lerp_(ema_p, cur_p, 1.0 - self.beta)
        for b_ema, b in zip(self.model.buffers(), model.buffers()):
            b_ema.copy_(b)


# ----------------------------------------------------------------------------- state + callbacks
class TrainState:
    """What :func:`fit` returns and hands to every callback."""

    def __init__(self, G, D, opt_g, opt_d, ema, generator, device):
        self.G, self.D, self.opt_g, self.opt_d, self.ema = G, D, opt_g, opt_d, ema
        self.generator, self.device = generator, device
        self.step = 0
        self.seconds = 0.0
        self.history: dict[str, list] = {key: [] for key in HISTORY_KEYS}
        self.metrics: dict[str, list[tuple[int, float]]] = {}

    @property
    def G_ema(self) -> nn.Module:
        """The EMA generator when EMA is on, else G."""
        return self.ema.model if self.ema is not None else self.G

    def sample(self, z: torch.Tensor, use_ema: bool = True) -> torch.Tensor:
        """Generate from ``z`` in eval mode, without gradients (returns a CPU float tensor)."""
        return generate(self.G_ema if use_ema else self.G, z)

    def __repr__(self) -> str:
        return f"TrainState(step={self.step}, seconds={self.seconds:.1f}, ema={self.ema is not None})"


@torch.no_grad()
def generate(G: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """``G(z)`` in eval mode without gradients; G's train/eval mode is restored. Returns CPU float."""
    was_training = G.training
    G.eval()
    try:
        return G(z.to(_device_of(G))).float().cpu()
    finally:
        G.train(was_training)


class SampleGrid:
    """Callback: every ``every`` steps (and at the end) generate from a fixed latent batch.

    ``grid.samples`` is a list of ``(step, images)``; with ``folder`` each grid is also saved as
    ``folder/samples_{step:06d}.png``.
    """

    def __init__(self, every: int, z: torch.Tensor, folder: str | os.PathLike | None = None,
                 use_ema: bool = True, nrow: int = 8):
        if every < 1:
            raise ValueError(f"SampleGrid: every must be >= 1, got {every}")
        self.every, self.z, self.use_ema, self.nrow = every, z, use_ema, nrow
        self.folder = Path(folder) if folder is not None else None
        self.samples: list[tuple[int, torch.Tensor]] = []

    def __call__(self, state: TrainState, final: bool = False) -> None:
        if state.step % self.every and not final:
            return
        if self.samples and self.samples[-1][0] == state.step:
            return
        images = state.sample(self.z, use_ema=self.use_ema)
        self.samples.append((state.step, images))
        if self.folder is not None and images.dim() == 4:
            from torchvision.utils import save_image

            self.folder.mkdir(parents=True, exist_ok=True)
            save_image((images + 1) / 2, self.folder / f"samples_{state.step:06d}.png", nrow=self.nrow)


class Every:
    """Callback: call ``fn(state)`` every ``every`` steps (and at the end); store its number.

    With ``name``, a returned number is recorded in ``state.metrics[name]`` as ``(step, value)``.
    """

    def __init__(self, every: int, fn: Callable[[TrainState], object], name: str | None = None):
        if every < 1:
            raise ValueError(f"Every: every must be >= 1, got {every}")
        self.every, self.fn, self.name = every, fn, name
        self._last = None

    def __call__(self, state: TrainState, final: bool = False) -> None:
        if (state.step % self.every and not final) or self._last == state.step:
            return
        self._last = state.step
        value = self.fn(state)
        if self.name is not None and value is not None:
            state.metrics.setdefault(self.name, []).append((state.step, float(value)))


def _call_callback(cb, state, final):
    try:
        params = inspect.signature(cb).parameters
    except (TypeError, ValueError):
        params = {}
    if "final" in params:
        cb(state, final=final)
    elif not final:
        cb(state)


# ----------------------------------------------------------------------------- data
def _batches(data, batch_size: int, generator: torch.Generator):
    """Turn ``data`` into an endless source of real batches.

    - a tensor ``(N, ...)``: random minibatches drawn with ``generator`` (resumable exactly);
    - a callable: ``data(batch_size)`` (a tuple/list result: its first item is the batch);
    - an iterable (e.g. a DataLoader): iterated, restarted when exhausted; tuples give item 0.
    """
    def first(item):
        return item[0] if isinstance(item, tuple | list) else item

    if isinstance(data, torch.Tensor):
        if data.dim() < 2:
            raise ValueError(f"a data tensor must be (N, ...) with N examples, got shape {tuple(data.shape)}")
        while True:
            index = torch.randint(data.shape[0], (batch_size,), generator=generator)
            yield data[index]
    elif callable(data):
        while True:
            yield first(data(batch_size))
    elif isinstance(data, Iterable):
        while True:
            count = 0
            for item in data:
                count += 1
                yield first(item)
            if count == 0:
                raise ValueError("the data iterable is empty: it produced no batch")
    else:
        raise TypeError("data must be a tensor (N, ...), a callable data(batch_size) -> batch, "
                        f"or an iterable of batches (e.g. a DataLoader); got {type(data).__name__}")


def _check_real(real, step):
    if not isinstance(real, torch.Tensor) or not real.is_floating_point():
        raise TypeError(f"step {step}: the data gave {type(real).__name__}"
                        f"{'' if not isinstance(real, torch.Tensor) else ' of dtype ' + str(real.dtype)}; "
                        "a real batch must be a float tensor (B, ...), images in [-1, 1]")


# ----------------------------------------------------------------------------- fit
def fit(G: nn.Module, D: nn.Module, data, steps: int, *, batch_size: int = 64, loss="bce",
        lr_g: float = 2e-4, lr_d: float = 2e-4, betas=(0.5, 0.999), d_steps: int = 1,
        gp_weight: float = 0.0, r1_weight: float = 0.0, ema: float | None = 0.999,
        callbacks: Iterable = (), seed: int = 0, device: str | torch.device | None = None,
        amp: bool | None = None, channels_last: bool | None = None, compile: bool = False,
        checkpoint: str | os.PathLike | None = None, checkpoint_every: int | None = None,
        resume: str | os.PathLike | None = None, progress: bool = True,
        opt_g=None, opt_d=None) -> TrainState:
    """Train ``G`` against ``D`` for ``steps`` generator steps (each after ``d_steps`` D steps).

    - ``data``: a tensor dataset ``(N, ...)``, a callable ``data(batch_size) -> batch`` or an
      iterable of batches (a DataLoader); real batches in the same range as G's output.
    - ``loss``: ``"bce"`` (non-saturating), ``"minimax"``, ``"lsgan"``, ``"hinge"``, ``"wgan"``,
      or a ``(d_loss, g_loss)`` pair; ``gp_weight`` (WGAN-GP λ), ``r1_weight`` (R1 γ).
    - TTUR: ``lr_g`` and ``lr_d`` are separate (Heusel et al. use ``lr_d`` > ``lr_g``);
      Adam with ``betas``, fused where PyTorch supports it.
    - ``ema``: β of the generator's :class:`EMA` (``None`` switches it off).
    - ``callbacks``: callables ``cb(state)`` after every step (e.g. :class:`SampleGrid`, :class:`Every`).
    - On CUDA: bf16 autocast (``amp``) and channels_last (``channels_last``) default to on.
    - ``compile``: run G and D through ``torch.compile`` (fuses small kernels; pays off on a GPU
      for long runs, after a compile time of tens of seconds). The weights stay in ``G`` and ``D``.
      channels_last then defaults to off (with it, torch 2.11's inductor failed in conv backward).
    - ``checkpoint``: a ``.safetensors`` path written every ``checkpoint_every`` steps and at the
      end; ``resume``: a checkpoint to continue from (``steps`` is the *total* step count).

    Raises ``FloatingPointError`` naming the step and the loss when a loss becomes NaN or inf.
    Returns the :class:`TrainState` (history, EMA generator, optimisers, metrics).
    """
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be an int >= 0, got {steps!r}")
    if batch_size < 1 or d_steps < 1:
        raise ValueError(f"batch_size and d_steps must be >= 1, got {batch_size}, {d_steps}")
    _loss_fns(loss)  # fail early on a bad loss name
    device = torch.device(device) if device is not None else _device_of(G)
    on_cuda = device.type == "cuda"
    amp = on_cuda and torch.cuda.is_bf16_supported() if amp is None else (amp and on_cuda)
    # channels_last + torch.compile hit an inductor stride assertion in conv backward (torch 2.11, H200)
    channels_last = (on_cuda and not compile) if channels_last is None else (channels_last and on_cuda)
    G.to(device)
    D.to(device)
    if channels_last:
        G.to(memory_format=torch.channels_last)
        D.to(memory_format=torch.channels_last)
    fused = device.type in ("cpu", "cuda")
    if opt_g is None:
        opt_g = torch.optim.Adam(G.parameters(), lr=lr_g, betas=betas, fused=fused)
    if opt_d is None:
        opt_d = torch.optim.Adam(D.parameters(), lr=lr_d, betas=betas, fused=fused)
    generator = torch.Generator().manual_seed(seed)
    ema_obj = EMA(G, ema) if ema is not None else None
    state = TrainState(G, D, opt_g, opt_d, ema_obj, generator, device)
    if resume is not None:
        meta = restore_checkpoint(resume, G=G, D=D, opt_g=opt_g, opt_d=opt_d,
                                  G_ema=ema_obj.model if ema_obj else None, generator=generator)
        state.step = meta["step"]
        state.history = {key: list(meta.get("history", {}).get(key, [])) for key in HISTORY_KEYS}
    callbacks = list(callbacks)
    z_dim = getattr(G, "z_dim", None) or G.config["z_dim"]
    # compiled wrappers share G's and D's parameters; EMA, checkpoints and callbacks see G and D
    G_run, D_run = (torch.compile(G), torch.compile(D)) if compile else (G, D)
    source = _batches(data, batch_size, generator)

    def latent(n):
        return torch.randn(n, z_dim, generator=generator).to(device, non_blocking=True)

    bar = None
    if progress and steps > state.step:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, initial=state.step, desc="training", leave=True)
    start = time.perf_counter()
    postfix_every = max(1, (steps - state.step) // 50)
    G.train()
    D.train()
    while state.step < steps:
        step = state.step + 1
        for _ in range(d_steps):
            real = next(source)
            _check_real(real, step)
            real = real.to(device, non_blocking=True)
            if channels_last and real.dim() == 4:
                real = real.contiguous(memory_format=torch.channels_last)
            z = latent(real.shape[0])
            with _autocast(device, amp):
                fake = G_run(z)  # one G forward, shared by the D step (detached) and the G step
            d_out = d_step(G_run, D_run, real, None, opt_d, loss, fake=fake, gp_weight=gp_weight,
                           r1_weight=r1_weight, amp=amp)
        g_out = g_step(G_run, D_run, None, opt_g, loss, fake=fake, amp=amp)
        if ema_obj is not None:
            ema_obj.update(G)
        values = torch.stack([d_out["d_loss"].float(), g_out["g_loss"].float(),
                              d_out["d_real"], d_out["d_fake"]]).tolist()
        for name, value in zip(("D loss", "G loss"), values[:2]):
            if not math.isfinite(value):
                if bar is not None:
                    bar.close()
                raise FloatingPointError(
                    f"Training stopped at step {step}: the {name} is {value}. The weights are now "
                    "unusable. Try a lower learning rate (lr_g/lr_d), a stabiliser (spectral_norm, "
                    "gp_weight), another loss, or check the data for NaN/inf values; resume from the "
                    "last checkpoint if you saved one.")
        state.step = step
        for key, value in zip(HISTORY_KEYS, [step, *values]):
            state.history[key].append(value)
        for cb in callbacks:
            _call_callback(cb, state, final=False)
        if checkpoint is not None and checkpoint_every and step % checkpoint_every == 0:
            save_state(checkpoint, state)
        if bar is not None:
            bar.update(1)
            if step % postfix_every == 0:
                bar.set_postfix({"D(x)": f"{values[2]:.2f}", "D(G(z))": f"{values[3]:.2f}",
                                 "L_D": f"{values[0]:.2f}", "L_G": f"{values[1]:.2f}"})
    state.seconds += time.perf_counter() - start
    if bar is not None:
        bar.close()
    for cb in callbacks:
        _call_callback(cb, state, final=True)
    if checkpoint is not None:
        save_state(checkpoint, state)
    return state


# ----------------------------------------------------------------------------- checkpoints
FORMAT = "gancourse-checkpoint-1"


def _qualname(obj) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _model_meta(model: nn.Module) -> dict:
    return {"class": _qualname(model), "config": getattr(model, "config", None)}


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


def _write_atomic(path: Path, payload: bytes) -> None:
    """Write ``payload`` to a temp file next to ``path``, fsync, then ``os.replace`` it into place.

    ``os.replace`` is atomic: a reader (or a crash, or Ctrl-C) sees the old file or the new one,
    never half a file. The temp file is removed if anything goes wrong.
    """
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


def save_checkpoint(path, *, G: nn.Module, D: nn.Module | None = None, opt_g=None, opt_d=None,
                    G_ema: nn.Module | None = None, step: int = 0, history: dict | None = None,
                    generator: torch.Generator | None = None, extra: dict | None = None) -> Path:
    """Save models (+ their class and ``config``), optimisers, RNG state and history to safetensors.

    Tensors are stored as ``G/<name>``, ``D/<name>``, ``G_ema/<name>``, ``opt_g/<i>/<key>``, …;
    everything else is one JSON string in the safetensors metadata (no pickle anywhere).
    Written atomically: an interruption leaves the previous checkpoint untouched.
    """
    from safetensors.torch import save

    path = Path(path)
    if path.suffix != ".safetensors":
        raise ValueError(f"checkpoint paths end in .safetensors, got {path.name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, torch.Tensor] = {}
    meta: dict = {"format": FORMAT, "step": int(step), "history": history or {}, "extra": extra or {},
                  "models": {}, "optimizers": {}}
    for name, model in (("G", G), ("D", D), ("G_ema", G_ema)):
        if model is None:
            continue
        meta["models"][name] = _model_meta(model)
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
    payload = save(tensors, metadata={"gancourse": json.dumps(meta)})
    _write_atomic(path, payload)
    return path


def save_state(path, state: TrainState, extra: dict | None = None) -> Path:
    """Save everything :func:`fit` needs to resume from a :class:`TrainState`."""
    return save_checkpoint(path, G=state.G, D=state.D, opt_g=state.opt_g, opt_d=state.opt_d,
                           G_ema=state.ema.model if state.ema is not None else None, step=state.step,
                           history=state.history, generator=state.generator, extra=extra)


def load_checkpoint(path) -> tuple[dict[str, torch.Tensor], dict]:
    """``(tensors, meta)`` from a checkpoint written by :func:`save_checkpoint`."""
    from safetensors import safe_open

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}")
    with safe_open(str(path), framework="pt") as handle:
        raw = (handle.metadata() or {}).get("gancourse")
        tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    if raw is None:
        raise ValueError(f"{path} is a safetensors file but not a gancourse checkpoint (no 'gancourse' metadata)")
    meta = json.loads(raw)
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: unknown checkpoint format {meta.get('format')!r}, expected {FORMAT!r}")
    return tensors, meta


def _sub(tensors: dict, prefix: str) -> dict:
    return {k[len(prefix) + 1:]: v for k, v in tensors.items() if k.startswith(prefix + "/")}


def build_model(path, name: str = "G") -> nn.Module:
    """Rebuild a model from a checkpoint: ``Class(**config)`` then its weights (eval mode)."""
    tensors, meta = load_checkpoint(path)
    if name not in meta["models"]:
        raise KeyError(f"{path} has no model {name!r}; it has {sorted(meta['models'])}")
    info = meta["models"][name]
    if info["config"] is None:
        raise ValueError(f"model {name!r} in {path} has no config: build it yourself, then restore_checkpoint")
    module, _, cls_name = info["class"].rpartition(".")
    model = getattr(importlib.import_module(module), cls_name)(**info["config"])
    model.load_state_dict(_sub(tensors, name))
    return model.eval()


def restore_checkpoint(path, *, G: nn.Module | None = None, D: nn.Module | None = None, opt_g=None,
                       opt_d=None, G_ema: nn.Module | None = None,
                       generator: torch.Generator | None = None) -> dict:
    """Load a checkpoint into existing models/optimisers (those given); return its metadata."""
    tensors, meta = load_checkpoint(path)
    for name, model in (("G", G), ("D", D), ("G_ema", G_ema)):
        if model is None:
            continue
        if name not in meta["models"]:
            raise KeyError(f"{path} holds no {name!r} (it has {sorted(meta['models'])})")
        saved = meta["models"][name]
        if saved["config"] is not None and getattr(model, "config", None) not in (None, saved["config"]):
            raise ValueError(f"{name} in {path} was built with {saved['config']}, but your model has "
                             f"{model.config}: build it with {saved['class'].rsplit('.', 1)[1]}(**config)")
        device = _device_of(model)
        model.load_state_dict({k: v.to(device) for k, v in _sub(tensors, name).items()})
    for name, opt in (("opt_g", opt_g), ("opt_d", opt_d)):
        if opt is not None and name in meta["optimizers"]:
            _optim_restore(name, opt, tensors, meta["optimizers"][name])
    if generator is not None and "rng/generator" in tensors:
        generator.set_state(tensors["rng/generator"])
    return meta
