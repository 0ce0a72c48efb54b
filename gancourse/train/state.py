"""What a run keeps and shows: the :class:`EMA` generator, the :class:`TrainState`, callbacks.

Derived in lesson 04 (EMA, sample grids over training).
"""

from __future__ import annotations

import copy
import inspect
import os
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn
from torchvision.utils import save_image

from gancourse.data._checks import check_finite
from gancourse.runtime import device_of


# ----------------------------------------------------------------------------- EMA
class EMA:
    """Exponential moving average of a generator's weights (Karras et al.; Yazıcı et al., 2019).

    ``θ_ema ← β θ_ema + (1 - β) θ`` after every G step; buffers (BatchNorm statistics) are copied.
    With ``warmup`` the step-t β is ``min(β, (1 + t) / (10 + t))``, so the random initial weights
    are forgotten within the first steps. ``ema.model`` is a frozen copy in eval mode.
    """

    def __init__(self, model: nn.Module, beta: float = 0.999, warmup: bool = False):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"EMA beta must be in [0, 1), got {beta}")
        self.beta, self.warmup = beta, warmup
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module, step: int | None = None) -> None:
        beta = self.beta
        if self.warmup and step is not None:
            beta = min(beta, (1 + step) / (10 + step))
        ema_p = list(self.model.parameters())
        cur_p = [p.detach() for p in model.parameters()]
        torch._foreach_lerp_(ema_p, cur_p, 1.0 - beta)
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
        self.stopped: str | None = None  # why the run ended early: "SIGUSR1 / request_stop", ...
        self.history: dict[str, list] = {"step": []}
        self.metrics: dict[str, list[tuple[int, float]]] = {}

    @property
    def G_ema(self) -> nn.Module:
        """The EMA generator when EMA is on, else G."""
        return self.ema.model if self.ema is not None else self.G

    def sample(self, z: torch.Tensor, use_ema: bool = True) -> torch.Tensor:
        """Generate from ``z`` in eval mode, without gradients (returns a CPU float tensor)."""
        return generate(self.G_ema if use_ema else self.G, z)

    def __repr__(self) -> str:
        return (
            f"TrainState(step={self.step}, seconds={self.seconds:.1f}, "
            f"ema={self.ema is not None}, stopped={self.stopped!r})"
        )


@torch.no_grad()
def generate(
    G: nn.Module, z: torch.Tensor, labels: torch.Tensor | None = None, batch_size: int = 256
) -> torch.Tensor:
    """``G(z)`` (or ``G(z, labels)``) in eval mode, without gradients, in batches; CPU float.

    G's train/eval mode is restored afterwards.
    """
    if not isinstance(z, torch.Tensor):
        raise TypeError(f"z must be a torch.Tensor of latents (B, d), got {type(z).__name__}")
    check_finite(z, "z")
    was_training = G.training
    G.eval()
    device = device_of(G)
    try:
        chunks = []
        for i in range(0, len(z), batch_size):
            args = [z[i : i + batch_size].to(device)]
            if labels is not None:
                args.append(labels[i : i + batch_size].to(device))
            chunks.append(G(*args).float().cpu())
        return torch.cat(chunks)
    finally:
        G.train(was_training)


class SampleGrid:
    """Callback: every ``every`` steps (and at the end) generate from a fixed latent batch.

    ``grid.samples`` is a list of ``(step, images)``; with ``folder`` each grid is also saved as
    ``folder/samples_{step:06d}.png``.
    """

    def __init__(
        self,
        every: int,
        z: torch.Tensor,
        folder: str | os.PathLike | None = None,
        use_ema: bool = True,
        nrow: int = 8,
    ):
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
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"samples_{state.step:06d}.png"
            save_image((images + 1) / 2, path, nrow=self.nrow)


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


def call_callback(cb, state, final):
    try:
        params = inspect.signature(cb).parameters
    except (TypeError, ValueError):
        params = {}
    if "final" in params:
        cb(state, final=final)
    elif not final:
        cb(state)
