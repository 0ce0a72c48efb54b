"""The zoo's command line: ``python -m gancourse.zoo list | train NAME | measure NAME``."""

from __future__ import annotations

import argparse

from gancourse.zoo import list_models
from gancourse.zoo.recipes import measure, train
from gancourse.zoo.registry import REGISTRY, entry


def format_metrics(metrics: dict) -> str:
    parts = []
    for key, value in metrics.items():
        if isinstance(value, float):
            parts.append(f"{key}={value:.4g}")
        elif isinstance(value, int | str):
            parts.append(f"{key}={value}")
    return ", ".join(parts)


def print_list(weights_dir=None) -> None:
    rows = list_models(weights_dir)
    total = sum(r["size_mb"] or 0 for r in rows)
    width = max([len(r["name"]) for r in rows] + [4])
    print(f"{'name':<{width}}  {'size':>8}  metrics")
    for r in rows:
        if r["size_mb"] is None:
            size, metrics = "missing", f"(train it: python -m gancourse.zoo train {r['name']})"
        else:
            size, metrics = f"{r['size_mb']:.2f} MB", format_metrics(r["metrics"])
        print(f"{r['name']:<{width}}  {size:>8}  {metrics}")
    print(f"{'total':<{width}}  {total:.2f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gancourse.zoo", description="The gancourse reference model zoo."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("list", help="names, sizes (MB) and metrics of the models")
    show.add_argument("--dir", default=None, help="a weights folder other than the shipped one")
    again = commands.add_parser("measure", help="re-measure a trained file, update its card")
    again.add_argument("name")
    again.add_argument("--dir", required=True, help="the folder it was trained into")
    t = commands.add_parser("train", help="reproduce a checkpoint and write its model card")
    t.add_argument("name")
    t.add_argument(
        "--out", required=True, help="output folder (not the package's own weights folder)"
    )
    t.add_argument("--steps", type=int, default=None, help="training steps (default: recipe's)")
    t.add_argument("--batch-size", type=int, default=None, help="batch size (default: recipe's)")
    t.add_argument("--eval-samples", type=int, default=None, help="images for the card metrics")
    t.add_argument("--seed", type=int, default=None, help="seed (default: the recipe's)")
    t.add_argument("--device", default=None, help="cpu, cuda, mps (default: runtime.get_device())")
    t.add_argument("--threads", type=int, default=None, help="CPU threads for PyTorch")
    t.add_argument(
        "--max-minutes",
        type=float,
        default=None,
        help="stop training after this many minutes even if --steps are not done",
    )
    args = parser.parse_args(argv)

    if args.command == "list":
        print_list(args.dir)
        return 0
    if args.command == "measure":
        print(measure(args.name, args.dir))
        return 0
    name = entry(args.name).name
    result = train(
        name,
        args.out,
        steps=args.steps,
        batch_size=args.batch_size,
        eval_samples=args.eval_samples,
        seed=args.seed,
        device=args.device,
        threads=args.threads,
        max_minutes=args.max_minutes,
    )
    if result is None:  # a torchrun rank other than 0
        return 0
    print(f"wrote {result['path']} ({result['size_bytes'] / 1e6:.2f} MB) and its card")
    print(f"sha256 {result['sha256']}")
    if result["sha256"] != REGISTRY[name].sha256:
        print(
            f"note: the registry pins {REGISTRY[name].sha256[:16]}… for {name}; to ship this "
            "file, copy it into gancourse/zoo_weights and put the sha256 above in "
            "gancourse/zoo/registry.py"
        )
    print("metrics:", format_metrics(result["metrics"]))
    return 0
