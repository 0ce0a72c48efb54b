"""Training on several processes with ``torchrun``.

Data parallelism for :func:`gancourse.train.fit`.

Used in lesson 11 (where to go with more compute). Every zoo recipe can run on N GPUs (or N CPU
processes, gloo backend) with::

    torchrun --nproc_per_node N -m gancourse.zoo train NAME

Each process draws its own batches; before every optimiser step the gradients are averaged over
the processes, so every process takes the same step and holds the same weights:
``g ← (1/N) Σ_r g_r`` (one all-reduce of the flattened gradients).

Why not wrap G and D in ``DistributedDataParallel``? A GAN step calls D more than once per
backward (real and fake batches), freezes D's parameters during the G step and, with R1, takes a
double backward; DDP's reducer expects one forward per backward and a gradient for every
parameter. Averaging the gradients in an optimiser pre-step hook does what DDP does, for any step
(StyleGAN2-ADA's training loop does the same by hand).
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist
from torch import nn


def world_size() -> int:
    """Number of processes started by ``torchrun`` (1 without it)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    """This process's rank (0 without ``torchrun``); rank 0 writes files and logs."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def setup(device: torch.device) -> tuple[int, int]:
    """Join the process group when started by ``torchrun``; return ``(rank, world_size)``."""
    if world_size() <= 1:
        return 0, 1
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return dist.get_rank(), dist.get_world_size()


def local_device(device: torch.device) -> torch.device:
    """Under ``torchrun`` each process takes the GPU of its ``LOCAL_RANK``."""
    if device.type == "cuda" and device.index is None and world_size() > 1:
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return device


def _as_float_tensor(value) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach().float().reshape(())
    return torch.tensor(float(value))


class GradientAverager:
    """Keeps N processes' models identical: same start, averaged gradients, same buffers at the end.

    With one process it does nothing but turn a step's values into floats.
    """

    def __init__(self, models: list[nn.Module], optimizers: list, ema=None, world: int = 1):
        self.models, self.ema, self.world = models, ema, world
        self.handles = []
        if world <= 1:
            return
        self.comm = next(models[0].parameters()).device
        for module in [*models, *([ema.model] if ema is not None else [])]:
            for tensor in module.state_dict().values():
                dist.broadcast(tensor, src=0)  # rank 0's initial weights everywhere
        for opt in optimizers:
            self.handles.append(opt.register_step_pre_hook(self._average))

    def _average(self, optimizer, args, kwargs) -> None:
        grads = [
            p.grad
            for group in optimizer.param_groups
            for p in group["params"]
            if p.grad is not None
        ]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= self.world
        offset = 0
        for g in grads:
            g.copy_(flat[offset : offset + g.numel()].view_as(g))
            offset += g.numel()

    def reduce_values(self, values: dict, stop: bool) -> tuple[dict[str, float], bool]:
        """A step's numbers as floats (one device sync), averaged over the processes; a stop
        asked of any process stops all of them."""
        tensors = [_as_float_tensor(v) for v in values.values()]
        if tensors:
            device = next((t.device for t in tensors if t.device.type != "cpu"), None)
            stacked = torch.stack([t.to(device) if device else t for t in tensors])
        else:
            stacked = torch.zeros(0)
        if self.world > 1:
            flags = torch.cat(
                [stacked.to(self.comm), torch.tensor([float(stop)], device=self.comm)]
            )
            dist.all_reduce(flags)
            stop = bool(flags[-1] > 0)
            stacked = flags[:-1] / self.world
        return dict(zip(values, stacked.tolist())), stop

    def close(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles = []

    def finish(self) -> None:
        """Copy rank 0's buffers (e.g. BatchNorm running statistics, which saw only each process's
        own batches) to every process."""
        if self.world <= 1:
            return
        for module in [*self.models, *([self.ema.model] if self.ema is not None else [])]:
            for buffer in module.buffers():
                dist.broadcast(buffer, src=0)
