"""CycleGAN (Zhu et al., 2017): image-to-image translation *without* pairs. Lesson 09.

Two generators, ``G: A -> B`` (photo -> painting) and ``F: B -> A``, and two discriminators that
judge each domain alone. Without pairs nothing says *which* painting a photo should become; the
**cycle-consistency** loss asks that translating there and back returns the input, so the content
must survive the trip::

    L_cyc = |F(G(a) + sigma n) - a|_1 + |G(F(b) + sigma n') - b|_1,   n, n' ~ N(0, I)
    L_id  = |G(b) - b|_1 + |F(a) - a|_1           (identity: a painting is already a painting)
    L_G   = LS(D_B(G(a)), 1) + LS(D_A(F(b)), 1) + lambda_cyc L_cyc + lambda_id L_id
    L_D   = LS(D_B(b), 1) + LS(D_B(G(a)), 0)  (and the same for D_A),   LS(p, t) = mean (p - t)^2

(least-squares GAN losses as in the paper; lambda_cyc = 10, lambda_id = 0.5 lambda_cyc.)

The noise ``sigma`` (0 in the paper) is against **steganography** (Chu et al., 2017, "CycleGAN,
a Master of Steganography"): with a clean round trip, G can hide the photo's detail in a faint,
high-frequency pattern that F reads back, so the cycle loss is met while G's output looks like
neither domain. Noise of std ``sigma`` on the translated image drowns such a pattern; then the
content has to survive in what is visible.
The generators are small U-Nets (:class:`gancourse.models.pix2pix.UNetGenerator`). The zoo's
upsample with ``upsample="resize"`` (nearest x2 + conv 3x3): with transposed convs, the same
recipe drew a 2-pixel dither over everything (a pattern that can carry the photo's detail for
``F``), and its output never looked like flat ink.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gancourse.models.pix2pix import PatchDiscriminator, UNetGenerator


class CycleGAN(nn.Module):
    """Both generators: ``G_ab`` (photo -> painting) and ``G_ba`` (painting -> photo).

    ``forward = G_ab``.
    """

    def __init__(self, width: int = 32, depth: int = 3, upsample: str = "transpose"):
        super().__init__()
        self.G_ab = UNetGenerator(width, depth, upsample)
        self.G_ba = UNetGenerator(width, depth, upsample)
        self.config = dict(self.G_ab.config)

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        return self.G_ab(a)


def ls_loss(pred: torch.Tensor, target: float) -> torch.Tensor:
    """Least-squares GAN loss ``mean (pred - target)^2``."""
    return (pred - target).pow(2).mean()


def cycle_loss(real: torch.Tensor, reconstructed: torch.Tensor) -> torch.Tensor:
    """``|F(G(a)) - a|_1``: compare the round trip with the *original* input."""
    if real.shape != reconstructed.shape:
        raise ValueError(
            f"real {tuple(real.shape)} and reconstructed {tuple(reconstructed.shape)} "
            "differ in shape"
        )
    return F.l1_loss(reconstructed, real)


def identity_loss(real: torch.Tensor, same: torch.Tensor) -> torch.Tensor:
    """``|G(b) - b|_1``: a generator into B should leave an image already in B alone."""
    return F.l1_loss(same, real)


def generator_loss(
    model: CycleGAN,
    D_a: nn.Module,
    D_b: nn.Module,
    a: torch.Tensor,
    b: torch.Tensor,
    lambda_cyc: float = 10.0,
    lambda_id: float = 5.0,
    noise: float = 0.0,
) -> tuple[torch.Tensor, dict, tuple]:
    """Total generator loss (see module docstring); returns (loss, terms, (fake_b, fake_a)).

    ``noise``: the std ``sigma`` of the Gaussian noise added to G(a) and F(b) before the round
    trip's second half (0: the paper's loss)."""
    if noise < 0:
        raise ValueError(f"noise is a standard deviation, >= 0; got {noise}")
    fake_b, fake_a = model.G_ab(a), model.G_ba(b)
    adv = ls_loss(D_b(fake_b), 1.0) + ls_loss(D_a(fake_a), 1.0)
    noisy_b = fake_b + noise * torch.randn_like(fake_b) if noise else fake_b
    noisy_a = fake_a + noise * torch.randn_like(fake_a) if noise else fake_a
    cyc = cycle_loss(a, model.G_ba(noisy_b)) + cycle_loss(b, model.G_ab(noisy_a))
    idt = (
        identity_loss(b, model.G_ab(b)) + identity_loss(a, model.G_ba(a))
        if lambda_id
        else torch.zeros(())
    )
    total = adv + lambda_cyc * cyc + lambda_id * idt
    return (
        total,
        {"adv": adv.item(), "cycle": cyc.item(), "identity": float(idt.detach())},
        (fake_b, fake_a),
    )


def discriminator_loss(D: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """``(LS(D(real), 1) + LS(D(fake), 0)) / 2`` with the fakes detached."""
    return 0.5 * (ls_loss(D(real), 1.0) + ls_loss(D(fake.detach()), 0.0))


def make_discriminators(width: int = 32) -> tuple[PatchDiscriminator, PatchDiscriminator]:
    """(D_a, D_b): unconditional PatchGANs, one per domain."""
    return PatchDiscriminator(width, conditional=False), PatchDiscriminator(
        width, conditional=False
    )


def train_step(
    model: CycleGAN,
    D_a,
    D_b,
    opt_g,
    opt_d,
    a: torch.Tensor,
    b: torch.Tensor,
    lambda_cyc: float = 10.0,
    lambda_id: float = 5.0,
    noise: float = 0.0,
) -> dict:
    """One CycleGAN step on unpaired batches a (photos) and b (paintings).

    Updates the generators, then both Ds; ``noise`` as in :func:`generator_loss`.
    """
    for p in list(D_a.parameters()) + list(D_b.parameters()):
        p.requires_grad_(False)
    g_loss, terms, (fake_b, fake_a) = generator_loss(
        model, D_a, D_b, a, b, lambda_cyc, lambda_id, noise
    )
    opt_g.zero_grad(set_to_none=True)
    g_loss.backward()
    opt_g.step()
    for p in list(D_a.parameters()) + list(D_b.parameters()):
        p.requires_grad_(True)
    d_loss = discriminator_loss(D_b, b, fake_b) + discriminator_loss(D_a, a, fake_a)
    opt_d.zero_grad(set_to_none=True)
    d_loss.backward()
    opt_d.step()
    return {"g_loss": g_loss.item(), "d_loss": d_loss.item(), **terms}
