"""Plumbing for the "use it" cells of exercises 00 to 05: the learner's function does the work,
these helpers only run the loop around it and draw the result.

- :func:`train_ring` trains a small MLP GAN on the 2-D ring (8 Gaussians) with a D update given
  by the caller (the learner's ``discriminator_step``, or one built by :func:`wgan_gp_d_step` /
  :func:`r1_d_step` from the learner's penalty) and the library's G step;
- :func:`plot_rings` draws real and generated points of one or more runs side by side.

    WGAN-GP:  L_D = E[D(G(z))] - E[D(x)] + λ·GP,   L_G = -E[D(G(z))]
    R1:       L_D = E[softplus(-D(x))] + E[softplus(D(G(z)))] + γ/2·E‖∇_x D(x)‖²
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from gancourse.data.toy2d import mode_coverage, sample_toy
from gancourse.models import MLPDiscriminator, MLPGenerator
from gancourse.train import g_step

Z_DIM = 8


def bce(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """D's BCE on logits: mean(softplus(-real)) + mean(softplus(fake))."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def gp_d_step(gradient_penalty, weight: float = 10.0, loss: str = "wgan"):
    """A D update ``(G, D, real, z, opt_d) -> loss`` that adds ``weight`` times the learner's
    ``gradient_penalty(D, real, fake, eps)`` (ε ~ U(0, 1), one per point) to the Wasserstein
    critic loss (``loss="wgan"``, WGAN-GP) or to BCE on logits (``loss="bce"``)."""

    def step(G, D, real, z, opt_d):
        fake = G(z).detach()
        eps = torch.rand(len(real), 1, dtype=real.dtype, device=real.device)
        opt_d.zero_grad()
        fr, ff = D(real), D(fake)
        base = ff.mean() - fr.mean() if loss == "wgan" else bce(fr, ff)
        total = base + weight * gradient_penalty(D, real, fake, eps)
        total.backward()
        opt_d.step()
        return total.detach()

    return step


def r1_d_step(r1_penalty, gamma: float = 1.0):
    """A D update ``(G, D, real, z, opt_d) -> loss``: BCE on logits plus the learner's
    ``r1_penalty(D, real, gamma)`` (which includes γ/2)."""

    def step(G, D, real, z, opt_d):
        fake = G(z).detach()
        opt_d.zero_grad()
        loss = bce(D(real), D(fake)) + r1_penalty(D, real, gamma)
        loss.backward()
        opt_d.step()
        return loss.detach()

    return step


def train_ring(
    d_update,
    steps: int,
    loss: str = "bce",
    d_steps: int = 1,
    lr: float = 1e-3,
    betas: tuple = (0.5, 0.9),
    batch: int = 256,
    seed: int = 0,
    progress: bool = False,
    desc: str = "training",
) -> dict:
    """Train ``MLPGenerator(z_dim=8)`` against ``MLPDiscriminator()`` on the ring: ``steps`` G
    steps (:func:`gancourse.train.g_step` with ``loss``: "bce", or "wgan" for WGAN-GP), each
    after ``d_steps`` calls of ``d_update(G, D, real, z, opt_d)``; Adam(lr, betas) for both
    (WGAN-GP trains well with betas=(0, 0.9), d_steps=5). Returns ``{"real", "fake"}``, 1000
    points (N, 2) each, and ``"coverage"``: ``mode_coverage`` of the fakes."""
    torch.manual_seed(seed)
    G, D = MLPGenerator(z_dim=Z_DIM), MLPDiscriminator()
    opt_g = torch.optim.Adam(G.parameters(), lr, betas=betas)
    opt_d = torch.optim.Adam(D.parameters(), lr, betas=betas)
    data = sample_toy("ring", 20_000, seed=seed)
    g = torch.Generator().manual_seed(seed)
    for _ in tqdm(range(steps), desc=desc, disable=not progress, leave=False, mininterval=1):
        for _ in range(d_steps):
            real = data[torch.randint(len(data), (batch,), generator=g)]
            d_update(G, D, real, torch.randn(batch, Z_DIM, generator=g), opt_d)
        g_step(G, D, torch.randn(batch, Z_DIM, generator=g), opt_g, loss=loss)
    with torch.no_grad():
        fake = G(torch.randn(1000, Z_DIM, generator=g))
    return {"real": data[:1000], "fake": fake, "coverage": mode_coverage(fake, "ring")}


def plot_rings(runs: dict, size: float = 3.2):
    """One panel per run ``{title: train_ring(...) result}``: real points grey, generated
    orange, with the number of the 8 modes covered and the share of points near a mode."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(runs), figsize=(size * len(runs), size), squeeze=False)
    for ax, (title, run) in zip(axes[0], runs.items()):
        real, fake, cov = run["real"], run["fake"], run["coverage"]
        ax.scatter(real[:, 0], real[:, 1], s=4, c="0.6", label="real")
        ax.scatter(fake[:, 0], fake[:, 1], s=4, c="tab:orange", alpha=0.6, label="generated")
        ax.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal", xticks=[], yticks=[])
        ax.set_title(
            f"{title}\n{cov['modes']}/8 modes, {cov['high_quality']:.0%} near a mode", fontsize=9
        )
    axes[0][0].legend(loc="lower left", fontsize=7, markerscale=3)
    fig.tight_layout()
    plt.show()
    return fig


def dcgan_from_blocks(up_block, init=None, name: str = "faces_dcgan64"):
    """The zoo's DCGAN generator ``name`` rebuilt with the learner's ``up_block(c, c // 2)`` as
    its hidden blocks (``init`` applied to every module first, as a fresh model would be), then
    loaded with the zoo's weights: it only loads if the blocks have the library's layers.
    Raises ``RuntimeError`` (from ``load_state_dict``) naming the keys that do not match."""
    from gancourse import zoo
    from gancourse.models import Generator

    reference = zoo.load(name, device="cpu")
    G = Generator(**reference.config)
    for i in range(1, len(G.blocks) - 1):
        conv = G.blocks[i][0]
        G.blocks[i] = up_block(conv.in_channels, conv.out_channels)
    if init is not None:
        G.apply(init)
    G.load_state_dict(reference.state_dict())
    return G.eval()
