"""Plumbing for the "use it" cells of exercises 06 to 10: each runs the learner's own function on
a real task (an inversion, a CycleGAN run) and hands back what the notebook shows.

Kept out of the notebooks so their cells stay short; none of it is an exercise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from tqdm.auto import tqdm

from gancourse.data import faces
from gancourse.editing import best_of_k

__all__ = ["blue_faces", "invert_with", "progress", "train_cyclegan", "unwritten"]


def unwritten(error: NotImplementedError) -> str:
    """The name of the function that raised ``error`` (the learner's stub), for "Write X first"."""
    tb = error.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_name


@contextmanager
def progress(features: Callable, total: int, desc: str = "") -> Iterator[torch.nn.Module]:
    """``features`` wrapped so that every call advances a progress bar of ``total`` calls: a bar
    for a loop the learner wrote without one. The bar goes when the ``with`` block ends."""
    bar = tqdm(total=total, desc=desc, leave=False, mininterval=1)

    class Ticking(torch.nn.Module):
        def forward(self, x):
            bar.update(1)
            return features(x)

    try:
        yield Ticking()
    finally:
        bar.close()


def blue_faces(n: int, size: int = 32, seed: int = 0) -> torch.Tensor:
    """Domain B of the CycleGAN task: rendered faces with red and blue swapped (B, 3, S, S)."""
    return faces.face_batch(n, size, seed=seed)[0].flip(1)


def train_cyclegan(
    step: Callable,
    steps: int = 300,
    size: int = 32,
    batch: int = 8,
    width: int = 8,
    lambda_cyc: float = 10.0,
    lambda_id: float = 5.0,
    seed: int = 0,
) -> tuple[torch.nn.Module, torch.nn.Module, list[dict]]:
    """Train a small CycleGAN (faces A <-> red/blue-swapped faces B, unpaired: every batch draws
    other faces for each domain) with the learner's generator ``step(G_ab, G_ba, D_a, D_b, opt_g,
    a, b, lambda_cyc, lambda_id) -> dict``; the discriminators take the library's least-squares
    step. Returns (G_ab, G_ba, the step's logs)."""
    from gancourse.models import cyclegan, pix2pix

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        G_ab, G_ba = pix2pix.UNetGenerator(width, depth=3), pix2pix.UNetGenerator(width, depth=3)
        D_a, D_b = cyclegan.make_discriminators(width)
    params = [*G_ab.parameters(), *G_ba.parameters()]
    opt_g = torch.optim.Adam(params, lr=2e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam([*D_a.parameters(), *D_b.parameters()], lr=2e-3, betas=(0.5, 0.999))
    logs = []
    for i in tqdm(range(steps), desc="CycleGAN", leave=False, mininterval=1):
        a = faces.face_batch(batch, size, seed=seed * 100_000 + 2 * i)[0]
        b = blue_faces(batch, size, seed=seed * 100_000 + 2 * i + 1)
        logs.append(step(G_ab, G_ba, D_a, D_b, opt_g, a, b, lambda_cyc, lambda_id))
        with torch.no_grad():
            fake_b, fake_a = G_ab(a), G_ba(b)
        d_loss = cyclegan.discriminator_loss(D_b, b, fake_b) + cyclegan.discriminator_loss(
            D_a, a, fake_a
        )
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
    return G_ab.eval(), G_ba.eval(), logs


def invert_with(
    loss_fn: Callable,
    G: torch.nn.Module,
    target: torch.Tensor,
    features: Callable,
    feature_weight: float = 1.0,
    steps: int = 200,
    lr: float = 0.05,
    seed: int = 0,
) -> tuple[torch.Tensor, list[float]]:
    """Invert ``target`` (B, 3, S, S) into G's latent space with the learner's
    ``loss_fn(G, z, target, features, feature_weight) -> scalar``: start from the best of 256
    random latents, then Adam on z. Returns (z (B, d), the loss at every step)."""
    z = best_of_k(G, target, k=256, seed=seed).clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    losses = []
    for _ in tqdm(range(steps), desc="inverting", leave=False, mininterval=1):
        loss = loss_fn(G, z, target, features, feature_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return z.detach(), losses
