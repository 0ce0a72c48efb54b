"""GAN Lab: a 2-D GAN trained live in the notebook, after Kahng et al. (2018). Used in lesson 01.

One picture, redrawn in place while the game runs (one ``ipywidgets.Image``, not a figure per
step):

- the **real data** (black dots) and the **generated points** ``G(z)`` for a fixed set of ``z``
  (orange dots);
- **D's decision surface**: the background colour is ``D(x) = σ(D_logit(x))`` on a coarse grid
  (green: D says real, purple: D says fake);
- **G's gradient field**: an arrow on each of the first generated points, ``-∇_x L_G(x)`` with
  ``L_G = N · g_loss(D_logit(x))`` (the per-point generator loss): where the generator loss moves
  that point. Arrow length ``a · tanh(‖∇‖ / g_ref)``: a vanishing gradient (the saturating loss
  against a confident D) gives visibly short arrows.

Controls: ``dataset`` (the toy2d distributions), ``loss`` (minimax/saturating, non-saturating,
LSGAN, hinge, WGAN-GP with λ = 10), ``lr_d``, ``lr_g`` (Adam, β = (0.5, 0.999)), ``d_steps``
(D updates per G update), ``r1`` (R1 γ: ``L_D += γ/2 · E‖∇_x D(x)‖²`` on real data; 0 = off).
Buttons: a ``Play`` (the browser's timer: each tick runs ``steps_per_tick`` training steps and
redraws; pause stops it), ``step`` (one training step) and ``reset`` (both nets re-initialised
from the seed). A changed control applies from the next step, without restarting.

``render(state)`` draws the lab's current nets for a state of control values: the same nets and
state always give the same bytes, so a freshly built lab and a reset one render identically.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Mapping

import torch

from gancourse import losses
from gancourse.data.toy2d import TOY_NAMES, sample_toy
from gancourse.models import MLPDiscriminator, MLPGenerator
from gancourse.train import d_step, g_step
from gancourse.widgets.base import Explorer, check_state

__all__ = ["GANLab", "LOSS_LABELS", "R1_CHOICES", "LR_RANGE", "check_settings"]

LOSS_LABELS = {  # control value -> what the dropdown shows
    "minimax": "minimax (saturating)",
    "nonsaturating": "non-saturating",
    "lsgan": "LSGAN",
    "hinge": "hinge",
    "wgan-gp": "WGAN-GP",
}
GP_WEIGHT = 10.0  # λ of WGAN-GP
R1_CHOICES = (0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
LR_RANGE = (1e-5, 1e-1)
MAX_D_STEPS = 10
CONTROLS = ("dataset", "loss", "lr_d", "lr_g", "d_steps", "r1")


def check_settings(**values) -> dict:
    """Check GAN Lab settings by name; returns them normalised or raises a clear error."""
    out = {}
    for name, value in values.items():
        if name == "dataset":
            if value not in TOY_NAMES:
                raise ValueError(f"unknown dataset {value!r}; choose one of {', '.join(TOY_NAMES)}")
        elif name == "loss":
            if value not in LOSS_LABELS:
                raise ValueError(f"unknown loss {value!r}; choose one of {', '.join(LOSS_LABELS)}")
        elif name in ("lr_d", "lr_g"):
            if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
                raise TypeError(f"{name} must be a number, got {value!r}")
            low, high = LR_RANGE
            if value <= 0:
                raise ValueError(f"{name} must be positive (a learning rate), got {value!r}")
            if not low <= value <= high:
                raise ValueError(f"{name} must lie in [{low:g}, {high:g}], got {value!r}")
            value = float(value)
        elif name == "d_steps":
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not 1 <= value <= MAX_D_STEPS
            ):
                raise ValueError(f"d_steps must be an int from 1 to {MAX_D_STEPS}, got {value!r}")
        elif name == "r1":
            if value not in R1_CHOICES:
                raise ValueError(f"r1 (R1 γ, 0 = off) must be one of {R1_CHOICES}, got {value!r}")
            value = float(value)
        else:
            raise KeyError(f"no GAN Lab setting named {name!r}; settings: {list(CONTROLS)}")
        out[name] = value
    return out


def _loss_fns(loss: str):
    """``(d_loss, g_loss, gp_weight)`` of a GAN Lab loss name."""
    if loss == "wgan-gp":
        return (*losses.get_loss("wgan"), GP_WEIGHT)
    return (*losses.get_loss(loss), 0.0)


class GANLab(Explorer):
    """Train a 2-D GAN live and watch it: data, samples, D's surface, G's gradient field.

    ``GANLab(dataset="ring", loss="nonsaturating", lr_d=1e-3, lr_g=1e-3, d_steps=1, r1=0.0,
    seed=0)``. In a notebook, display it and press play; in code, ``lab.step(n)`` trains ``n``
    steps (each: ``d_steps`` D updates, then one G update, batches of ``batch_size``),
    ``lab.set(loss="minimax")`` moves a control, ``lab.reset()`` starts again from the seed.
    ``lab.steps`` counts G updates; ``lab.last`` holds the last step's ``d_loss`` (with its
    GP/R1 terms) and ``g_loss``; a non-finite loss pauses play and the status line says so.
    """

    image_format = "png"

    def __init__(
        self,
        dataset: str = "ring",
        loss: str = "nonsaturating",
        lr_d: float = 1e-3,
        lr_g: float = 1e-3,
        d_steps: int = 1,
        r1: float = 0.0,
        seed: int = 0,
        batch_size: int = 256,
        steps_per_tick: int = 5,
        interval_ms: int = 250,
        size: tuple[int, int] = (520, 420),
        grid: int = 40,
        n_shown: int = 300,
        n_arrows: int = 100,
        z_dim: int = 8,
        hidden: int = 128,
    ):
        settings = check_settings(
            dataset=dataset, loss=loss, lr_d=lr_d, lr_g=lr_g, d_steps=d_steps, r1=r1
        )
        for name, value, low in [
            ("seed", seed, 0),
            ("batch_size", batch_size, 1),
            ("steps_per_tick", steps_per_tick, 1),
            ("interval_ms", interval_ms, 20),
            ("grid", grid, 2),
            ("n_shown", n_shown, 1),
            ("n_arrows", n_arrows, 0),
        ]:
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"GANLab: {name} must be an int >= {low}, got {value!r}")
        if (
            not isinstance(size, tuple | list)
            or len(size) != 2
            or not all(isinstance(s, int) and s >= 200 for s in size)
        ):
            raise ValueError(f"GANLab: size must be (width, height) in pixels, >= 200, got {size}")
        self.seed, self.batch_size, self.steps_per_tick = seed, batch_size, steps_per_tick
        self.interval_ms, self.size, self.grid, self.limit = interval_ms, tuple(size), grid, 3.0
        self.n_shown, self.n_arrows = n_shown, min(n_arrows, n_shown)
        self.z_dim, self.hidden = z_dim, hidden
        ticks = torch.linspace(-self.limit, self.limit, grid)
        yy, xx = torch.meshgrid(ticks, ticks, indexing="ij")
        self._grid_points = torch.stack([xx.flatten(), yy.flatten()], dim=1)  # (grid², 2)
        self._real_shown = {}  # dataset -> the real points drawn (fixed per dataset)
        self._last_tick_end = -math.inf
        self._init_nets()
        self._figure()
        self._build_controls(settings)

    # ------------------------------------------------------------------------- the game
    def _init_nets(self) -> None:
        """Both nets, their optimisers and every random stream from the seed; step 0."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.G = MLPGenerator(z_dim=self.z_dim, hidden=self.hidden)
            self.D = MLPDiscriminator(hidden=self.hidden)
            self._rng_state = torch.get_rng_state()  # the lab's own stream (WGAN-GP's ε)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=1e-3, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=1e-3, betas=(0.5, 0.999))
        self._data_gen = torch.Generator().manual_seed(self.seed + 1)
        self.z_shown = torch.randn(
            self.n_shown, self.z_dim, generator=torch.Generator().manual_seed(self.seed + 2)
        )
        self.steps = 0
        self.last: dict[str, float] = {}

    def real_shown(self, dataset: str) -> torch.Tensor:
        """The fixed real points drawn for ``dataset`` (n_shown, 2)."""
        if dataset not in self._real_shown:
            self._real_shown[dataset] = sample_toy(dataset, self.n_shown, seed=self.seed + 3)
        return self._real_shown[dataset]

    def train_steps(self, n: int, state: Mapping | None = None) -> dict[str, float]:
        """``n`` training steps with the settings of ``state`` (default: the controls now)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"the number of steps must be an int >= 0, got {n!r}")
        s = check_settings(**(self.state() if state is None else state))
        d_fn, g_fn, gp = _loss_fns(s["loss"])
        for group in self.opt_d.param_groups:
            group["lr"] = s["lr_d"]
        for group in self.opt_g.param_groups:
            group["lr"] = s["lr_g"]
        gen, batch = self._data_gen, self.batch_size
        with torch.random.fork_rng(devices=[]):
            torch.set_rng_state(self._rng_state)
            for _ in range(n):
                for _ in range(s["d_steps"]):
                    real = sample_toy(s["dataset"], batch, generator=gen)
                    z = torch.randn(batch, self.z_dim, generator=gen)
                    out_d = d_step(
                        self.G, self.D, real, z, self.opt_d, (d_fn, g_fn), gp_weight=gp,
                        r1_weight=s["r1"],
                    )  # fmt: skip
                z = torch.randn(batch, self.z_dim, generator=gen)
                out_g = g_step(self.G, self.D, z, self.opt_g, (d_fn, g_fn))
                self.steps += 1
                self.last = {"d_loss": out_d["d_loss"].item(), "g_loss": out_g["g_loss"].item()}
            self._rng_state = torch.get_rng_state()
        return self.last

    def frame(self, state: Mapping) -> dict:
        """What one picture shows, as tensors: real, fake, D's surface, G's moves at the fakes.

        ``move = -∇_x Σ_i g_loss(D_logit(x_i))`` at the first ``n_arrows`` fakes (per-point loss).
        """
        s = check_settings(**state)
        _, g_fn, _ = _loss_fns(s["loss"])
        with torch.no_grad():
            fake = self.G(self.z_shown)
            prob = torch.sigmoid(self.D(self._grid_points)).reshape(self.grid, self.grid)
        x = fake[: self.n_arrows].clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(g_fn(self.D(x)) * len(x), x) if len(x) else (x,)
        return {
            "real": self.real_shown(s["dataset"]),
            "fake": fake,
            "prob": prob,
            "move": -grad.detach(),
            "step": self.steps,
            "last": dict(self.last),
            "title": f"{s['dataset']} · {LOSS_LABELS[s['loss']]}",
        }

    # ------------------------------------------------------------------------- the picture
    def _figure(self) -> None:
        """One Agg figure, made once; every render updates its artists and encodes a PNG."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D

        dpi = 100
        w, h = self.size
        fig = Figure(figsize=(w / dpi, h / dpi), dpi=dpi)
        FigureCanvasAgg(fig)
        # axes in figure fractions: the plot square on the left, the colour bar on the right
        side = min(0.78 * h / w, 0.72)
        ax = fig.add_axes((0.1 * h / w, 0.12, side, 0.78))
        cax = fig.add_axes((0.1 * h / w + side + 0.03, 0.12, 0.03, 0.78))
        lim = self.limit
        self._im = ax.imshow(
            torch.full((self.grid, self.grid), 0.5).numpy(),
            extent=(-lim, lim, -lim, lim),
            origin="lower",
            cmap="PRGn",
            vmin=0,
            vmax=1,
            interpolation="bilinear",
        )
        fig.colorbar(self._im, cax=cax).set_label("D(x): green real, purple fake", fontsize=8)
        cax.tick_params(labelsize=7)
        self._real = ax.scatter([], [], s=5, c="black", alpha=0.6, linewidths=0)
        self._fake = ax.scatter([], [], s=7, c="tab:orange", alpha=0.9, linewidths=0)
        zeros = torch.zeros(max(self.n_arrows, 1)).numpy()
        self._quiver = ax.quiver(
            zeros, zeros, zeros, zeros, angles="xy", scale_units="xy", scale=1, color="0.1",
            width=0.004, headwidth=4, headlength=4, alpha=0.8,
        )  # fmt: skip
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal")
        ax.set_xlabel("x₁", fontsize=9)
        ax.set_ylabel("x₂", fontsize=9, labelpad=1)
        ax.tick_params(labelsize=7)
        handles = [
            Line2D([], [], ls="", marker="o", ms=4, color="black", label="real data"),
            Line2D([], [], ls="", marker="o", ms=4, color="tab:orange", label="generated G(z)"),
            Line2D([], [], color="0.1", marker=">", ms=4, label="G's gradient −∇ₓL_G"),
        ]
        ax.legend(handles=handles, loc="lower left", fontsize=7, framealpha=0.8)
        self._title = ax.set_title("", fontsize=9)
        self._fig, self._ax = fig, ax

    def draw(self, frame: Mapping) -> bytes:
        """A frame -> PNG bytes of ``size`` pixels (pure: the same frame gives the same bytes)."""
        self._im.set_data(frame["prob"].numpy())
        self._real.set_offsets(frame["real"].numpy())
        self._fake.set_offsets(frame["fake"].numpy())
        move = frame["move"]
        if len(move):
            norm = move.norm(dim=1, keepdim=True).clamp(min=1e-12)
            arrows = move / norm * 0.5 * torch.tanh(norm / 1.0)  # ≤ 0.5 data units
            self._quiver.set_offsets(frame["fake"][: len(move)].numpy())
            self._quiver.set_UVC(arrows[:, 0].numpy(), arrows[:, 1].numpy())
        last = frame["last"]
        losses_text = (
            f"L_D {last['d_loss']:.3f} · L_G {last['g_loss']:.3f}" if last else "not trained yet"
        )
        self._title.set_text(f"{frame['title']}\nstep {frame['step']} · {losses_text}")
        buffer = io.BytesIO()
        self._fig.savefig(buffer, format="png", dpi=self._fig.dpi, metadata={"Software": None})
        return buffer.getvalue()

    def render(self, state: Mapping) -> bytes:
        """State (control values) -> PNG of the lab's current nets under that state."""
        check_state(state, set(CONTROLS), "GANLab")
        return self.draw(self.frame(state))

    # ------------------------------------------------------------------------- the widget
    def _build_controls(self, s: dict) -> None:
        import ipywidgets as widgets

        def lr_slider(name):
            return widgets.FloatLogSlider(
                value=s[name], base=10, min=-5, max=-1, step=0.25, description=name,
                readout_format=".1e", continuous_update=False,
            )  # fmt: skip

        controls = {
            "dataset": widgets.Dropdown(
                options=TOY_NAMES, value=s["dataset"], description="dataset"
            ),
            "loss": widgets.Dropdown(
                options=[(label, key) for key, label in LOSS_LABELS.items()],
                value=s["loss"],
                description="loss",
            ),
            "lr_d": lr_slider("lr_d"),
            "lr_g": lr_slider("lr_g"),
            "d_steps": widgets.IntSlider(
                value=s["d_steps"],
                min=1,
                max=MAX_D_STEPS,
                description="d_steps",
                continuous_update=False,
            ),
            "r1": widgets.SelectionSlider(
                options=list(R1_CHOICES), value=s["r1"], description="R1 γ", continuous_update=False
            ),
        }
        self.build(controls)
        self.play = widgets.Play(
            value=0, min=0, max=10**9, step=1, interval=self.interval_ms, description="play"
        )
        self.play.observe(self._on_play, names="value")
        self.step_button = widgets.Button(description="step", tooltip="one training step")
        self.step_button.on_click(lambda _b: self.step())
        self.reset_button = widgets.Button(description="reset", tooltip="new nets from the seed")
        self.reset_button.on_click(lambda _b: self.reset())
        self.status = widgets.HTML(self._status_text())
        buttons = widgets.HBox([self.play, self.step_button, self.reset_button])
        panel = widgets.VBox([*controls.values(), buttons, self.status])
        self.widget = widgets.VBox(
            [widgets.HTML("<b>GAN Lab</b>"), widgets.HBox([panel, self.image])]
        )

    def _status_text(self) -> str:
        if not self.last:
            return f"step {self.steps}"
        d, g = self.last["d_loss"], self.last["g_loss"]
        text = f"step {self.steps} · L_D {d:.3f} · L_G {g:.3f}"
        if not (math.isfinite(d) and math.isfinite(g)):
            text += " · <b>diverged</b>: lower the learning rates, then press reset"
        return text

    def refresh(self, _change=None) -> None:
        """Redraw the picture and the status line (also what every control's observe calls)."""
        super().refresh()
        if hasattr(self, "status"):
            self.status.value = self._status_text()

    def step(self, n: int = 1) -> bytes:
        """Train ``n`` steps with the current controls, redraw; returns the new image bytes."""
        self.train_steps(n)
        self.refresh()
        if self.last and not all(math.isfinite(v) for v in self.last.values()):
            self.play.playing = False  # diverged: stop the timer, the status line says why
        return self.image.value

    def tick(self) -> bytes:
        """What one tick of the play timer does: ``steps_per_tick`` steps, then redraw."""
        return self.step(self.steps_per_tick)

    def _on_play(self, change) -> None:
        if change["new"] <= change["old"]:
            return  # the stop button rewinds the timer: no training
        # A tick that waited while the previous one ran is dropped, so the queue never grows
        # on a slow machine and pause acts at once.
        if (time.perf_counter() - self._last_tick_end) * 1000 < 0.2 * self.interval_ms:
            return
        self.tick()
        self._last_tick_end = time.perf_counter()

    def reset(self) -> bytes:
        """Re-initialise both nets and every random stream from the seed; redraw (step 0)."""
        self._init_nets()
        self.refresh()
        return self.image.value

    def set(self, **values) -> bytes:
        """Set controls by name (checked first: clear errors); returns the new image bytes."""
        return super().set(**check_settings(**values))
