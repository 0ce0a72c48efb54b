"""RunBrowser (lesson 03) and ThresholdExplorer (lesson 10): pure renders, controls, errors."""

import numpy as np
import pytest
import torch

from gancourse import forensics, plot, train
from gancourse.data.toy2d import sample_toy
from gancourse.models import MLPDiscriminator, MLPGenerator
from gancourse.widgets import RunBrowser, ThresholdExplorer, snapshot_every
from gancourse.widgets.threshold import THRESHOLDS


@pytest.fixture(scope="module")
def two_runs():
    ring = sample_toy("ring", 2000, seed=0)
    z = torch.randn(200, 8, generator=torch.Generator().manual_seed(1))
    runs = {}
    for loss in ("bce", "hinge"):
        torch.manual_seed(0)
        snaps = []
        train.fit(
            MLPGenerator(z_dim=8, hidden=32),
            MLPDiscriminator(hidden=32),
            ring,
            20,
            batch_size=64,
            loss=loss,
            ema=None,
            callbacks=[snapshot_every(10, z, ring[:200], snaps)],
        )
        runs[loss] = snaps
    return runs


def test_snapshot_every_records_first_step_every_n_and_the_end(two_runs):
    assert [s["step"] for s in two_runs["bce"]] == [1, 10, 20]
    assert two_runs["bce"][0]["fake"].shape == (200, 2)
    # the generator moved between the recorded moments
    assert not torch.equal(two_runs["bce"][0]["fake"], two_runs["bce"][-1]["fake"])


@pytest.mark.parametrize("every", [0, -3, 2.5, "10"])
def test_snapshot_every_rejects_bad_every(every):
    with pytest.raises(ValueError, match="every"):
        snapshot_every(every, torch.zeros(2, 8), torch.zeros(2, 2), [])


def test_run_browser_switches_runs_and_steps(two_runs):
    browser = RunBrowser(two_runs, notes={"hinge": "3/8 modes"})
    assert browser.state() == {"run": "bce", "step": 20}
    first = browser.image.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    other_run = browser.set(run="hinge")
    assert other_run != first
    earlier = browser.set(step=1)
    assert earlier != other_run
    # pure and cached: the same state gives the same bytes, also after other moves
    assert browser.render({"run": "bce", "step": 20}) == first
    assert browser.set(run="bce", step=20) == first


def test_run_browser_pictures_differ_by_content_not_only_title(two_runs):
    browser = RunBrowser(two_runs)
    # same run, two steps: different fake points and surfaces -> different pictures
    assert browser.render({"run": "bce", "step": 1}) != browser.render({"run": "bce", "step": 10})


def test_run_browser_errors_say_what_is_wrong(two_runs):
    with pytest.raises(ValueError, match="non-empty dict"):
        RunBrowser({})
    with pytest.raises(ValueError, match="same steps"):
        RunBrowser({"a": two_runs["bce"], "b": two_runs["hinge"][:2]})
    with pytest.raises(ValueError, match="plot.snapshot"):
        RunBrowser({"a": [{"step": 1}]})
    with pytest.raises(KeyError, match="notes for runs"):
        RunBrowser(two_runs, notes={"wgan": "x"})
    browser = RunBrowser(two_runs)
    with pytest.raises(KeyError, match="no run named 'lsgan'"):
        browser.render({"run": "lsgan", "step": 20})
    with pytest.raises(ValueError, match="no snapshot at step 7"):
        browser.render({"run": "bce", "step": 7})
    with pytest.raises(KeyError, match="unknown controls"):
        browser.render({"run": "bce", "alpha": 1})


def test_snapshot_from_plot_is_accepted_directly():
    G, D = MLPGenerator(z_dim=8, hidden=16), MLPDiscriminator(hidden=16)
    snap = plot.snapshot(G, D, torch.randn(50, 8), torch.randn(50, 2), step=0)
    assert RunBrowser({"untrained": [snap]}).state() == {"run": "untrained", "step": 0}


@pytest.fixture()
def detector_scores():
    rng = np.random.default_rng(0)
    real = rng.beta(2, 8, 300)  # mostly low P(fake)
    fake = rng.beta(8, 2, 300)
    labels = np.r_[np.zeros(300, int), np.ones(300, int)]
    clean = np.r_[real, fake]
    shifted = clean**4  # same ranking, scores pushed down (as after JPEG)
    return {"clean": (clean, labels), "shifted": (shifted, labels)}


def test_threshold_moves_accuracy_not_average_precision(detector_scores):
    explorer = ThresholdExplorer(detector_scores, name="toy detector")
    accuracies, aps = [], []
    for t in (0.05, 0.3, 0.5, 0.7, 0.95):
        m = explorer.metrics({"test": "shifted", "threshold": t})
        accuracies.append(m["accuracy"])
        aps.append(m["average_precision"])
    assert max(accuracies) - min(accuracies) > 0.2
    assert max(aps) - min(aps) < 1e-12
    # the metrics are the package's, unchanged
    scores, labels = detector_scores["shifted"]
    expected = forensics.detection_metrics(scores, labels, 0.3)
    assert explorer.metrics({"test": "shifted", "threshold": 0.3}) == expected
    # on the shifted scores a low threshold beats 0.5: the threshold, not the ranking, broke
    low = explorer.metrics({"test": "shifted", "threshold": 0.05})["accuracy"]
    assert low > explorer.metrics({"test": "shifted", "threshold": 0.5})["accuracy"] + 0.1


def test_threshold_controls_change_the_picture(detector_scores):
    explorer = ThresholdExplorer(detector_scores)
    start = explorer.image.value
    assert start[:8] == b"\x89PNG\r\n\x1a\n"
    low = min(THRESHOLDS, key=lambda t: abs(t - 0.2))
    moved = explorer.set(threshold=low)
    assert moved != start
    switched = explorer.set(test="shifted")
    assert switched != moved
    assert explorer.render({"test": "clean", "threshold": 0.5}) == start


def test_threshold_slider_steps_evenly_in_log_odds_and_includes_one_half(detector_scores):
    explorer = ThresholdExplorer(detector_scores, threshold=0.48)
    slider = explorer.controls["threshold"]
    assert slider.value == 0.5  # snapped to the nearest step
    logits = np.log(np.array(THRESHOLDS) / (1 - np.array(THRESHOLDS)))
    assert np.allclose(np.diff(logits), 0.5)
    assert THRESHOLDS[0] < 1e-5 and THRESHOLDS[-1] > 1 - 1e-5
    labels = [label for label, _ in slider.options]
    assert len(set(labels)) == len(labels), "two thresholds would read the same"


@pytest.mark.parametrize(
    "tests, message",
    [
        ({}, "at least one"),
        ({"a": (np.array([0.1, 0.9]), np.array([0, 1, 1]))}, "one score per label"),
        ({"a": (np.array([0.1, 0.9]), np.array([1, 1]))}, "both present"),
        ({"a": (np.array([-2.0, 3.0]), np.array([0, 1]))}, r"probabilities P\(fake\)"),
        ({"a": (np.array([0.1, np.nan]), np.array([0, 1]))}, r"probabilities P\(fake\)"),
        ({"a": np.array([0.1, 0.2])}, "pair"),
    ],
)
def test_threshold_explorer_rejects_bad_input(tests, message):
    with pytest.raises(ValueError, match=message):
        ThresholdExplorer(tests)


def test_threshold_explorer_rejects_bad_state(detector_scores):
    explorer = ThresholdExplorer(detector_scores)
    with pytest.raises(KeyError, match="no test named"):
        explorer.metrics({"test": "blur", "threshold": 0.5})
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        explorer.metrics({"test": "clean", "threshold": 1.5})
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ThresholdExplorer(detector_scores, threshold=-0.1)
