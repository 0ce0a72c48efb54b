"""ms per training step: ``gancourse.train.fit`` vs a plain loop written like PyTorch's DCGAN
example.

Same models (DCGAN G and D, same init), same data tensor, same batch size, same loss (BCE on
logits, non-saturating G), both on the same device in one run. The reference is the loop of
https://github.com/pytorch/examples/blob/main/dcgan/main.py (two D backward passes, D's weight
gradients computed in the G step, per-parameter Adam, three ``.item()`` calls per step).
gancourse's ``fit`` does the same maths with: fused Adam, one D backward, D frozen in the G step
(no wasted weight gradients), ``zero_grad(set_to_none=True)``, one host sync per step for the
history and NaN guard; plus bf16 autocast and channels_last on CUDA.

    python benchmarks/train_step.py [--size 32] [--width 32] [--batch 64] [--steps 20] [--repeats 3]

Prints both timings (median over repeats, interleaved) and the ratio reference / gancourse (>= 1
means gancourse is at least as fast).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from gancourse import runtime, train
from gancourse.models import Discriminator, Generator


def make_models(args, device):
    torch.manual_seed(0)
    G = Generator(args.z_dim, args.size, 3, args.width).to(device)
    D = Discriminator(args.size, 3, args.width).to(device)
    return G, D


def reference_loop(G, D, data, steps, args, device):
    """The PyTorch DCGAN example's loop (with BCEWithLogits because our D returns logits)."""
    criterion = nn.BCEWithLogitsLoss()
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    g = torch.Generator().manual_seed(0)
    for _ in range(steps):
        index = torch.randint(len(data), (args.batch,), generator=g)
        real = data[index].to(device)
        b = real.size(0)
        # (1) Update D: maximize log(D(x)) + log(1 - D(G(z)))
        D.zero_grad()
        label = torch.full((b,), 1.0, device=device)
        output = D(real).view(-1)
        err_real = criterion(output, label)
        err_real.backward()
        _d_x = torch.sigmoid(output).mean().item()
        noise = torch.randn(b, args.z_dim, 1, 1, generator=g).to(device)
        fake = G(noise)
        label.fill_(0.0)
        output = D(fake.detach()).view(-1)
        err_fake = criterion(output, label)
        err_fake.backward()
        _d_g_z1 = torch.sigmoid(output).mean().item()
        opt_d.step()
        # (2) Update G: maximize log(D(G(z)))
        G.zero_grad()
        label.fill_(1.0)
        output = D(fake).view(-1)
        err_g = criterion(output, label)
        err_g.backward()
        _d_g_z2 = torch.sigmoid(output).mean().item()
        opt_g.step()


def gancourse_loop(G, D, data, steps, args, device):
    train.fit(
        G,
        D,
        data,
        steps,
        batch_size=args.batch,
        loss="bce",
        ema=None,
        progress=False,
        device=device,
    )


def gancourse_compiled_loop(G, D, data, steps, args, device):
    train.fit(
        G,
        D,
        data,
        steps,
        batch_size=args.batch,
        loss="bce",
        ema=None,
        progress=False,
        device=device,
        compile=True,
    )


def timed(fn, args, device, data):
    G, D = make_models(args, device)
    fn(G, D, data, 2, args, device)  # warm-up (allocator, oneDNN kernels, cuDNN autotune)
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn(G, D, data, args.steps, args, device)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / args.steps * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--z-dim", type=int, default=64)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default=None)
    parser.add_argument(
        "--compile",
        action="store_true",
        help="also time fit(compile=True) (torch.compile of G and D; warm-up compiles)",
    )
    args = parser.parse_args()
    device = runtime.get_device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    data = torch.rand(1024, 3, args.size, args.size) * 2 - 1
    if device.type == "cuda":
        data = data.to(device)
    print(
        f"device {device} ({torch.cuda.get_device_name(0) if device.type == 'cuda' else 'CPU'}), "
        f"threads {torch.get_num_threads()}, DCGAN {args.size}px width {args.width}, "
        f"batch {args.batch}, {args.steps} steps x {args.repeats} repeats"
    )
    ref, ours, compiled = [], [], []
    for _ in range(args.repeats):  # interleaved, so machine load hits all alike
        ref.append(timed(reference_loop, args, device, data))
        ours.append(timed(gancourse_loop, args, device, data))
        if args.compile:
            compiled.append(timed(gancourse_compiled_loop, args, device, data))
    r, o = statistics.median(ref), statistics.median(ours)
    images = args.batch * 1000  # images per second = batch / (ms per step / 1000)
    print(
        f"reference (PyTorch DCGAN example loop): {r:8.2f} ms/step {images / r:9.0f} img/s   "
        f"runs: {', '.join(f'{x:.1f}' for x in ref)}"
    )
    print(
        f"gancourse.train.fit:                    {o:8.2f} ms/step {images / o:9.0f} img/s   "
        f"runs: {', '.join(f'{x:.1f}' for x in ours)}"
    )
    print(
        f"speed ratio reference / gancourse:      {r / o:8.2f}x  "
        f"({'OK' if r / o >= 1.0 else 'SLOWER'})"
    )
    if compiled:
        c = statistics.median(compiled)
        print(
            f"gancourse.train.fit(compile=True):      {c:8.2f} ms/step {images / c:9.0f} img/s   "
            f"runs: {', '.join(f'{x:.1f}' for x in compiled)}"
        )
        print(f"speed ratio reference / compiled:       {r / c:8.2f}x")


if __name__ == "__main__":
    main()
