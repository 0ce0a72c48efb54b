"""Compute cost of a DCGAN on this machine: ms per training step and per sample vs image size and
width.

    python benchmarks/compute_cost.py [--quick] [--batch 16] [--repeats 3] [--device cpu]

The same measurement lesson 11 plots (``gancourse.cost.measure_cost``). Prints a Markdown table
and the fitted growth exponents ``time ∝ size^k`` and ``time ∝ width^k``.
"""

from __future__ import annotations

import argparse
import sys

import torch

from gancourse import cost, runtime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="sizes 16-64 and widths 8-32 only")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--device", default=None, help="cpu, cuda, mps (default: runtime.get_device())"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="PyTorch CPU threads (default: as set)"
    )
    args = parser.parse_args()

    device = runtime.get_device(args.device)
    sizes = (16, 32, 64) if args.quick else (16, 32, 64, 128)
    widths = (8, 16, 32) if args.quick else (8, 16, 32, 64)
    base_size = 32 if args.quick else 64
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    threads = args.threads or torch.get_num_threads()
    print(
        f"device: {name}, torch threads: {threads}, batch {args.batch}, "
        f"median of {args.repeats} runs"
    )
    rows = cost.measure_cost(
        sizes,
        widths,
        base_width=32,
        base_size=base_size,
        batch_size=args.batch,
        repeats=args.repeats,
        device=device,
        threads=args.threads,
        progress=lambda r: print(
            f"  measured size {r['size']:>3} width {r['width']:>2}: "
            f"{r['train_step_ms']:.1f} ms/step",
            file=sys.stderr,
        ),
    )
    print(cost.format_table(rows))
    print()
    for sweep in ("size", "width"):
        part = [r for r in rows if r["sweep"] == sweep]
        x = [r[sweep] for r in part]
        for clock, suffix in (("wall", "ms"), ("CPU", "cpu_ms")):
            k_train, _ = cost.fit_power_law(x, [r[f"train_step_{suffix}"] for r in part])
            k_sample, _ = cost.fit_power_law(x, [r[f"sample_{suffix}"] for r in part])
            print(
                f"growth with {sweep} ({clock} time): train step ∝ {sweep}^{k_train:.2f}, "
                f"sampling ∝ {sweep}^{k_sample:.2f}"
            )
    print("(wall time includes other jobs on a shared machine; CPU time counts only this process)")
    print(
        "(FLOP count grows ∝ width² · size² · log size; measured exponents are lower where "
        "fixed per-call overhead dominates)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
