"""LivePlot: watch a run of :func:`gancourse.train.fit` while it trains. Used in lesson 04.

A callback for ``fit(..., callbacks=[LivePlot(every=50, z=z_fixed)])``. Every ``every`` steps (and
at the end) it redraws one picture *in place* (one ``ipywidgets.Image``, shown when the first frame
is ready, so a notebook cell shows one growing picture, not a new figure per update):

- left, the curves recorded so far (``state.history``: ``d_loss``, ``g_loss``, ``d_real``,
  ``d_fake``, ... whichever the run records; ``keys`` picks some), smoothed by a moving average of
  ``smooth`` steps;
- right, with ``z`` given, the generator's samples for that fixed latent batch at the current step
  (the EMA generator when the run keeps one), so the same faces can be followed as they form.

Drawing uses matplotlib's Agg backend into PNG bytes and takes about 0.1-0.2 s on a 2-core CPU,
so ``every`` should leave many steps between frames. Outside Jupyter nothing is displayed; the
frames are still drawn and counted (``frames``), which is what the tests check.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import ipywidgets
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gancourse import plot

__all__ = ["LivePlot"]


class LivePlot:
    """Callback for ``train.fit``: loss curves and a sample grid, redrawn in place."""

    def __init__(
        self,
        every: int = 50,
        z: torch.Tensor | None = None,
        keys: Sequence[str] | None = None,
        smooth: int = 10,
        nrow: int = 8,
        use_ema: bool = True,
        width: float = 10.0,
    ):
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"LivePlot: every must be an int >= 1, got {every!r}")
        if not isinstance(smooth, int) or smooth < 1:
            raise ValueError(f"LivePlot: smooth must be an int >= 1, got {smooth!r}")
        if z is not None and (not isinstance(z, torch.Tensor) or z.dim() != 2):
            raise ValueError(
                "LivePlot: z must be a fixed latent batch (B, z_dim), e.g. torch.randn(16, 64), "
                f"got {type(z).__name__ if not isinstance(z, torch.Tensor) else tuple(z.shape)}"
            )
        self.every, self.z, self.keys, self.smooth = every, z, keys, smooth
        self.nrow, self.use_ema, self.width = nrow, use_ema, width
        self.frames = 0
        self.image = None  # the ipywidgets.Image, made with the first frame
        self._figure = Figure(figsize=(width, width * 0.4))
        FigureCanvasAgg(self._figure)

    def __call__(self, state, final: bool = False) -> None:
        if state.step % self.every and not final:
            return
        png = self.render(state)
        self.frames += 1
        if self.image is None:
            self.image = ipywidgets.Image(value=png, format="png")
            _display(self.image)
        else:
            self.image.value = png

    def curves(self, state) -> dict[str, list[float]]:
        """The recorded series to plot: ``keys`` (those present), or every one but ``step``."""
        history = state.history
        names = [k for k in (self.keys or history) if k != "step" and history.get(k)]
        if self.keys:
            missing = [k for k in self.keys if k not in history]
            if missing and history.get("step"):
                raise KeyError(
                    f"LivePlot: the run records {sorted(k for k in history if k != 'step')}, "
                    f"not {missing}; pick keys among those"
                )
        return {k: [float(v) for v in history[k]] for k in names}

    def render(self, state) -> bytes:
        """One frame as PNG bytes: the curves (left) and, with ``z``, the samples (right)."""
        fig = self._figure
        fig.clear()
        with_samples = self.z is not None
        ax = fig.add_subplot(1, 2 if with_samples else 1, 1)
        steps = state.history.get("step", [])
        for name, values in self.curves(state).items():
            series = torch.tensor(values, dtype=torch.float64)
            k = min(self.smooth, len(series))
            smoothed = series.unfold(0, k, 1).mean(1)  # moving average of k steps
            ax.plot(steps[k - 1 : k - 1 + len(smoothed)], smoothed.tolist(), label=name)
        ax.set(xlabel="step", title=f"training curves (moving average of {self.smooth} steps)")
        if ax.lines:
            ax.legend(fontsize=8)
        if with_samples:
            images = state.sample(self.z, use_ema=self.use_ema)
            grid = plot.image_grid(images, nrow=self.nrow)  # (3, H, W) in [0, 1]
            right = fig.add_subplot(1, 2, 2)
            right.imshow(grid.permute(1, 2, 0).numpy())
            right.set_axis_off()
            right.set_title(f"samples at step {state.step}")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=80)
        return buffer.getvalue()


def _display(widget) -> None:
    """Show the widget in Jupyter; outside it (a script, a test) do nothing."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return
    if get_ipython() is not None:
        display(widget)
