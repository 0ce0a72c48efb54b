"""Checks for ``exercises/10_responsible_use.ipynb``: the power spectrum profile and detector
evaluation.

Recognised mistakes (the ``mistake`` names the tests use):

- spectrum: "no fftshift", "summed rings", "log of zero", "no log", "magnitude not power",
  "not normalised", "shape";
- metrics: "AP on hard labels", "labels flipped", "wrong accuracy", "not a dict";
- evaluation: "evaluated on the training set", "split mixes classes", "error".
"""

from __future__ import annotations

import math

import numpy as np
import torch

from gancourse.forensics import spectra

from ._core import CheckFailed, passed, run_learner


# ----------------------------------------------------------------------------- references
def _reference_profile(
    images: torch.Tensor,
    eps: float = 1e-10,
    shift: bool = True,
    reduce: str = "mean",
    power: int = 2,
    normalise: bool = True,
    log: bool = True,
) -> torch.Tensor:
    """The right answer, and (with the switches) the usual wrong ones."""
    gray = spectra.to_gray(images).double()
    h, w = gray.shape[-2:]
    spectrum = torch.fft.fft2(gray)
    if shift:
        spectrum = torch.fft.fftshift(spectrum, dim=(-2, -1))
    p = spectrum.abs() ** power
    if normalise:
        p = p / (h * w)
    r = spectra.radius_map(h, w)
    n_r = min(h, w) // 2 + 1
    rings = [p[:, r == k].mean(1) if reduce == "mean" else p[:, r == k].sum(1) for k in range(n_r)]
    out = torch.stack(rings, 1)
    return torch.log10(out + eps) if log else out


def _test_images() -> torch.Tensor:
    """Grey (equal-channel) test images: a sinusoid, a zero-mean checkerboard, smooth noise."""
    n = 32
    u = torch.arange(n, dtype=torch.float64)
    sinus = torch.cos(2 * math.pi * (3 * u[:, None] + 4 * u[None, :]) / n)  # peak at radius 5
    checker = ((u[:, None] + u[None, :]) % 2) * 2 - 1  # Nyquist only
    g = torch.Generator().manual_seed(0)
    noise = torch.nn.functional.avg_pool2d(
        torch.randn(1, 1, n + 3, n + 3, generator=g, dtype=torch.float64), 4, 1
    )[0, 0]
    gray = torch.stack([0.8 * sinus, 0.5 * checker, noise.clamp(-1, 1)]).float()  # (3, H, W)
    return gray[:, None].expand(3, 3, n, n).clone()


def _as_tensor(out, name: str) -> torch.Tensor:
    if isinstance(out, np.ndarray):
        out = torch.from_numpy(out)
    if not isinstance(out, torch.Tensor):
        raise CheckFailed(
            f"`{name}` must return a tensor (B, R), got {type(out).__name__}.",
            mistake="not a tensor",
        )
    return out.double()


# ----------------------------------------------------------------------------- spectrum
def check_spectrum_profile(spectrum_profile) -> bool:
    """Check ``spectrum_profile(images (B, 3, H, W)) -> (B, min(H, W) // 2 + 1)``
    log10 ring means."""
    images = _test_images()
    out = _as_tensor(
        run_learner(spectrum_profile, images.clone(), name="spectrum_profile"), "spectrum_profile"
    )
    expected = _reference_profile(images)
    if out.shape != expected.shape:
        raise CheckFailed(
            f"expected shape {tuple(expected.shape)} "
            "(one value per image and per radius 0 … min(H, W) // 2), "
            f"got {tuple(out.shape)}.",
            mistake="shape",
        )
    if not torch.isfinite(out).all():
        raise CheckFailed(
            "some values are -inf or NaN: a ring whose power is exactly 0 (here: the zero-mean "
            "images' frequency 0) gives log10(0) = -inf. "
            "Add a small eps before the log: log10(power + eps).",
            mistake="log of zero",
        )
    # compare where the true ring power is well above float32 round-off (log10 P > -6); rings at the
    # eps floor differ between float32 and float64 arithmetic and say nothing about the method
    valid = expected > -6

    def close(ref):
        return ref.shape == out.shape and torch.allclose(out[valid], ref[valid], atol=1e-2)

    if close(expected):
        # also a colour image against the package (luma weights)
        colour = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(1)) * 2 - 1
        mine = _as_tensor(
            run_learner(spectrum_profile, colour.clone(), name="spectrum_profile"),
            "spectrum_profile",
        )
        if not torch.allclose(mine, spectra.spectrum_profile(colour).double(), atol=1e-2):
            raise CheckFailed(
                "right on grey images but not on colour ones: convert to grey with the luma "
                "weights Y = 0.299 R + 0.587 G + 0.114 B before the FFT.",
                mistake="grey conversion",
            )
        return passed("rings averaged around the centred spectrum, in log10, without log(0).")
    if close(_reference_profile(images, shift=False)):
        raise CheckFailed(
            "your rings are measured around the top-left corner: the FFT puts frequency 0 at index "
            "(0, 0). Apply torch.fft.fftshift(F, dim=(-2, -1)) so it sits at the centre "
            "(H // 2, W // 2).",
            mistake="no fftshift",
        )
    if close(_reference_profile(images, reduce="sum")):
        raise CheckFailed(
            "you summed each ring; average it instead (divide by the number of pixels on the "
            "ring), otherwise outer rings look stronger only because they have more pixels.",
            mistake="summed rings",
        )
    if close(_reference_profile(images, log=False)):
        raise CheckFailed(
            "return the log10 of the ring means (plus eps): "
            "the values span many orders of magnitude.",
            mistake="no log",
        )
    if close(_reference_profile(images, power=1)):
        raise CheckFailed(
            "use the power |F|² (.abs() ** 2), not the magnitude |F|.",
            mistake="magnitude not power",
        )
    if close(_reference_profile(images, normalise=False)):
        raise CheckFailed(
            "divide the power by H·W (the number of pixels), so images of any size are comparable.",
            mistake="not normalised",
        )
    peak = out[0].argmax().item()
    raise CheckFailed(
        f"the values differ from log10(mean over ring r of |fftshift(FFT2(Y))|² / (H W) + eps). "
        "Hint: the first test image is a sinusoid whose ring should peak at radius 5; "
        f"yours peaks at {peak}.",
        mistake="wrong values",
    )


# ----------------------------------------------------------------------------- metrics
def _metric_case():
    labels = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    scores = np.array(
        [0.05, 0.10, 0.20, 0.45, 0.46, 0.30, 0.40, 0.42, 0.47, 0.48]
    )  # all fakes < 0.5
    return scores, labels


def check_detection_metrics(detection_metrics) -> bool:
    """Check ``detection_metrics(scores, labels, threshold=0.5) ->
    {"accuracy", "average_precision"}``."""
    from sklearn.metrics import average_precision_score

    scores, labels = _metric_case()
    out = run_learner(detection_metrics, scores.copy(), labels.copy(), name="detection_metrics")
    if not isinstance(out, dict) or not {"accuracy", "average_precision"} <= set(out):
        raise CheckFailed(
            "return a dict with the keys 'accuracy' and 'average_precision'.", mistake="not a dict"
        )
    accuracy = float(((scores >= 0.5) == labels).mean())
    ap = average_precision_score(labels, scores)
    got_ap, got_acc = float(out["average_precision"]), float(out["accuracy"])
    if math.isclose(
        got_ap, average_precision_score(labels, (scores >= 0.5).astype(int)), abs_tol=1e-6
    ) and not math.isclose(got_ap, ap, abs_tol=1e-6):
        raise CheckFailed(
            "average precision must be computed from the scores, not from hard 0/1 predictions: AP "
            "measures the ranking, and thresholding throws the ranking away. Use "
            "average_precision_score(labels, scores).",
            mistake="AP on hard labels",
        )
    if math.isclose(
        got_ap, average_precision_score(1 - labels, scores), abs_tol=1e-6
    ) and not math.isclose(got_ap, ap, abs_tol=1e-6):
        raise CheckFailed(
            "labels are 1 for fake and scores are P(fake): pass them as they are, "
            "average_precision_score(labels, scores).",
            mistake="labels flipped",
        )
    if not math.isclose(got_ap, ap, abs_tol=1e-6):
        raise CheckFailed(
            f"average precision should be {ap:.3f} here, got {got_ap:.3f}. Use "
            "sklearn.metrics.average_precision_score(labels, scores).",
            mistake="wrong AP",
        )
    if not math.isclose(got_acc, accuracy, abs_tol=1e-6):
        raise CheckFailed(
            f"accuracy should be {accuracy:.2f} here (predict fake when score >= threshold, "
            f"then compare with the labels), got {got_acc:.2f}.",
            mistake="wrong accuracy",
        )
    shifted = run_learner(
        detection_metrics, scores.copy(), labels.copy(), 0.4, name="detection_metrics"
    )
    if not math.isclose(
        float(shifted["accuracy"]), float(((scores >= 0.4) == labels).mean()), abs_tol=1e-6
    ):
        raise CheckFailed(
            "use the `threshold` argument instead of a fixed 0.5.", mistake="threshold ignored"
        )
    return passed(
        f"accuracy {accuracy:.2f} but AP {ap:.2f}: the ranking is good, the threshold is not."
    )


# ----------------------------------------------------------------------------- held-out evaluation
class _Memoriser:
    """A detector that remembers its training images exactly (1-nearest neighbour)."""

    def fit(self, real, fake):
        self.x = torch.cat([real, fake]).flatten(1)
        self.y = torch.cat([torch.zeros(len(real)), torch.ones(len(fake))])
        return self

    def score(self, images):
        d = torch.cdist(images.flatten(1), self.x)
        return self.y[d.argmin(1)].numpy().astype(np.float64) * 0.9 + 0.05


class _MeanBrightness:
    """Scores by mean brightness: separates the easy task, knows nothing else."""

    def fit(self, real, fake):
        self.cut = (real.mean() + fake.mean()).item() / 2
        return self

    def score(self, images):
        return torch.sigmoid(20 * (images.mean((1, 2, 3)) - self.cut)).numpy().astype(np.float64)


def check_held_out_evaluation(held_out_evaluation) -> bool:
    """Check ``held_out_evaluation(make_detector, real, fake, test_fraction=0.5, seed=0) ->
    metrics dict``: split each class, fit on the training part, evaluate on the test part only."""
    g = torch.Generator().manual_seed(0)
    real = torch.rand(40, 1, 4, 4, generator=g) * 2 - 1
    fake = torch.rand(40, 1, 4, 4, generator=g) * 2 - 1  # the same distribution: nothing to learn
    out = run_learner(held_out_evaluation, _Memoriser, real, fake, name="held_out_evaluation")
    if not isinstance(out, dict) or "accuracy" not in out or "average_precision" not in out:
        raise CheckFailed(
            "return the metrics dict of forensics.detection_metrics "
            "(accuracy, average_precision, …).",
            mistake="not a dict",
        )
    if out["accuracy"] > 0.9:
        raise CheckFailed(
            f"on real and fake images drawn from the *same* distribution you report accuracy "
            f"{out['accuracy']:.2f}: that is the detector remembering images it trained on. "
            "Evaluate on the held-out part only "
            "(train on one part of each class, score the other).",
            mistake="evaluated on the training set",
        )
    if out.get("n") not in (None, 40):
        raise CheckFailed(
            f"with test_fraction=0.5 and 40 images per class, 40 test images are expected, "
            f"got n = {out.get('n')}.",
            mistake="split size",
        )
    easy_real = torch.full((40, 1, 4, 4), -0.5) + 0.1 * torch.rand(40, 1, 4, 4, generator=g)
    easy_fake = torch.full((40, 1, 4, 4), 0.5) + 0.1 * torch.rand(40, 1, 4, 4, generator=g)
    easy = run_learner(
        held_out_evaluation, _MeanBrightness, easy_real, easy_fake, name="held_out_evaluation"
    )
    if easy["accuracy"] < 0.95 or easy["average_precision"] < 0.95:
        raise CheckFailed(
            "on an easy task (dark real vs bright fake images) the held-out accuracy should be "
            f"~1, got {easy['accuracy']:.2f}: check that the real part is labelled 0, the fake "
            "part 1, and that both classes are in both the training and the test part.",
            mistake="split mixes classes",
        )
    return passed(
        "trained on one part, evaluated on the other: "
        "chance on an impossible task, ~1 on an easy one."
    )
