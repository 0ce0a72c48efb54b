"""RunBrowser: several runs of one 2-D GAN setup, switched with a toggle. Used in lesson 03.

Lesson 03 trains the same generator and discriminator on the same ring with five losses. Side by
side, the five final pictures are small; the contrast is easier to see in one large picture that
switches between the runs in place: the **run** toggle picks the loss, the **step** slider picks
the moment of training. Each picture is :func:`gancourse.plot.plot_snapshot` of a recorded
:func:`gancourse.plot.snapshot` (D's surface, G's gradient field, real and generated points).

Nothing trains while the learner moves the controls: the snapshots are recorded during the runs
(:func:`snapshot_every` is a ``train.fit`` callback that does it), and each picture is drawn once
and then cached, so switching back and forth is instant.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gancourse import plot

from .base import Explorer, LRUCache, check_state

__all__ = ["RunBrowser", "snapshot_every"]

_SNAPSHOT_KEYS = {"step", "fake", "real", "xx", "yy", "prob", "ax", "ay", "move", "limit"}


def snapshot_every(every: int, z: torch.Tensor, real: torch.Tensor, into: list):
    """A ``train.fit`` callback that appends ``plot.snapshot(G, D, z, real, step)`` to ``into``
    after the first step, every ``every`` steps and at the end.

    ``fit(..., callbacks=[snapshot_every(300, z_fixed, ring[:500], snaps)])``.
    """
    if not isinstance(every, int) or every < 1:
        raise ValueError(f"snapshot_every: every must be an int >= 1, got {every!r}")
    if not isinstance(into, list):
        raise TypeError(f"snapshot_every: into must be a list to append to, got {type(into)}")

    def callback(state, final: bool = False) -> None:
        if state.step == 1 or state.step % every == 0 or final:
            if into and into[-1]["step"] == state.step:
                return  # the final call repeats the last step
            into.append(plot.snapshot(state.G, state.D, z, real, state.step))

    return callback


def _check_runs(runs: Mapping) -> tuple[dict, list[int]]:
    """Runs as {name: [snapshot, ...]}, every run recorded at the same steps; those steps."""
    if not isinstance(runs, Mapping) or not runs:
        raise ValueError(
            "RunBrowser needs runs: a non-empty dict {name: [plot.snapshot(...), ...]}"
        )
    checked, steps = {}, None
    for name, snaps in runs.items():
        if not isinstance(snaps, Sequence) or not snaps:
            raise ValueError(f"run {name!r}: expected a non-empty list of snapshots, got {snaps!r}")
        for snap in snaps:
            if not isinstance(snap, Mapping) or not _SNAPSHOT_KEYS <= set(snap):
                raise ValueError(
                    f"run {name!r}: every entry must be a plot.snapshot(G, D, z, real, step) dict "
                    f"(keys {sorted(_SNAPSHOT_KEYS)})"
                )
        run_steps = [int(s["step"]) for s in snaps]
        if steps is None:
            steps = run_steps
        elif run_steps != steps:
            raise ValueError(
                f"every run must be recorded at the same steps to be compared; {name!r} has "
                f"{run_steps}, the first run {steps}"
            )
        checked[str(name)] = list(snaps)
    return checked, steps


class RunBrowser(Explorer):
    """One setup, several runs: a ``run`` toggle and a ``step`` slider over recorded snapshots.

    ``RunBrowser({"hinge": snaps_hinge, "LSGAN": snaps_lsgan})``;
    ``render({"run": "hinge", "step": 1500})`` -> PNG bytes. ``notes`` (optional, per run) is
    printed under the picture's title, e.g. the mode coverage the lesson measured.
    """

    def __init__(
        self,
        runs: Mapping,
        notes: Mapping | None = None,
        run: str | None = None,
        step: int | None = None,
        size: float = 4.5,
    ):
        import ipywidgets as widgets

        self.runs, self.steps = _check_runs(runs)
        self.notes = {str(k): str(v) for k, v in (notes or {}).items()}
        unknown = set(self.notes) - set(self.runs)
        if unknown:
            raise KeyError(f"notes for runs that do not exist: {sorted(unknown)}")
        run = run if run is not None else next(iter(self.runs))
        step = step if step is not None else self.steps[-1]
        if run not in self.runs:
            raise KeyError(f"no run named {run!r}; runs: {list(self.runs)}")
        if step not in self.steps:
            raise ValueError(f"no snapshot at step {step}; steps recorded: {self.steps}")
        self.size = size
        self._pictures = LRUCache(4 * len(self.runs) * len(self.steps))
        self._figure = Figure(figsize=(size + 1.0, size))
        FigureCanvasAgg(self._figure)
        controls = {
            "run": widgets.ToggleButtons(options=list(self.runs), value=run, description="run"),
            "step": widgets.SelectionSlider(options=self.steps, value=step, description="step"),
        }
        self.build(controls, title="one setup, one run at a time")

    def render(self, state: Mapping) -> bytes:
        """State -> PNG bytes of the chosen run at the chosen step. Pure, cached."""
        check_state(state, {"run", "step"}, "RunBrowser")
        run = state.get("run", next(iter(self.runs)))
        step = int(state.get("step", self.steps[-1]))
        if run not in self.runs:
            raise KeyError(f"no run named {run!r}; runs: {list(self.runs)}")
        if step not in self.steps:
            raise ValueError(f"no snapshot at step {step}; steps recorded: {self.steps}")
        return self._pictures.get_or((run, step), lambda: self._draw(run, step))

    def _draw(self, run: str, step: int) -> bytes:
        snap = self.runs[run][self.steps.index(step)]
        fig = self._figure
        fig.clear()
        ax = fig.add_subplot(1, 1, 1)
        title = f"{run}, step {step}"
        if run in self.notes:
            title += f"\n{self.notes[run]}"
        plot.plot_snapshot(snap, ax, title=title, colorbar=True)
        ax.legend(loc="lower left", fontsize=8, markerscale=3)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=72)
        return buffer.getvalue()
