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
    except zoo.ZooError as error:
        G = zoo.entry("faces_dcgan64").build().to(device).eval().requires_grad_(False)
        return G, f"untrained faces_dcgan64 architecture ({type(error).__name__}: weights not available)"


def _time_moves(render, moves):
    times = []
    for state in moves:
        start = time.perf_counter()
        png = render(state)
        times.append((time.perf_counter() - start) * 1000)
        assert png[:4] == b"\x89PNG"
    return times


def _report(name, times):
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    print(f"{name:<34} median {statistics.median(times):6.2f} ms   p95 {p95:6.2f} ms   "
          f"min {times[0]:6.2f} ms   ({len(times)} moves)")
    return statistics.median(times), p95


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
    print(f"generator: {source}; device {device}; torch threads {threads}; torch {torch.__version__}")

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
    med_latent, _ = _report("LatentExplorer.render", _time_moves(latent.render, moves))

    g = torch.Generator().manual_seed(0)
    attrs = ["smile", "eye_size", "skin_tone", "head_tilt", "glasses"]
    dirs = {a: editing.normalize(torch.randn(G.z_dim, generator=g)) for a in attrs}
    regions = {"mouth": faces.attribute_region("smile", G.image_size), "eyes": faces.attribute_region("eye_size", G.image_size)}
    edit = widgets.EditExplorer(G, dirs, regions=regions, sources={"inverted": torch.randn(G.z_dim, generator=g)})
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
    med_edit, _ = _report("EditExplorer.render", _time_moves(edit.render, moves))

    goal = 20.0
    verdict = "meets" if max(med_latent, med_edit) <= goal else "MISSES"
    print(f"goal: median <= {goal:.0f} ms per move -> {verdict} it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
