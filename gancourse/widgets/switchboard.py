"""The failure switchboard of lesson 04: flip one setting of a tiny DCGAN, run it, see it fail.

Three switches, each one of the classic ways a GAN goes wrong, on the same short run (a tiny
DCGAN on 16 px course faces, 300 steps, about 5 s on a 2-core CPU):

- ``lr_ratio`` = lr_D / lr_G, with ``lr_D = lr·√r`` and ``lr_G = lr/√r`` (their product stays
  ``lr²``). Large r: D learns faster than G can follow, D(G(z)) sinks to 0, the samples stay noise.
- ``g_loss``: ``"non-saturating"`` ``L_G = E[-log D(G(z))]`` or ``"saturating"``
  ``L_G = E[log(1 - D(G(z)))]``. With logit ℓ, ∂L_G/∂ℓ is ``-(1 - D(G(z)))`` for the first and
  ``-D(G(z))`` for the second: when D rejects the fakes (D(G(z)) ≈ 0, always at the start) the
  saturating gradient vanishes and G barely moves.
- ``normalisation``: ``"batchnorm"`` (DCGAN's BatchNorm in G and D) or ``"none"`` (every
  BatchNorm removed). Without it, the signal scales drift layer by layer and nothing re-centres G's
  features batch by batch; G's samples lose their variety and drift together.

:func:`failure_run` trains one setting and records, per step, D(x), D(G(z)) (mean of σ(ℓ)) and
the norm of L_G's gradient with respect to G's weights; :func:`summary` reduces a run to a few
numbers (D's margin, G's gradient norm, the samples' spread); :func:`render_run` draws a run
(against the healthy one) as PNG bytes. :class:`FailureSwitchboard` puts the switches, a run button
and one ``ipywidgets.Image`` together; every result is cached, so going back is instant.

:class:`PictureToggle` (lesson 05) switches one image between pictures computed beforehand
(concatenation vs projection), so the toggle is instant.
"""

from __future__ import annotations

import io
import math
import time

import ipywidgets
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from torch import nn

from gancourse import losses, plot
from gancourse.models.dcgan import Discriminator, Generator

__all__ = [
    "HEALTHY",
    "G_LOSSES",
    "NORMALISATIONS",
    "LR_RATIOS",
    "check_settings",
    "failure_run",
    "summary",
    "render_run",
    "FailureSwitchboard",
    "PictureToggle",
    "figure_png",
]

HEALTHY = {"lr_ratio": 1.0, "g_loss": "non-saturating", "normalisation": "batchnorm"}
G_LOSSES = {"non-saturating": losses.g_loss_nonsaturating, "saturating": losses.g_loss_saturating}
NORMALISATIONS = ("batchnorm", "none")
LR_RATIOS = (0.25, 1.0, 4.0, 25.0)


def check_settings(settings: dict) -> dict:
    """Fill in the healthy defaults and check every switch; a clear ValueError otherwise."""
    if not isinstance(settings, dict):
        raise TypeError(f"settings must be a dict like {HEALTHY}, got {type(settings).__name__}")
    unknown = sorted(set(settings) - set(HEALTHY))
    if unknown:
        raise ValueError(f"unknown settings {unknown}; the switches are {sorted(HEALTHY)}")
    s = {**HEALTHY, **settings}
    ratio = s["lr_ratio"]
    if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not ratio > 0:
        raise ValueError(f"lr_ratio (lr_D / lr_G) must be a number > 0, got {ratio!r}")
    if not math.isfinite(ratio):
        raise ValueError(f"lr_ratio must be finite, got {ratio!r}")
    if s["g_loss"] not in G_LOSSES:
        raise ValueError(f"g_loss must be one of {list(G_LOSSES)}, got {s['g_loss']!r}")
    if s["normalisation"] not in NORMALISATIONS:
        raise ValueError(
            f"normalisation must be one of {list(NORMALISATIONS)}, got {s['normalisation']!r}"
        )
    s["lr_ratio"] = float(ratio)
    return s


def _strip_batchnorm(model: nn.Module) -> nn.Module:
    """Replace every BatchNorm2d by an identity (in place)."""
    for name, child in model.named_children():
        if isinstance(child, nn.BatchNorm2d):
            setattr(model, name, nn.Identity())
        else:
            _strip_batchnorm(child)
    return model


def build_pair(normalisation: str, size: int, width: int, z_dim: int, seed: int):
    """The tiny DCGAN (G, D) of one run, initialised from ``seed``."""
    torch.manual_seed(seed)
    G = Generator(z_dim=z_dim, image_size=size, channels=3, width=width)
    D = Discriminator(image_size=size, channels=3, width=width, batch_norm=True)
    if normalisation == "none":
        _strip_batchnorm(G)
        D = Discriminator(image_size=size, channels=3, width=width, batch_norm=False)
    return G, D


def _grad_norm(model: nn.Module) -> float:
    total = sum(p.grad.pow(2).sum() for p in model.parameters() if p.grad is not None)
    return float(torch.as_tensor(total).sqrt())


def failure_run(
    data: torch.Tensor,
    settings: dict | None = None,
    steps: int = 300,
    batch_size: int = 32,
    width: int = 16,
    z_dim: int = 32,
    lr: float = 1e-3,
    seed: int = 0,
    n_samples: int = 16,
) -> dict:
    """Train the tiny DCGAN with ``settings`` for ``steps`` steps; return what it did.

    ``data``: real images (N, 3, S, S) in [-1, 1]. Per step: one D step (BCE, real → 1, detached
    fake → 0) and one G step with the chosen G loss; Adam, β = (0.5, 0.999),
    ``lr_D = lr·√r``, ``lr_G = lr/√r``. Returns a dict with the settings, the per-step lists
    ``d_real``, ``d_fake`` (mean σ(ℓ)) and ``g_grad`` (‖∂L_G/∂θ_G‖ before the G step), the
    ``samples`` of a fixed latent batch at the end (eval mode), and ``seconds``.
    """
    s = check_settings(settings or {})
    if not isinstance(data, torch.Tensor) or data.dim() != 4 or data.shape[1] != 3:
        raise ValueError(f"data must be images (N, 3, S, S), got {getattr(data, 'shape', data)}")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be an int >= 1, got {steps!r}")
    start = time.perf_counter()
    G, D = build_pair(s["normalisation"], data.shape[-1], width, z_dim, seed)
    root = math.sqrt(s["lr_ratio"])
    opt_d = torch.optim.Adam(D.parameters(), lr=lr * root, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=lr / root, betas=(0.5, 0.999))
    g_loss_fn = G_LOSSES[s["g_loss"]]
    gen = torch.Generator().manual_seed(seed)
    history = {"d_real": [], "d_fake": [], "g_grad": []}
    for _ in range(steps):
        real = data[torch.randint(len(data), (batch_size,), generator=gen)]
        fake = G(torch.randn(batch_size, z_dim, generator=gen))
        real_logits, fake_logits = D(real), D(fake.detach())
        opt_d.zero_grad(set_to_none=True)
        losses.d_loss_bce(real_logits, fake_logits).backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        g_loss_fn(D(fake)).backward()
        history["g_grad"].append(_grad_norm(G))
        opt_g.step()
        history["d_real"].append(torch.sigmoid(real_logits.detach()).mean().item())
        history["d_fake"].append(torch.sigmoid(fake_logits.detach()).mean().item())
    G.eval()
    with torch.no_grad():
        z = torch.randn(n_samples, z_dim, generator=torch.Generator().manual_seed(seed + 1))
        samples = G(z).clamp(-1, 1)
    return {
        "settings": s,
        **history,
        "samples": samples,
        "steps": steps,
        "seconds": time.perf_counter() - start,
    }


def summary(run: dict, last: float = 0.5) -> dict:
    """A run in numbers, over its last ``last`` share of steps.

    ``margin`` = mean D(x) − mean D(G(z)) (0: a stalemate, → 1: D wins); ``d_fake``;
    ``g_grad`` = median ‖∂L_G/∂θ_G‖; ``spread`` = the samples' mean per-pixel standard deviation
    across the batch (≈ 0: every sample the same, mode collapse).
    """
    n = len(run["d_real"])
    tail = slice(min(n - 1, int(n * (1 - last))), None)
    d_real = torch.tensor(run["d_real"][tail])
    d_fake = torch.tensor(run["d_fake"][tail])
    return {
        "margin": (d_real.mean() - d_fake.mean()).item(),
        "d_real": d_real.mean().item(),
        "d_fake": d_fake.mean().item(),
        "g_grad": torch.tensor(run["g_grad"][tail]).median().item(),
        "spread": run["samples"].std(dim=0).mean().item(),
    }


def describe(settings: dict) -> str:
    s = check_settings(settings)
    norm = "BatchNorm" if s["normalisation"] == "batchnorm" else "no normalisation"
    return f"lr_D/lr_G = {s['lr_ratio']:g}, {s['g_loss']} L_G, {norm}"


def render_run(run: dict, healthy: dict | None = None, width: float = 11.0) -> bytes:
    """PNG bytes: D's outputs, G's gradient norm (both against ``healthy``, dashed) and samples."""
    fig = Figure(figsize=(width, width * 0.34))
    FigureCanvasAgg(fig)
    ax_d, ax_g, ax_s = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.2, 1.0, 1.0]})
    steps = range(1, run["steps"] + 1)
    smooth = max(1, run["steps"] // 20)

    def curve(values):
        series = torch.tensor(values, dtype=torch.float64)
        k = min(smooth, len(series))
        return list(steps)[k - 1 :], series.unfold(0, k, 1).mean(1).tolist()

    for key, colour in (("d_real", "tab:blue"), ("d_fake", "tab:red")):
        label = {"d_real": "D(x)", "d_fake": "D(G(z))"}[key]
        ax_d.plot(*curve(run[key]), color=colour, label=label)
        if healthy is not None and healthy is not run:
            ax_d.plot(*curve(healthy[key]), color=colour, ls="--", lw=1, alpha=0.6)
    ax_d.set(ylim=(0, 1), xlabel="step", title="D's outputs (dashed: healthy run)")
    ax_d.legend(fontsize=8, loc="center right")
    ax_g.plot(*curve(run["g_grad"]), color="tab:purple", label="this run")
    if healthy is not None and healthy is not run:
        ax_g.plot(*curve(healthy["g_grad"]), color="tab:purple", ls="--", lw=1, label="healthy")
    ax_g.set(yscale="log", xlabel="step", title="‖∂L_G/∂θ_G‖ (G's gradient)")
    ax_g.legend(fontsize=8)
    grid = plot.image_grid(run["samples"], nrow=4)
    ax_s.imshow(grid.permute(1, 2, 0).numpy(), interpolation="nearest")
    ax_s.set_axis_off()
    ax_s.set_title(f"samples after {run['steps']} steps")
    fig.suptitle(describe(run["settings"]), fontsize=10)
    fig.tight_layout()
    return figure_png(fig)


def _key(settings: dict) -> tuple:
    s = check_settings(settings)
    return s["lr_ratio"], s["g_loss"], s["normalisation"]


class FailureSwitchboard:
    """Switches (lr ratio, G loss, normalisation), a run button and one picture.

    ``board = FailureSwitchboard(data)``; show ``board`` (or ``board.widget``) in a notebook. The
    run button trains :func:`failure_run` with the switches' settings (cached: a setting already
    run is redrawn at once) and paints :func:`render_run` against the healthy run into
    ``board.image``. ``board.run(**settings)`` does the same from code.
    """

    def __init__(self, data: torch.Tensor, steps: int = 300, **run_kwargs):
        self.data, self.steps, self.run_kwargs = data, steps, run_kwargs
        self.cache: dict[tuple, dict] = {}
        self.lr_ratio = ipywidgets.Dropdown(
            options=[(f"{r:g}", r) for r in LR_RATIOS], value=1.0, description="lr_D / lr_G"
        )
        self.g_loss = ipywidgets.ToggleButtons(options=list(G_LOSSES), description="G loss")
        self.normalisation = ipywidgets.ToggleButtons(
            options=list(NORMALISATIONS), description="normalisation"
        )
        self.button = ipywidgets.Button(description="run", button_style="primary", icon="play")
        self.status = ipywidgets.HTML()
        self.image = ipywidgets.Image(format="png")
        self.button.on_click(lambda _: self.run_controls())
        self.widget = ipywidgets.VBox(
            [self.lr_ratio, self.g_loss, self.normalisation, self.button, self.status, self.image]
        )
        self.healthy = self.result(HEALTHY)
        self.image.value = render_run(self.healthy, self.healthy)
        self.status.value = self._status(self.healthy)

    def result(self, settings: dict) -> dict:
        """The run for ``settings``, trained once and cached."""
        key = _key(settings)
        if key not in self.cache:
            self.cache[key] = failure_run(
                self.data,
                dict(zip(("lr_ratio", "g_loss", "normalisation"), key)),
                steps=self.steps,
                **self.run_kwargs,
            )
        return self.cache[key]

    def _status(self, run: dict) -> str:
        s = summary(run)
        return (
            f"<b>{describe(run['settings'])}</b>: D(x) − D(G(z)) = {s['margin']:.2f}, "
            f"‖∂L_G/∂θ_G‖ = {s['g_grad']:.3g}, sample spread {s['spread']:.2f} "
            f"({run['seconds']:.1f} s to train)"
        )

    def run(self, **settings) -> dict:
        """Set the switches to ``settings`` (the rest: healthy), run, redraw; return the run."""
        s = check_settings(settings)
        if s["lr_ratio"] not in [value for _, value in self.lr_ratio.options]:
            options = {*[value for _, value in self.lr_ratio.options], s["lr_ratio"]}
            self.lr_ratio.options = [(f"{r:g}", r) for r in sorted(options)]
        self.lr_ratio.value, self.g_loss.value = s["lr_ratio"], s["g_loss"]
        self.normalisation.value = s["normalisation"]
        return self.run_controls()

    def run_controls(self) -> dict:
        settings = {
            "lr_ratio": self.lr_ratio.value,
            "g_loss": self.g_loss.value,
            "normalisation": self.normalisation.value,
        }
        self.status.value = f"training: {describe(settings)} ..."
        run = self.result(settings)
        self.image.value = render_run(run, self.healthy)
        self.status.value = self._status(run)
        return run

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def figure_png(fig, dpi: int = 80) -> bytes:
    """A matplotlib figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


class PictureToggle:
    """Toggle buttons that switch one ``ipywidgets.Image`` between ready pictures.

    ``PictureToggle({"concatenation": png_a, "projection": png_b}, description="D")``: every
    picture is PNG bytes computed beforehand, so switching costs nothing; ``captions`` (optional,
    same keys) are shown as HTML under the buttons. ``toggle.show(name)`` switches from code.
    """

    def __init__(self, pictures: dict, description: str = "show", captions: dict | None = None):
        if not isinstance(pictures, dict) or not pictures:
            raise ValueError("PictureToggle needs a dict {name: PNG bytes} with at least one entry")
        bad = [k for k, v in pictures.items() if not isinstance(v, bytes | bytearray)]
        if bad:
            raise TypeError(f"PictureToggle: pictures must be PNG bytes; not so for {bad}")
        captions = captions or {}
        unknown = sorted(set(captions) - set(pictures))
        if unknown:
            raise ValueError(f"PictureToggle: captions for unknown pictures {unknown}")
        self.pictures, self.captions = dict(pictures), captions
        self.buttons = ipywidgets.ToggleButtons(options=list(pictures), description=description)
        self.caption = ipywidgets.HTML()
        self.image = ipywidgets.Image(format="png")
        self.buttons.observe(lambda change: self._paint(change["new"]), names="value")
        self.widget = ipywidgets.VBox([self.buttons, self.caption, self.image])
        self._paint(self.buttons.value)

    def _paint(self, name) -> None:
        self.image.value = bytes(self.pictures[name])
        self.caption.value = self.captions.get(name, "")

    def show(self, name: str) -> None:
        if name not in self.pictures:
            raise ValueError(f"PictureToggle: no picture {name!r}; there are {list(self.pictures)}")
        self.buttons.value = name

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
