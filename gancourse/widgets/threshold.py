"""ThresholdExplorer: move a detector's threshold and watch accuracy change while AP does not.
Used in lesson 10.

A detector gives every image a score :math:`s = P(\\text{fake})`; it calls the image fake when
:math:`s \\ge t`. Accuracy counts the images on the right side of :math:`t`, so it moves with the
threshold; average precision

.. math:: \\mathrm{AP} = \\frac{1}{\\#\\text{fakes}} \\sum_{k:\\, y_k = 1} \\mathrm{precision@}k

only reads the *ranking* of the scores, so no threshold changes it. The picture shows both classes'
score histograms, the threshold as a vertical line, and the figures in the title; a **test**
dropdown switches between test conditions (e.g. clean images, JPEG, another generator), where the
threshold that was right on clean images may no longer be.

Detectors' scores pile up near 0 and 1, so the scores are drawn on the **log-odds** axis
:math:`\\log(s / (1 - s))` (labelled in probabilities) and the threshold slider steps through
thresholds evenly spaced in log-odds (0.5 log-odds apart, from :math:`\\sigma(-12)` to
:math:`\\sigma(12)`, 0.5 included).
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gancourse.forensics import detection_metrics

from .base import Explorer, LRUCache, check_state

__all__ = ["ThresholdExplorer", "THRESHOLDS"]

_LOGIT_LIMIT = 14.0  # scores are clipped to sigmoid(±14) for drawing only
THRESHOLDS = [float(1 / (1 + np.exp(-v))) for v in np.arange(-12.0, 12.25, 0.5)]


def _label(p: float) -> str:
    """A threshold as the slider shows it: 0.5, 0.018, 0.99995 (enough digits to tell apart)."""
    if p < 0.5:
        return f"{p:.2g}"
    digits = max(1, int(np.ceil(-np.log10(1 - p) - 1e-9)) + 1)
    return f"{p:.{digits}f}"


def _nearest_threshold(p: float) -> float:
    return min(THRESHOLDS, key=lambda t: abs(t - p))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1 / (1 + np.exp(_LOGIT_LIMIT)), 1 / (1 + np.exp(-_LOGIT_LIMIT)))
    return np.log(p / (1 - p))


def _check_condition(name: str, pair) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise ValueError(
            f"test {name!r}: expected a pair (scores, labels), got {type(pair).__name__}"
        )
    scores, labels = pair
    scores = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(labels).ravel()
    if scores.shape != labels.shape:
        raise ValueError(
            f"test {name!r}: one score per label, got {scores.size} scores and {labels.size} labels"
        )
    if set(np.unique(labels).tolist()) != {0, 1}:
        raise ValueError(f"test {name!r}: labels must be 0 (real) and 1 (fake), both present")
    if not np.isfinite(scores).all() or scores.min() < 0 or scores.max() > 1:
        raise ValueError(
            f"test {name!r}: scores must be probabilities P(fake) in [0, 1] "
            f"(got min {scores.min():.3g}, max {scores.max():.3g}); pass detector.score(images)"
        )
    return scores, labels.astype(int)


class ThresholdExplorer(Explorer):
    """A ``threshold`` slider and a ``test`` dropdown over a detector's scores.

    ``ThresholdExplorer({"clean": (scores, labels), "JPEG q=75": (scores_j, labels)})``;
    ``metrics({"test": "clean", "threshold": 0.3})`` -> accuracy, AP, per-class accuracy.
    """

    def __init__(self, tests: Mapping, threshold: float = 0.5, bins: int = 56, name: str = ""):
        import ipywidgets as widgets

        if not isinstance(tests, Mapping) or not tests:
            raise ValueError(
                "ThresholdExplorer needs tests: {name: (scores, labels)}, at least one"
            )
        if not 0.0 <= float(threshold) <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {threshold}")
        self.tests = {str(k): _check_condition(str(k), v) for k, v in tests.items()}
        self.bins, self.name = bins, name
        self._pictures = LRUCache(256)
        self._figure = Figure(figsize=(7.5, 3.6))
        FigureCanvasAgg(self._figure)
        controls = {
            "threshold": widgets.SelectionSlider(
                options=[(_label(t), t) for t in THRESHOLDS],
                value=_nearest_threshold(float(threshold)),
                description="threshold",
            ),
            "test": widgets.Dropdown(options=list(self.tests), description="test"),
        }
        self.build(controls, title=f"{name}: where should the threshold be?".lstrip(": "))

    def _resolve(self, state: Mapping) -> tuple[str, float]:
        check_state(state, {"threshold", "test"}, "ThresholdExplorer")
        test = state.get("test", next(iter(self.tests)))
        if test not in self.tests:
            raise KeyError(f"no test named {test!r}; tests: {list(self.tests)}")
        threshold = float(state.get("threshold", 0.5))
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {threshold}")
        return test, threshold

    def metrics(self, state: Mapping) -> dict:
        """``forensics.detection_metrics`` of the chosen test at the chosen threshold."""
        test, threshold = self._resolve(state)
        scores, labels = self.tests[test]
        return detection_metrics(scores, labels, threshold)

    def render(self, state: Mapping) -> bytes:
        """State -> PNG bytes: the two score histograms, the threshold, the figures. Pure."""
        key = self._resolve(state)
        return self._pictures.get_or(key, lambda: self._draw(*key))

    def _draw(self, test: str, threshold: float) -> bytes:
        scores, labels = self.tests[test]
        m = self.metrics({"test": test, "threshold": threshold})
        fig = self._figure
        fig.clear()
        ax = fig.add_subplot(1, 1, 1)
        edges = np.linspace(-_LOGIT_LIMIT, _LOGIT_LIMIT, self.bins + 1)
        for label, name, colour in ((0, "real", "tab:blue"), (1, "fake", "tab:orange")):
            ax.hist(
                _logit(scores[labels == label]), bins=edges, alpha=0.6, color=colour, label=name
            )
        ax.axvline(_logit(np.array(threshold)), color="black", lw=2, label="threshold")
        ticks = [1e-6, 1e-4, 0.01, 0.5, 0.99, 0.9999, 0.999999]
        ax.set_xticks(_logit(np.array(ticks)), [f"{t:g}" for t in ticks])
        ax.set(xlim=(-_LOGIT_LIMIT, _LOGIT_LIMIT), xlabel="score P(fake), log-odds axis")
        ax.set_ylabel("images")
        ax.set_title(
            f"{test}: accuracy {m['accuracy']:.3f} (real {m['real_accuracy']:.2f}, "
            f"fake {m['fake_accuracy']:.2f}) · AP {m['average_precision']:.3f}",
            fontsize=10,
        )
        ax.legend(fontsize=8, loc="upper left")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=72)
        return buffer.getvalue()
