"""Compute cost of a DCGAN, measured.

Milliseconds per training step and per sample vs size and width.

Lesson 11 and ``benchmarks/compute_cost.py`` both call :func:`measure_cost`, so the plot in the
lesson and the benchmark table are the same measurement.

What to expect (and why measuring matters)
    A DCGAN layer that outputs resolution ``s`` has about ``c_in · c_out · 16 · s²`` multiply-adds
    (4×4 kernels). With the course's widths, channels at resolution ``s`` are ``≈ w · S / s``
    (``S`` the image size, ``w`` the width), so every layer costs ``∝ w² S²`` and there are
    ``log2(S) - 1`` of them::

        FLOPs(G) ≈ const · w² · S² · log2 S

    Time grows like FLOPs only once the work is large enough to keep the hardware busy. Small
    models on a CPU (and almost everything on a GPU) are dominated by fixed per-call overhead, so
    the *measured* exponent of ``time ∝ S^k`` lies below 2 at small sizes and approaches it at
    large ones. :func:`fit_power_law` fits ``log t = k log x + c`` to measure ``k``.

Timing: the median of ``repeats`` runs after ``warmup`` runs; on CUDA the device is synchronised
before reading the clock, because GPU calls return before the work is done.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import torch

from gancourse import runtime
from gancourse.models.dcgan import Discriminator, Generator
from gancourse.train import d_step, g_step


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def time_call(
    fn: Callable[[], object], device: torch.device | str = "cpu", repeats: int = 3, warmup: int = 1
) -> dict[str, float]:
    """Median times of ``fn()`` in seconds over ``repeats`` runs, after ``warmup`` runs:
    ``{"wall": wall-clock time, "cpu": CPU time of this process (all its threads)}``.

    On a machine shared with other jobs, wall time also measures the neighbours; CPU time counts
    only our own work (summed over threads, so with 2 busy threads it can exceed wall time)."""
    if repeats < 1 or warmup < 0:
        raise ValueError(f"repeats must be >= 1 and warmup >= 0, got {repeats}, {warmup}")
    device = torch.device(device)
    for _ in range(warmup):
        fn()
    _sync(device)
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        _sync(device)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {"wall": float(np.median(wall)), "cpu": float(np.median(cpu))}


def count_parameters(model: torch.nn.Module) -> int:
    """Number of trainable-or-not parameters (weights) of ``model``."""
    return sum(p.numel() for p in model.parameters())


def measure_one(
    image_size: int,
    width: int,
    batch_size: int = 16,
    z_dim: int = 64,
    repeats: int = 3,
    warmup: int = 1,
    device: torch.device | str | None = None,
) -> dict:
    """Time one DCGAN (``gancourse.models.dcgan``) of ``image_size`` and ``width``.

    Returns ``{"size", "width", "batch", "params_G", "params_D", "train_step_ms", "sample_ms",
    "train_step_cpu_ms", "sample_cpu_ms"}`` where ``train_step_ms`` is the wall time of one D step
    plus one G step (``gancourse.train.d_step`` / ``g_step``, Adam) on a batch, ``sample_ms`` the
    wall time per *image* of ``G(z)`` in eval mode without gradients, and the ``_cpu_`` twins the
    CPU time of this process (see :func:`time_call`).
    """

    if batch_size < 2:
        raise ValueError(f"batch_size must be >= 2 (BatchNorm needs it), got {batch_size}")
    device = runtime.get_device() if device is None else torch.device(device)
    torch.manual_seed(0)
    G = Generator(z_dim=z_dim, image_size=image_size, channels=3, width=width).to(device)
    D = Discriminator(image_size=image_size, channels=3, width=width).to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.rand(batch_size, 3, image_size, image_size, device=device) * 2 - 1
    z = torch.randn(batch_size, z_dim, device=device)

    def train_step():  # as in gancourse.train.fit: one fake batch serves both steps
        fake = G(z)
        d_step(G, D, real, None, opt_d, fake=fake)
        g_step(G, D, None, opt_g, fake=fake)

    G.train()
    D.train()
    step = time_call(train_step, device, repeats, warmup)
    G.eval()

    def sample():
        with torch.no_grad():
            G(z)

    samples = time_call(sample, device, repeats, warmup)
    return {
        "size": image_size,
        "width": width,
        "batch": batch_size,
        "params_G": count_parameters(G),
        "params_D": count_parameters(D),
        "train_step_ms": 1000 * step["wall"],
        "sample_ms": 1000 * samples["wall"] / batch_size,
        "train_step_cpu_ms": 1000 * step["cpu"],
        "sample_cpu_ms": 1000 * samples["cpu"] / batch_size,
    }


def measure_cost(
    sizes: Sequence[int] = (16, 32, 64, 128),
    widths: Sequence[int] = (8, 16, 32, 64),
    base_width: int = 32,
    base_size: int = 64,
    batch_size: int = 16,
    repeats: int = 3,
    device: torch.device | str | None = None,
    progress: Callable[[dict], None] | None = None,
    threads: int | None = None,
) -> list[dict]:
    """Two sweeps: every size in ``sizes`` at ``base_width``, and every width in ``widths`` at
    ``base_size``. One row per model (see :func:`measure_one`) with ``"sweep"`` = "size" or "width";
    ``progress(row)`` is called after each measurement.

    ``threads`` sets PyTorch's CPU threads for the measurement (restored afterwards). On a machine
    busy with other jobs, 1 thread can be many times faster than 2: waiting threads spin and
    compete.
    """
    if not sizes or not widths:
        raise ValueError("give at least one size and one width")
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    rows = []
    plan = [("size", s, base_width) for s in sizes] + [("width", base_size, w) for w in widths]
    try:
        for sweep, size, width in plan:
            row = {
                "sweep": sweep,
                "threads": torch.get_num_threads(),
                **measure_one(size, width, batch_size, repeats=repeats, device=device),
            }
            rows.append(row)
            if progress is not None:
                progress(row)
    finally:
        torch.set_num_threads(before)
    return rows


def fit_power_law(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """Least-squares fit of ``y = a · x^k`` in log-log space; returns ``(k, a)``."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.size < 2:
        raise ValueError(
            f"need at least two (x, y) pairs of equal length, got {x.size} and {y.size}"
        )
    if (x <= 0).any() or (y <= 0).any():
        raise ValueError("a power law is fitted on logarithms: every x and y must be > 0")
    k, log_a = np.polyfit(np.log(x), np.log(y), 1)
    return float(k), float(np.exp(log_a))


def format_table(rows: list[dict]) -> str:
    """The rows of :func:`measure_cost` as a Markdown table."""
    lines = [
        "| sweep | size | width | params G | params D | train step (ms) | sample (ms/image) "
        "| train step, CPU time (ms) | sample, CPU time (ms/image) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['sweep']} | {r['size']} | {r['width']} | "
            f"{r['params_G']:,} | {r['params_D']:,} | "
            f"{r['train_step_ms']:.1f} | {r['sample_ms']:.3f} | {r['train_step_cpu_ms']:.1f} | "
            f"{r['sample_cpu_ms']:.3f} |"
        )
    return "\n".join(lines)
