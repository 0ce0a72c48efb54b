"""Slider callback latency: one slider move -> new PNG bytes, for LatentExplorer and EditExplorer.

Each "move" changes one slider to a new value and calls the explorer's pure ``render(state)``
(generator forward at batch 1 + PNG encode), which is what a browser slider event costs on the
Python side. Prints the median and 95th percentile over the moves. Goal: median <= 20 ms on CPU.

Uses the zoo's reference generator when its weights are there; otherwise a freshly initialised
generator of the same architecture (latency does not depend on the weight values).

    python benchmarks/slider_callbacks.py [--moves 200] [--threads N] [--device cpu]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import torch


def _generator(device):
    from gancourse import zoo

    try:
        return zoo.load("faces_dcgan64", device=device), "zoo reference faces_dcgan64"
    except zoo.CheckpointError as error:
        G = zoo.entry("faces_dcgan64").build().to(device).eval().requires_grad_(False)
        return (
            G,
            f"untrained faces_dcgan64 architecture ({type(error).__name__}: weights not available)",
        )


def _time_moves(render, moves):
    """Wall-clock and CPU (process) milliseconds per move."""
    wall, cpu = [], []
    for state in moves:
        start, start_cpu = time.perf_counter(), time.process_time()
        png = render(state)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert png[:4] == b"\x89PNG"
    return wall, cpu


def _p95(values):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def _report(name, times):
    """Print wall-clock median/p95/min and the CPU-time median.

    On a shared, busy machine the wall clock includes waiting for a core; the process CPU time
    (with one thread) is what the move costs when the core is free.
    """
    wall, cpu = times
    print(
        f"{name:<24} wall: median {statistics.median(wall):6.2f} ms  p95 {_p95(wall):6.2f} ms  "
        f"min {min(wall):6.2f} ms | CPU: median {statistics.median(cpu):6.2f} ms  "
        f"p95 {_p95(cpu):6.2f} ms  "
        f"({len(wall)} moves)"
    )
    return statistics.median(wall), statistics.median(cpu)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    if args.moves < 50:
        parser.error("use at least 50 moves for a meaningful median and p95")
    from gancourse import editing, runtime, widgets
    from gancourse.data import faces

    threads = runtime.set_threads(args.threads)
    device = torch.device(args.device)
    G, source = _generator(device)
    print(
        f"generator: {source}; device {device}; torch threads {threads}; torch {torch.__version__}"
    )

    rng = random.Random(0)
    directions = editing.sefa(G, k=5)[0]
    latent = widgets.LatentExplorer(G, directions)
    # a learner drags one slider at a time; every so often changes seed or truncation
    state = latent.state()
    moves = []
    for i in range(args.moves):
        state = dict(state)
        if i % 10 == 9:
            state["seed"] = rng.randrange(1000)
        elif i % 10 == 4:
            state["truncation"] = round(rng.uniform(0.3, 1.0), 2)
        else:
            state[f"direction {rng.randrange(5) + 1}"] = round(rng.uniform(-5, 5), 1)
        moves.append(state)
    for state in moves[:5]:  # warm-up (first calls allocate)
        latent.render(state)
    med_latent, cpu_latent = _report("LatentExplorer.render", _time_moves(latent.render, moves))

    g = torch.Generator().manual_seed(0)
    attrs = ["smile", "eye_size", "skin_tone", "head_tilt", "glasses"]
    dirs = {a: editing.normalize(torch.randn(G.z_dim, generator=g)) for a in attrs}
    regions = {
        "mouth": faces.attribute_region("smile", G.image_size),
        "eyes": faces.attribute_region("eye_size", G.image_size),
    }
    edit = widgets.EditExplorer(
        G, dirs, regions=regions, sources={"inverted": torch.randn(G.z_dim, generator=g)}
    )
    state = edit.state()
    moves = []
    for i in range(args.moves):
        state = dict(state)
        if i % 20 == 19:
            state["seed"] = rng.randrange(1000)
        elif i % 20 == 9:
            state["region"] = rng.choice([edit.WHOLE, "mouth", "eyes"])
        elif i % 20 == 14:
            state["start from"] = rng.choice([edit.SAMPLE, "inverted"])
        else:
            state[rng.choice(attrs)] = round(rng.uniform(-4, 4), 1)
        moves.append(state)
    for state in moves[:5]:
        edit.render(state)
    med_edit, cpu_edit = _report("EditExplorer.render", _time_moves(edit.render, moves))

    goal = 20.0
    load = ""
    try:
        import os

        load = f" (1-min load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    except (AttributeError, OSError):
        pass
    verdict = "meets" if max(med_latent, med_edit) <= goal else "MISSES"
    print(
        f"goal: median <= {goal:.0f} ms per move: wall clock {verdict} it{load}; "
        f"CPU time per move {max(cpu_latent, cpu_edit):.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
