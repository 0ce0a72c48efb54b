"""The one training loop, :func:`fit`: every lesson's run and every zoo recipe trains through it.

Derived in lesson 04 (the loop by hand, then ``fit`` checked against it).
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable

import torch
from torch import nn
from tqdm.auto import tqdm

from gancourse import checkpoint as ckpt
from gancourse.runtime import device_of
from gancourse.train import distributed
from gancourse.train.state import EMA, TrainState, call_callback
from gancourse.train.steps import (
    WithLabels,
    autocast,
    d_step,
    g_step,
    loss_fns,
    style_mixed,
)

POSTFIX = {"d_real": "D(x)", "d_fake": "D(G(z))", "d_loss": "L_D", "g_loss": "L_G"}

# Set by SIGUSR1 (``kill -USR1 PID``) or :func:`request_stop`: the running :func:`fit` stops after
# its current step, writes its checkpoint and returns normally (``state.stopped`` says why).
STOP = threading.Event()


def request_stop(*_) -> None:
    """Ask the running :func:`fit` to stop after its current step (also the SIGUSR1 handler)."""
    STOP.set()


# ----------------------------------------------------------------------------- data
def _batches(data, batch_size: int, generator: torch.Generator):
    """Turn ``data`` into an endless source of batches (a tensor, or a tuple of tensors).

    - a tensor ``(N, ...)``: random minibatches drawn with ``generator`` (resumable exactly);
    - a tuple of tensors with the same N (e.g. images and labels): the same rows of each;
    - a callable: ``data(batch_size)``;
    - an iterable (e.g. a DataLoader): iterated, restarted when exhausted.
    """
    if isinstance(data, tuple) and data and all(isinstance(t, torch.Tensor) for t in data):
        n = data[0].shape[0]
        if any(t.shape[0] != n for t in data):
            raise ValueError(
                f"the tensors of a data tuple need the same length, got "
                f"{[t.shape[0] for t in data]}"
            )
        if n == 0:
            raise ValueError("the data tensors are empty: there is nothing to train on")
        while True:
            index = torch.randint(n, (batch_size,), generator=generator)
            yield tuple(t[index] for t in data)
    elif isinstance(data, torch.Tensor):
        if data.dim() < 2 or data.shape[0] == 0:
            raise ValueError(
                f"a data tensor must be (N, ...) with N >= 1 examples, "
                f"got shape {tuple(data.shape)}"
            )
        while True:
            yield data[torch.randint(data.shape[0], (batch_size,), generator=generator)]
    elif callable(data):
        while True:
            yield data(batch_size)
    elif isinstance(data, Iterable):
        while True:
            count = 0
            for item in data:
                count += 1
                yield item
            if count == 0:
                raise ValueError("the data iterable is empty: it produced no batch")
    else:
        raise TypeError(
            "data must be a tensor (N, ...), a tuple of tensors, a callable "
            "data(batch_size) -> batch, or an iterable of batches (e.g. a DataLoader); "
            f"got {type(data).__name__}"
        )


def _check_real(real, step):
    if not isinstance(real, torch.Tensor) or not real.is_floating_point():
        dtype = f" of dtype {real.dtype}" if isinstance(real, torch.Tensor) else ""
        raise TypeError(
            f"step {step}: the data gave {type(real).__name__}{dtype}; a real batch "
            "must be a float tensor (B, ...), images in [-1, 1]"
        )
    if step == 1 and real.dim() == 4 and real.abs().max() > 1.001:
        raise ValueError(
            f"step 1: real images must be in [-1, 1] like G's tanh output, got values "
            f"in [{real.min():.3g}, {real.max():.3g}]. Scale them first, e.g. "
            "x / 127.5 - 1 for [0, 255] or x * 2 - 1 for [0, 1]."
        )


def check_finite(step: int, values: dict) -> None:
    """The one NaN guard: raise ``FloatingPointError`` naming the step and the loss."""
    for name, value in values.items():
        if not math.isfinite(value):
            label = {"d_loss": "the D loss", "g_loss": "the G loss"}.get(name, name)
            raise FloatingPointError(
                f"Training stopped at step {step}: {label} is {value}. The weights are now "
                "unusable. Try a lower learning rate (lr_g/lr_d), a stabiliser (spectral_norm, "
                "gp_weight, r1_weight), another loss, or check the data for NaN/inf values; "
                "resume from the last checkpoint if you saved one (it was written before this "
                "step, so it is clean)."
            )


@contextlib.contextmanager
def _stop_signal():
    """Install :func:`request_stop` as the SIGUSR1 handler for the run (main thread only)."""
    STOP.clear()
    usable = hasattr(signal, "SIGUSR1") and threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGUSR1, request_stop) if usable else None
    try:
        yield
    finally:
        if usable:
            signal.signal(signal.SIGUSR1, previous)


# ----------------------------------------------------------------------------- fit
def fit(
    G: nn.Module,
    D: nn.Module | None,
    data,
    steps: int,
    *,
    batch_size: int = 64,
    loss="bce",
    lr_g: float = 2e-4,
    lr_d: float = 2e-4,
    betas=(0.5, 0.999),
    d_steps: int = 1,
    gp_weight: float = 0.0,
    r1_weight: float = 0.0,
    r1_every: int = 1,
    ema: float | None = 0.999,
    ema_warmup: bool = False,
    labels: bool = False,
    mixing: float = 0.0,
    step: Callable | None = None,
    lr_schedule: Callable | None = None,
    callbacks: Iterable = (),
    seed: int = 0,
    device: str | torch.device | None = None,
    amp: bool | None = None,
    channels_last: bool | None = None,
    compile: bool = False,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int | None = None,
    resume: str | os.PathLike | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    log_every: int = 200,
    max_seconds: float | None = None,
    opt_g=None,
    opt_d=None,
) -> TrainState:
    """Train ``G`` against ``D`` for ``steps`` generator steps (each after ``d_steps`` D steps).

    - ``data``: a tensor ``(N, ...)``, a tuple of tensors (images, labels), a callable
      ``data(batch_size) -> batch`` or an iterable of batches (a DataLoader); real images in
      [-1, 1] like G's output. A tuple batch's first item is the images.
    - ``loss``: ``"bce"`` (non-saturating), ``"minimax"``, ``"lsgan"``, ``"hinge"``, ``"wgan"``,
      or a ``(d_loss, g_loss)`` pair; ``gp_weight`` (WGAN-GP λ); ``r1_weight`` (R1 γ), applied
      every ``r1_every`` D steps with weight ``γ · r1_every`` (lazy R1, Karras et al., 2020).
    - TTUR: ``lr_g`` and ``lr_d`` are separate; Adam with ``betas``, fused where supported.
      Pass ``opt_g`` / ``opt_d`` for other optimisers (e.g. per-layer learning rates);
      ``lr_schedule(step, steps) -> factor`` scales every group's initial learning rate.
    - ``ema``: β of the generator's :class:`EMA` (``None``: off); ``ema_warmup`` ramps β up.
    - ``labels``: a conditional GAN (lesson 05): batches are ``(images, labels)``, fakes are
      ``G(z, labels)`` with the real batch's labels and D is called as ``D(x, labels)``.
    - ``mixing``: style-mixing regularisation probability for a StyleGenerator (lesson 08).
    - ``step``: a custom step ``step(state, batch) -> {name: number}`` in place of the D and G
      steps, for models with their own losses (pix2pix, CycleGAN, a classifier: ``D`` may be
      ``None``). The loop around it is the same: NaN guard, EMA, stop, checkpoints, log.
    - ``callbacks``: callables ``cb(state)`` after every step (e.g. :class:`SampleGrid`).
    - On CUDA: bf16 autocast (``amp``) and channels_last default to on; ``compile`` runs G and
      D through ``torch.compile`` (the weights stay in ``G`` and ``D``).
    - ``checkpoint``: a ``.safetensors`` path (checked writable before the first step), written
      every ``checkpoint_every`` steps, at the end and on a stop; ``resume``: a checkpoint to
      continue from (``steps`` is the *total* step count).
    - Stop early, cleanly: ``kill -USR1 PID``, :func:`request_stop`, or ``max_seconds``; the
      checkpoint is written and ``state.stopped`` says why.
    - Under ``torchrun --nproc_per_node N`` each process trains on its own batches and the
      gradients are averaged before every optimiser step (:mod:`gancourse.train.distributed`);
      rank 0 writes the checkpoints and shows the progress.

    Raises ``FloatingPointError`` naming the step and the loss when a value becomes NaN or inf
    (before that step's checkpoint is written). Returns the :class:`TrainState`.
    """
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be an int >= 0, got {steps!r}")
    if batch_size < 1 or d_steps < 1 or r1_every < 1:
        raise ValueError(
            f"batch_size, d_steps and r1_every must be >= 1, "
            f"got {batch_size}, {d_steps}, {r1_every}"
        )
    if step is None:
        if D is None:
            raise ValueError("fit needs a discriminator D (or a custom step=... for other models)")
        loss_fns(loss)  # fail early on a bad loss name
    device = torch.device(device) if device is not None else device_of(G)
    rank, world = distributed.setup(device)
    device = distributed.local_device(device)
    on_cuda = device.type == "cuda"
    amp = on_cuda and torch.cuda.is_bf16_supported() if amp is None else (amp and on_cuda)
    # channels_last + torch.compile hit an inductor stride assertion in conv backward (torch 2.11)
    channels_last = (
        (on_cuda and not compile) if channels_last is None else (channels_last and on_cuda)
    )
    models = [m for m in (G, D) if m is not None]
    for model in models:
        model.to(device)
        if channels_last:
            model.to(memory_format=torch.channels_last)
    fused = device.type in ("cpu", "cuda")
    if opt_g is None:
        opt_g = torch.optim.Adam(G.parameters(), lr=lr_g, betas=betas, fused=fused)
    if opt_d is None and D is not None and step is None:
        opt_d = torch.optim.Adam(D.parameters(), lr=lr_d, betas=betas, fused=fused)
    optimizers = [o for o in (opt_g, opt_d) if o is not None]
    for opt in optimizers:
        for group in opt.param_groups:
            group.setdefault("initial_lr", group["lr"])
    if checkpoint is not None and rank == 0:
        ckpt.check_writable(checkpoint)
    generator = torch.Generator().manual_seed(seed + 7919 * rank)
    ema_obj = EMA(G, ema, warmup=ema_warmup) if ema is not None else None
    state = TrainState(G, D, opt_g, opt_d, ema_obj, generator, device)
    if resume is not None:
        meta = ckpt.restore_checkpoint(
            resume,
            G=G,
            D=D,
            opt_g=opt_g,
            opt_d=opt_d,
            G_ema=ema_obj.model if ema_obj else None,
            generator=generator,
        )
        state.step = meta["step"]
        state.history = {key: list(values) for key, values in meta.get("history", {}).items()}
        state.history.setdefault("step", [])
    sync = distributed.GradientAverager(models, optimizers, ema_obj, world)
    callbacks = list(callbacks)
    # compiled wrappers share G's and D's parameters; EMA, checkpoints and callbacks see G and D
    G_run, D_run = (torch.compile(G), torch.compile(D)) if compile and step is None else (G, D)
    D_step = WithLabels(D_run) if labels else D_run
    source = _batches(data, batch_size, generator)
    z_dim = None if step is not None else (getattr(G, "z_dim", None) or G.config["z_dim"])

    def adversarial_step(state: TrainState, batch) -> dict:
        t = state.step  # 0-based index of this step
        for i in range(d_steps):
            if i:
                batch = next(source)
            real = batch[0] if isinstance(batch, tuple | list) else batch
            _check_real(real, t + 1)
            real = real.to(device, non_blocking=True)
            if channels_last and real.dim() == 4:
                real = real.contiguous(memory_format=torch.channels_last)
            z = torch.randn(real.shape[0], z_dim, generator=generator).to(device)
            with autocast(device, amp):
                if labels:
                    D_step.labels = batch[1].to(device)
                    fake = G_run(z, D_step.labels)
                elif mixing:
                    fake = style_mixed(G_run, z, generator, mixing)
                else:
                    fake = G_run(z)  # one G forward, shared by the D step (detached) and G step
            r1 = r1_weight * r1_every if r1_weight and t % r1_every == 0 else 0.0
            d_out = d_step(
                G_run,
                D_step,
                real,
                None,
                opt_d,
                loss,
                fake=fake,
                gp_weight=gp_weight,
                r1_weight=r1,
                amp=amp,
            )
        g_out = g_step(G_run, D_step, None, opt_g, loss, fake=fake, amp=amp)
        return {
            "d_loss": d_out["d_loss"],
            "g_loss": g_out["g_loss"],
            "d_real": d_out["d_real"],
            "d_fake": d_out["d_fake"],
        }

    run_step = step or adversarial_step
    last_good = state.step if resume is not None else None

    def save_if_sound(write: bool = True) -> None:
        """Write the checkpoint only if every weight and statistic is finite (the one divergence
        guard that also sees what the losses do not show, e.g. infinite BatchNorm statistics)."""
        nonlocal last_good
        bad = ckpt.non_finite(G, D, ema_obj.model if ema_obj is not None else None)
        if bad:
            where = (
                f"the last good checkpoint is {checkpoint} (step {last_good})"
                if checkpoint is not None and last_good is not None
                else "no good checkpoint of this run exists"
            )
            raise FloatingPointError(
                f"Training diverged by step {state.step}: {len(bad)} weights or statistics are "
                f"NaN or inf (e.g. {bad[0]}), so nothing was saved; {where}. Lower the learning "
                "rates (lr_g/lr_d) or add a stabiliser (spectral_norm, gp_weight, r1_weight), "
                "then resume from the last good checkpoint or start again."
            )
        if write:
            ckpt.save_state(checkpoint, state)
            last_good = state.step

    bar = None
    if progress and rank == 0 and steps > state.step:
        # at most one redraw a second: in a notebook each redraw is a widget message, and thousands
        # of them overflow the kernel's output queue (a test runner then misses the cell's end)
        bar = tqdm(total=steps, initial=state.step, desc="training", leave=True, mininterval=1.0)
    start = time.perf_counter()
    postfix_every = max(1, (steps - state.step) // 50)
    for model in models:
        model.train()
    try:
        with _stop_signal():
            while state.step < steps:
                t = state.step
                if lr_schedule is not None:
                    factor = lr_schedule(t, steps)
                    for opt in optimizers:
                        for group in opt.param_groups:
                            group["lr"] = group["initial_lr"] * factor
                out = run_step(state, next(source))
                if ema_obj is not None:
                    ema_obj.update(G, t)
                stop = STOP.is_set() or (
                    max_seconds is not None and time.perf_counter() - start > max_seconds
                )
                values, stop = sync.reduce_values(out, stop)
                check_finite(t + 1, values)
                state.step = t + 1
                state.history.setdefault("step", []).append(state.step)
                for key, value in values.items():
                    state.history.setdefault(key, []).append(value)
                for cb in callbacks:
                    call_callback(cb, state, final=False)
                if stop or STOP.is_set():
                    state.stopped = (
                        "time budget"
                        if not STOP.is_set()
                        else "stop requested (SIGUSR1 or request_stop)"
                    )
                if (
                    checkpoint is not None
                    and rank == 0
                    and checkpoint_every
                    and (state.step % checkpoint_every == 0)
                    and not state.stopped
                ):
                    save_if_sound()
                if (
                    log is not None
                    and rank == 0
                    and (t % log_every == 0 or state.step == steps or state.stopped)
                ):
                    terms = " ".join(f"{k} {v:.3f}" for k, v in values.items())
                    log(f"step {state.step}/{steps} {terms} ({time.perf_counter() - start:.0f} s)")
                if bar is not None:
                    bar.update(1)
                    if state.step % postfix_every == 0:
                        bar.set_postfix(
                            {POSTFIX.get(k, k): f"{v:.2f}" for k, v in list(values.items())[:4]},
                            refresh=False,
                        )
                if state.stopped:
                    if log is not None and rank == 0:
                        log(f"stopping after {state.step} steps: {state.stopped}")
                    break
    finally:
        if bar is not None:
            bar.close()
        sync.close()
    state.seconds += time.perf_counter() - start
    sync.finish()
    for cb in callbacks:
        call_callback(cb, state, final=True)
    save_if_sound(write=checkpoint is not None and rank == 0)
    return state
