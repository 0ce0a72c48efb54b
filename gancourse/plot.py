"""Plot helpers: image grids, loss curves, image bytes for widgets, and the 2-D GAN view.

Used from lesson 00 on (image grids); the 2-D view is lesson 01's (and lesson 03's, to compare
losses).

Images in the course live in [-1, 1] (what a ``tanh`` generator outputs); these helpers map them
back to [0, 1] for display.

GAN Lab's view of a 2-D GAN, in a notebook: ``snapshot(G, D, z, real, step)`` records everything
needed to draw one moment of training (as CPU tensors, so a list of snapshots can be drawn later
or scrubbed through with a slider); ``plot_snapshot(snap, ax)`` draws it:

- background: ``D(x) = sigmoid(D_logit(x))`` on a grid (purple: "fake", green: "real");
- arrows: the direction a generated point at ``x`` would move to lower the generator's loss,
  ``-∇_x L_G(D(x))`` with the non-saturating ``L_G = softplus(-D_logit(x))``;
- dots: real data (black) and generated samples (orange).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import torch
from torchvision.utils import make_grid

from gancourse import losses
from gancourse.data._checks import check_image_values


def to_display(images: torch.Tensor) -> torch.Tensor:
    """Map images from [-1, 1] to [0, 1] for display: ``x01 = (x + 1) / 2``, clamped."""
    return ((images.detach().float().cpu() + 1) / 2).clamp(0, 1)


def _check_batch(images) -> torch.Tensor:
    if not isinstance(images, torch.Tensor):
        raise TypeError(
            f"images must be a torch.Tensor of shape (B, C, H, W), got {type(images).__name__}"
        )
    if images.dim() == 3:
        images = images.unsqueeze(0)
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError(
            f"images must have shape (B, C, H, W) with C = 1 or 3, got {tuple(images.shape)}. "
            "Channels-last arrays (B, H, W, C) need .permute(0, 3, 1, 2) first."
        )
    return images


def _check_values(images: torch.Tensor, value_range, name: str = "images") -> tuple:
    """``value_range`` as (lo, hi) after checking ``images`` are finite and near it.

    Values a little outside are clamped for display (a generator overshoots); values far outside
    (more than half the range beyond it) would show as a flat white or black picture, so they are
    an error that names the range seen, e.g. 0..255 pixels given with the default (-1, 1).
    """
    lo, hi = (float(v) for v in value_range)
    if not hi > lo:
        raise ValueError(f"value_range must be (low, high) with low < high, got {value_range}")
    try:
        check_image_values(images, name, value_range=(lo, hi), slack=(hi - lo) / 2)
    except ValueError as error:
        raise ValueError(f"{error} (or pass the value_range they are in)") from None
    return lo, hi


def image_grid(
    images: torch.Tensor, nrow: int = 8, value_range=(-1, 1), padding: int = 2
) -> torch.Tensor:
    """A (3, H, W) float grid in [0, 1] from a batch (B, C, H, W) in ``value_range``."""
    images = _check_batch(images).detach().float().cpu()
    lo, hi = _check_values(images, value_range)
    images = ((images - lo) / (hi - lo)).clamp(0, 1)
    return make_grid(images, nrow=nrow, padding=padding, pad_value=1.0)


def show_grid(
    images: torch.Tensor,
    title: str = "",
    nrow: int = 8,
    value_range=(-1, 1),
    ax=None,
    size: float = 4.0,
):
    """Show a batch (B, C, H, W) as a titled grid. Returns the matplotlib Axes."""
    grid = image_grid(images, nrow=nrow, value_range=value_range)
    if ax is None:
        aspect = grid.shape[1] / grid.shape[2]
        _, ax = plt.subplots(figsize=(size, size * aspect))
    ax.imshow(grid.permute(1, 2, 0).numpy(), interpolation="nearest")
    ax.set_title(title)
    ax.axis("off")
    return ax


def show_grids(
    batches: Mapping[str, torch.Tensor], nrow: int = 8, value_range=(-1, 1), size: float = 3.5
):
    """Show several batches side by side, one titled panel each. Returns the Figure."""
    fig, axes = plt.subplots(1, len(batches), figsize=(size * len(batches), size))
    axes = [axes] if len(batches) == 1 else list(axes)
    for ax, (title, images) in zip(axes, batches.items()):
        show_grid(images, title=title, nrow=nrow, value_range=value_range, ax=ax)
    fig.tight_layout()
    return fig


def plot_losses(
    history: Mapping[str, Sequence[float]],
    title: str = "Losses",
    smooth: int = 1,
    ax=None,
    xlabel: str = "step",
):
    """Plot curves such as ``{"D loss": [...], "G loss": [...]}``, optionally a moving average."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for name, values in history.items():
        values = torch.as_tensor(list(values), dtype=torch.float64)
        if smooth > 1 and len(values) >= smooth:
            kernel = torch.ones(smooth, dtype=torch.float64) / smooth
            values = torch.nn.functional.conv1d(values.view(1, 1, -1), kernel.view(1, 1, -1)).view(
                -1
            )
            steps = torch.arange(smooth - 1, smooth - 1 + len(values))
        else:
            steps = torch.arange(len(values))
        ax.plot(steps.numpy(), values.numpy(), label=name)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("value")
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def _to_pil(image: torch.Tensor, value_range, scale: int, fn: str):
    from PIL import Image

    if image.dim() == 4:
        if image.shape[0] != 1:
            raise ValueError(f"{fn} takes one image (C, H, W), got a batch of {image.shape[0]}")
        image = image[0]
    if image.dim() != 3 or image.shape[0] not in (1, 3):
        raise ValueError(
            f"image must have shape (C, H, W) with C = 1 or 3, got {tuple(image.shape)}"
        )
    lo, hi = _check_values(image, value_range, "image")
    array = ((image.detach().float().cpu() - lo) / (hi - lo)).clamp(0, 1).mul(255).round().byte()
    array = array.permute(1, 2, 0).numpy()
    pil = Image.fromarray(array[..., 0] if array.shape[2] == 1 else array)
    if scale != 1:
        pil = pil.resize((pil.width * scale, pil.height * scale), Image.NEAREST)
    return pil


def to_png_bytes(image: torch.Tensor, value_range=(-1, 1), scale: int = 1) -> bytes:
    """Encode one image (C, H, W) as PNG bytes (for ``ipywidgets.Image``), optionally upscaled.

    Lossless: right for small generated images and pixel art. For photo-sized images see
    :func:`to_jpeg_bytes` (about 20x faster to encode at 256 x 256 and 6x smaller).
    """
    buffer = io.BytesIO()
    _to_pil(image, value_range, scale, "to_png_bytes").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def to_jpeg_bytes(
    image: torch.Tensor, value_range=(-1, 1), scale: int = 1, quality: int = 90
) -> bytes:
    """Encode one image (C, H, W) as JPEG bytes: what the photo and style sliders send.

    At 256 x 256 on a 2-core CPU a JPEG (quality 90) took 0.4 ms and 21 kB against 10 ms and 132 kB
    for PNG, which matters when a slider move must be on screen within 50 ms.
    """
    if not 1 <= quality <= 95:
        raise ValueError(f"quality must be in 1..95 (PIL's useful range), got {quality}")
    buffer = io.BytesIO()
    _to_pil(image, value_range, scale, "to_jpeg_bytes").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------------
# the 2-D GAN view (lesson 01)


def _grid(limit: float, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    ticks = torch.linspace(-limit, limit, n)
    yy, xx = torch.meshgrid(ticks, ticks, indexing="ij")
    return xx, yy, torch.stack([xx.flatten(), yy.flatten()], dim=1)  # (n*n, 2)


def snapshot(
    G,
    D,
    z: torch.Tensor,
    real: torch.Tensor,
    step: int,
    limit: float = 3.0,
    surface: int = 60,
    arrows: int = 15,
) -> dict:
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
        (grad,) = torch.autograd.grad(
            losses.g_loss_nonsaturating(D(field_points)) * len(field_points), field_points
        )
        move = -grad.detach()  # where G's loss pushes a sample sitting at x
    finally:
        G.train(was[0])
        D.train(was[1])
    return {
        "step": step,
        "fake": fake,
        "real": real.cpu(),
        "xx": xx,
        "yy": yy,
        "prob": prob,
        "ax": ax_,
        "ay": ay_,
        "move": move.reshape(arrows, arrows, 2),
        "limit": limit,
    }


def plot_snapshot(snap: dict, ax=None, title: str | None = None, colorbar: bool = False):
    """Draw one snapshot: D's surface (contour), G's gradient field (quiver), real and fake dots."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    levels = torch.linspace(0, 1, 11).numpy()
    cs = ax.contourf(
        snap["xx"].numpy(),
        snap["yy"].numpy(),
        snap["prob"].numpy(),
        levels=levels,
        cmap="PRGn",
        alpha=0.55,
    )
    ax.contour(
        snap["xx"].numpy(),
        snap["yy"].numpy(),
        snap["prob"].numpy(),
        levels=[0.5],
        colors="k",
        linewidths=0.8,
        linestyles="--",
    )
    move = snap["move"]
    norm = move.norm(dim=-1, keepdim=True).clamp(min=1e-12)
    scaled = (
        move / norm * (norm / norm.max()).sqrt()
    )  # direction, length ~ sqrt(|grad|): small ones stay visible
    ax.quiver(
        snap["ax"].numpy(),
        snap["ay"].numpy(),
        scaled[..., 0].numpy(),
        scaled[..., 1].numpy(),
        color="0.25",
        alpha=0.6,
        width=0.004,
        scale=25,
    )
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
        ax.figure.colorbar(cs, ax=ax, fraction=0.046, pad=0.04, label="D(x)")
    return ax


def plot_snapshots(snaps: list[dict], size: float = 3.2):
    """Several snapshots side by side (the last with a D(x) colour bar and a legend); the Figure."""
    fig, axes = plt.subplots(1, len(snaps), figsize=(size * len(snaps) + 0.8, size))
    axes = [axes] if len(snaps) == 1 else list(axes)
    for i, (ax, snap) in enumerate(zip(axes, snaps)):
        plot_snapshot(snap, ax, colorbar=i == len(snaps) - 1)
    axes[0].legend(loc="lower left", fontsize=7, markerscale=3)
    fig.tight_layout()
    return fig
