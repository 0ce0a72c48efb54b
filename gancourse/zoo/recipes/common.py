"""What every zoo recipe shares: its settings (:class:`Recipe`), one run's inputs (:class:`Run`),
and small pieces of data handling. Used by ``python -m gancourse.zoo train NAME``.

A recipe's hyperparameters are written once, in its :class:`Recipe`'s ``settings``; the recipe
reads them from there and the model card copies them, so card and code cannot disagree.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from gancourse import train
from gancourse.data import faces
from gancourse.data.transforms import from_uint8, to_uint8
from gancourse.zoo.registry import ZooEntry


@dataclass(frozen=True)
class Recipe:
    """How one zoo model is trained: the function, its full-size defaults and its settings."""

    fn: Callable  # fn(run: Run) -> (model, notes measured during training)
    data: str  # one line: what it trains on
    steps: int
    batch_size: int
    eval_samples: int
    seed: int
    settings: dict = field(default_factory=dict)  # hyperparameters, copied into the card
    half: bool = True  # store float16 weights


@dataclass
class Run:
    """One training run of a recipe: the entry, the sizes chosen for this run, where to log."""

    entry: ZooEntry
    recipe: Recipe
    steps: int
    batch_size: int
    seed: int
    device: torch.device
    log: Callable[[str], None]
    max_seconds: float | None = None
    out: Path | None = None

    @property
    def settings(self) -> dict:
        return self.recipe.settings

    def fit(self, G: nn.Module, D: nn.Module | None, data, **kwargs) -> train.TrainState:
        """:func:`gancourse.train.fit` with this run's steps, batch, seed, device, log, budget."""
        return train.fit(
            G,
            D,
            data,
            self.steps,
            batch_size=self.batch_size,
            seed=self.seed + 2,
            device=self.device,
            log=self.log,
            progress=False,
            max_seconds=self.max_seconds,
            **kwargs,
        )

    def checkpointing(self, filename: str, every: int) -> dict:
        """:meth:`fit` arguments that checkpoint to ``out/filename`` every ``every`` steps and
        resume from that file when it exists; none when the run has no output folder."""
        if self.out is None:
            return {}
        path = self.out / filename
        kwargs = {"checkpoint": path, "checkpoint_every": every}
        if path.exists():
            kwargs["resume"] = path
            self.log(f"resuming from {path}")
        return kwargs

    def fit_supervised(self, model: nn.Module, data, opt, loss, **kwargs) -> train.TrainState:
        """:meth:`fit` for a model trained alone (a classifier): each step computes
        ``loss(state, batch)`` (a scalar), then zero_grad, backward, ``opt.step()``; the learning
        rate follows :func:`cosine_lr`; no discriminator, no EMA."""

        def step(state, batch):
            value = loss(state, batch)
            opt.zero_grad(set_to_none=True)
            value.backward()
            opt.step()
            return {"loss": value.detach()}

        return self.fit(
            model, None, data, step=step, opt_g=opt, ema=None, lr_schedule=cosine_lr, **kwargs
        )


def log(message: str) -> None:
    print(time.strftime("%H:%M:%S"), message, flush=True)


def face_set(n: int, size: int = 64, seed: int = 0, chunk: int = 512):
    """``n`` synthetic faces as uint8 (n, 3, size, size) and their attributes (n, A)."""
    attributes = faces.sample_attributes(n, seed)
    images = torch.empty(n, 3, size, size, dtype=torch.uint8)
    for start in range(0, n, chunk):
        rows = attributes[start : start + chunk]
        images[start : start + chunk] = to_uint8(faces.render_faces(rows, size=size))
    return images, attributes


def batch_source(images_u8: torch.Tensor, *others: torch.Tensor, seed: int):
    """A callable ``source(batch_size)`` drawing random rows: images as floats in [-1, 1] (and
    the same rows of ``others``). Held as uint8, a training set takes 4x less memory."""
    generator = torch.Generator().manual_seed(seed)

    def source(batch_size: int):
        index = torch.randint(images_u8.shape[0], (batch_size,), generator=generator)
        return (from_uint8(images_u8[index]), *(o[index] for o in others))

    return source


def cosine_lr(step: int, steps: int, warmup: int = 50) -> float:
    """Learning-rate factor: linear warm-up, then cosine decay to 5%:
    ``0.05 + 0.95 (1 + cos(pi t)) / 2``."""
    if step < warmup:
        return (step + 1) / warmup
    t = (step - warmup) / max(1, steps - warmup)
    return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, t)))


@torch.no_grad()
def recalibrate_batchnorm(G: nn.Module, sample_inputs, batches: int = 32) -> None:
    """Recompute G's BatchNorm running statistics for its *current* weights.

    An EMA generator averages weights but its BatchNorm statistics were copied from the live G,
    so they do not quite match. Running fresh batches in train mode with ``momentum=None`` (a
    plain cumulative average) gives eval-mode statistics that fit the averaged weights.
    """
    norms = [m for m in G.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    G.train()
    for _ in range(batches):
        G(*sample_inputs())
    for m, momentum in zip(norms, saved):
        m.momentum = momentum
    G.eval()


def trained(state: train.TrainState, **notes) -> dict:
    """The notes every recipe returns about its run: steps done, seconds, why it stopped."""
    return {
        "steps_done": state.step,
        "train_seconds": round(state.seconds, 1),
        "stopped_early": state.stopped,
        **notes,
    }
