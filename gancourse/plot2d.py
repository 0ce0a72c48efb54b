"""GAN Lab's view of a 2-D GAN, in a notebook: data, samples, D's decision surface, G's gradient field.

``snapshot(G, D, z, real, step)`` records everything needed to draw one moment of training (as CPU
tensors, so a list of snapshots can be drawn later or scrubbed through with a slider);
``plot_snapshot(snap, ax)`` draws it:

- background: ``D(x) = sigmoid(D_logit(x))`` on a grid (purple: "fake", green: "real");
- arrows: the direction a generated point at ``x`` would move to lower the generator's loss,
  ``-∇_x L_G(D(x))`` with the non-saturating ``L_G = softplus(-D_logit(x))``;
- dots: real data (black) and generated samples (orange).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from . import losses


def _grid(limit: float, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    ticks = torch.linspace(-limit, limit, n)
    yy, xx = torch.meshgrid(ticks, ticks, indexing="ij")
    return xx, yy, torch.stack([xx.flatten(), yy.flatten()], dim=1)  # (n*n, 2)


def snapshot(G, D, z: torch.Tensor, real: torch.Tensor, step: int, limit: float = 3.0,
             surface: int = 60, arrows: int = 15) -> dict:
    """Record samples, D's surface and G's gradient field at one training step (CPU tensors)."""
    was = G.training, D.training
    G.eval()
    D.eval()
    try:
        with torch.no_grad():
            fake = G(z).cpu()
            xx, yy, points = _grid(limit, surface)
            prob = torch.sigmoid(D(points)).reshape(surface, surface)
        ax_, ay_, field_points = _grid(limit, arrows)
        field_points = field_points.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(losses.g_loss_nonsaturating(D(field_points)) * len(field_points),
                                      field_points)
        move = -grad.detach()  # where G's loss pushes a sample sitting at x
    finally:
        G.train(was[0])
        D.train(was[1])
    return {"step": step, "fake": fake, "real": real.cpu(), "xx": xx, "yy": yy, "prob": prob,
            "ax": ax_, "ay": ay_, "move": move.reshape(arrows, arrows, 2), "limit": limit}


def plot_snapshot(snap: dict, ax=None, title: str | None = None, colorbar: bool = False):
    """Draw one snapshot: D's surface (contour), G's gradient field (quiver), real and fake points."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    levels = torch.linspace(0, 1, 11).numpy()
    cs = ax.contourf(snap["xx"].numpy(), snap["yy"].numpy(), snap["prob"].numpy(), levels=levels,
                     cmap="PRGn", alpha=0.55)
    ax.contour(snap["xx"].numpy(), snap["yy"].numpy(), snap["prob"].numpy(), levels=[0.5],
               colors="k", linewidths=0.8, linestyles="--")
    move = snap["move"]
    norm = move.norm(dim=-1, keepdim=True).clamp(min=1e-12)
    scaled = move / norm * (norm / norm.max()).sqrt()  # direction, length ~ sqrt(|grad|): small ones stay visible
    ax.quiver(snap["ax"].numpy(), snap["ay"].numpy(), scaled[..., 0].numpy(), scaled[..., 1].numpy(),
              color="0.25", alpha=0.6, width=0.004, scale=25)
    ax.scatter(*snap["real"].T.numpy(), s=3, c="black", alpha=0.5, label="real")
    ax.scatter(*snap["fake"].T.numpy(), s=3, c="tab:orange", alpha=0.6, label="generated")
    lim = snap["limit"]
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title if title is not None else f"step {snap['step']}")
    if colorbar:
        plt.colorbar(cs, ax=ax, fraction=0.046, pad=0.04, label="D(x)")
    return ax


def plot_snapshots(snaps: list[dict], size: float = 3.2):
    """Several snapshots side by side (the last with a D(x) colour bar and a legend). Returns the Figure."""
    fig, axes = plt.subplots(1, len(snaps), figsize=(size * len(snaps) + 0.8, size))
    axes = [axes] if len(snaps) == 1 else list(axes)
    for i, (ax, snap) in enumerate(zip(axes, snaps)):
        plot_snapshot(snap, ax, colorbar=i == len(snaps) - 1)
    axes[0].legend(loc="lower left", fontsize=7, markerscale=3)
    fig.tight_layout()
    return fig
