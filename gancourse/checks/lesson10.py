"""Checks for ``exercises/10_responsible_use.ipynb``: the power spectrum profile and detector
evaluation.

Every call is checked for in-place changes to its inputs (tensors and numpy arrays) and its result
for type, shape, dtype and device before any value; a second case (another size, dtype, eps,
threshold, test fraction or seed) catches hard-coded constants. Recognised mistakes (the
``mistake`` names the tests use):

- spectrum: "no fftshift", "fftshift over the batch", "summed rings", "log of zero", "no log",
  "magnitude not power", "not normalised", "grey conversion", "eps hard-coded", "shape",
  "dtype", "in place";
- metrics: "AP on hard labels", "labels flipped", "wrong AP", "wrong accuracy", "threshold
  ignored", "not a dict", "not a number", "in place";
- evaluation: "evaluated on the training set", "split mixes classes", "split size",
  "test_fraction ignored", "seed ignored", "not reproducible", "in place", "error".
"""

from __future__ import annotations

import math

import numpy as np
import torch

from gancourse.forensics import spectra

from ._core import CheckFailed, expect_tensor, passed, run_learner, run_pure


# ----------------------------------------------------------------------------- references
def _reference_profile(
    images: torch.Tensor,
    eps: float = 1e-10,
    shift: bool | str = True,
    reduce: str = "mean",
    power: int = 2,
    normalise: bool = True,
    log: bool = True,
) -> torch.Tensor:
    """The right answer, and (with the switches) the usual wrong ones."""
    gray = spectra.to_gray(images).double()
    h, w = gray.shape[-2:]
    spectrum = torch.fft.fft2(gray)
    if shift:  # "all": fftshift without dim=, which also rolls the batch
        spectrum = torch.fft.fftshift(spectrum, **({} if shift == "all" else {"dim": (-2, -1)}))
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


def _profile_call(spectrum_profile, images: torch.Tensor, *eps) -> torch.Tensor:
    out = run_pure(spectrum_profile, images, *eps, name="spectrum_profile")
    h, w = images.shape[-2:]
    shape = (len(images), min(h, w) // 2 + 1)
    if isinstance(out, torch.Tensor) and tuple(out.shape) != shape:
        raise CheckFailed(
            f"expected shape {shape} (one value per image and per radius 0 … min(H, W) // 2), "
            f"got {tuple(out.shape)}.",
            mistake="shape",
        )
    return expect_tensor(out, like=images, name="spectrum_profile").detach().double()


def check_spectrum_profile(spectrum_profile) -> bool:
    """Check ``spectrum_profile(images (B, 3, H, W), eps) -> (B, min(H, W) // 2 + 1)``
    log10 ring means: grey test images, colour ones, eps = 1e-3, float64 16 x 24 images."""
    images = _test_images()
    out = _profile_call(spectrum_profile, images)
    expected = _reference_profile(images)
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

    if not close(expected):
        _profile_named(out, images, close)
    # a colour image against the package (luma weights)
    colour = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(1)) * 2 - 1
    mine = _profile_call(spectrum_profile, colour)
    if not torch.allclose(mine, spectra.spectrum_profile(colour).double(), atol=1e-2):
        raise CheckFailed(
            "right on grey images but not on colour ones: convert to grey with the luma "
            "weights Y = 0.299 R + 0.587 G + 0.114 B before the FFT.",
            mistake="grey conversion",
        )
    big_eps = _profile_call(spectrum_profile, images, 1e-3)
    if not torch.allclose(big_eps, _reference_profile(images, eps=1e-3), atol=1e-2):
        raise CheckFailed(
            "with eps = 1e-3 your values are those of another eps: use the `eps` argument in "
            "log10(power + eps), not a constant.",
            mistake="eps hard-coded",
        )
    g = torch.Generator().manual_seed(2)  # another size (not square) and dtype
    wide = torch.rand(2, 3, 16, 24, generator=g, dtype=torch.float64) * 2 - 1
    got = _profile_call(spectrum_profile, wide)
    if not torch.allclose(got, _reference_profile(wide), atol=1e-6):
        raise CheckFailed(
            "right on 32 x 32 images but not on float64 16 x 24 ones: the centre is "
            "(H // 2, W // 2), the radii run to min(H, W) // 2, and nothing may assume a square "
            "or a fixed size.",
            mistake="wrong values",
        )
    return passed("rings averaged around the centred spectrum, in log10, without log(0).")


def _profile_named(out, images, close) -> None:
    """Name the usual wrong profile (the values differ from the reference)."""
    named = [
        (dict(shift=False), "no fftshift", "your rings are measured around the top-left corner: "
         "the FFT puts frequency 0 at index (0, 0). Apply torch.fft.fftshift(F, dim=(-2, -1)) so "
         "it sits at the centre (H // 2, W // 2)."),
        (dict(shift="all"), "fftshift over the batch", "torch.fft.fftshift without dim= shifts "
         "every axis, the batch too: each image gets another image's spectrum. Use "
         "torch.fft.fftshift(F, dim=(-2, -1))."),
        (dict(reduce="sum"), "summed rings", "you summed each ring; average it instead (divide "
         "by the number of pixels on the ring), otherwise outer rings look stronger only because "
         "they have more pixels."),
        (dict(log=False), "no log", "return the log10 of the ring means (plus eps): the values "
         "span many orders of magnitude."),
        (dict(power=1), "magnitude not power",
         "use the power |F|² (.abs() ** 2), not the magnitude |F|."),
        (dict(normalise=False), "not normalised", "divide the power by H·W (the number of "
         "pixels), so images of any size are comparable."),
    ]  # fmt: skip
    for switches, mistake, hint in named:
        if close(_reference_profile(images, **switches)):
            raise CheckFailed(hint, mistake=mistake)
    peak = out[0].argmax().item()
    raise CheckFailed(
        "the values differ from log10(mean over ring r of |fftshift(FFT2(Y))|² / (H W) + eps). "
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


def _numbers(out, keys, name: str) -> dict:
    """The result's values under ``keys`` as floats, or a hint (never a crash)."""
    if not isinstance(out, dict) or not set(keys) <= set(out):
        got = f"a dict with keys {sorted(map(str, out))}" if isinstance(out, dict) else type(out)
        raise CheckFailed(
            f"`{name}` must return a dict with the keys {', '.join(map(repr, keys))}, got "
            f"{getattr(got, '__name__', got)}.",
            mistake="not a dict",
        )
    values = {}
    for key in keys:
        try:
            values[key] = float(out[key])
        except (TypeError, ValueError, RuntimeError):
            raise CheckFailed(
                f"out[{key!r}] must be one number, got {type(out[key]).__name__}: "
                "wrap it in float(...).",
                mistake="not a number",
            ) from None
    return values


def _metrics_call(detection_metrics, scores, labels, *threshold) -> dict:
    before = scores.copy(), labels.copy()
    out = run_learner(detection_metrics, scores, labels, *threshold, name="detection_metrics")
    for what, old, now in (("scores", before[0], scores), ("labels", before[1], labels)):
        if not np.array_equal(old, now):
            raise CheckFailed(
                f"`detection_metrics` changed its input `{what}` in place (e.g. "
                f"{what}.sort(), {what}[...] = ..., np.random.shuffle({what})). The caller "
                f"still needs it: work on a copy ({what} = np.sort({what}), or .copy()).",
                mistake="in place",
            )
    return _numbers(out, ("accuracy", "average_precision"), "detection_metrics")


def check_detection_metrics(detection_metrics) -> bool:
    """Check ``detection_metrics(scores, labels, threshold=0.5) ->
    {"accuracy", "average_precision"}``, then another data set with threshold 0.4 and 0.3."""
    from sklearn.metrics import average_precision_score

    scores, labels = _metric_case()
    out = _metrics_call(detection_metrics, scores, labels)
    accuracy = float(((scores >= 0.5) == labels).mean())
    ap = average_precision_score(labels, scores)
    got_ap, got_acc = out["average_precision"], out["accuracy"]
    if not math.isclose(got_ap, ap, abs_tol=1e-6):
        hard = average_precision_score(labels, (scores >= 0.5).astype(int))
        if math.isclose(got_ap, hard, abs_tol=1e-6):
            raise CheckFailed(
                "average precision must be computed from the scores, not from hard 0/1 "
                "predictions: AP measures the ranking, and thresholding throws the ranking away. "
                "Use average_precision_score(labels, scores).",
                mistake="AP on hard labels",
            )
        if math.isclose(got_ap, average_precision_score(1 - labels, scores), abs_tol=1e-6):
            raise CheckFailed(
                "labels are 1 for fake and scores are P(fake): pass them as they are, "
                "average_precision_score(labels, scores).",
                mistake="labels flipped",
            )
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
    shifted = _metrics_call(detection_metrics, scores, labels, 0.4)
    if not math.isclose(
        shifted["accuracy"], float(((scores >= 0.4) == labels).mean()), abs_tol=1e-6
    ):
        raise CheckFailed(
            "use the `threshold` argument instead of a fixed 0.5.", mistake="threshold ignored"
        )
    rng = np.random.default_rng(3)  # another data set: 25 images, labels in another order
    labels2 = rng.integers(0, 2, 25)
    scores2 = np.clip(0.3 * labels2 + rng.random(25) * 0.7, 0, 1)
    other = _metrics_call(detection_metrics, scores2, labels2, 0.3)
    want = {
        "accuracy": float(((scores2 >= 0.3) == labels2).mean()),
        "average_precision": average_precision_score(labels2, scores2),
    }
    for key, value in want.items():
        if not math.isclose(other[key], value, abs_tol=1e-6):
            raise CheckFailed(
                f"right on the first scores but not on 25 others with threshold 0.3: {key} "
                f"should be {value:.3f}, got {other[key]:.3f}. Compute from the arguments only.",
                mistake="wrong accuracy" if key == "accuracy" else "wrong AP",
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


class _Spy:
    """A detector that records what it was trained on and what it scored (by image index:
    every test image carries its index in its first pixel)."""

    log: list = []

    def fit(self, real, fake):
        _Spy.log.append(("fit", _ids(real), _ids(fake)))
        return self

    def score(self, images):
        _Spy.log.append(("score", _ids(images)))
        return (images.flatten(1)[:, 0] >= 1000).double().numpy() * 0.8 + 0.1


def _ids(images) -> list[int]:
    return [int(round(float(v))) for v in torch.as_tensor(images).flatten(1)[:, 0]]


def _spy_images(n: int = 40):
    """Real images with ids 0 … n-1, fake ones with ids 1000 … 1000 + n - 1 (first pixel)."""
    real, fake = torch.zeros(n, 1, 2, 2), torch.zeros(n, 1, 2, 2)
    real[:, 0, 0, 0] = torch.arange(n, dtype=torch.float32)
    fake[:, 0, 0, 0] = torch.arange(n, dtype=torch.float32) + 1000
    return real, fake


def _spy_split(held_out_evaluation, test_fraction: float, seed: int) -> tuple:
    """Run with the spy; return (real train ids, fake train ids, scored ids)."""
    real, fake = _spy_images()
    _Spy.log = []
    out = run_pure(
        held_out_evaluation, _Spy, real, fake, test_fraction, seed, name="held_out_evaluation"
    )
    _numbers(out, ("accuracy", "average_precision"), "held_out_evaluation")
    fits = [entry for entry in _Spy.log if entry[0] == "fit"]
    scored = sorted(i for entry in _Spy.log if entry[0] == "score" for i in entry[1])
    if len(fits) != 1:
        raise CheckFailed(
            f"`held_out_evaluation` trained {len(fits)} detectors: make one with "
            "make_detector() and call .fit(real_train, fake_train) once.",
            mistake="split mixes classes",
        )
    _, real_ids, fake_ids = fits[0]
    if any(i >= 1000 for i in real_ids) or any(i < 1000 for i in fake_ids):
        raise CheckFailed(
            "fit(real, fake) received images of the other class: split real and fake images "
            "separately, and pass the real part first.",
            mistake="split mixes classes",
        )
    if set(scored) & set(real_ids + fake_ids):
        raise CheckFailed(
            "some images the detector was trained on were also scored: evaluate on the "
            "held-out part only.",
            mistake="evaluated on the training set",
        )
    return sorted(real_ids), sorted(fake_ids), scored


def check_held_out_evaluation(held_out_evaluation) -> bool:
    """Check ``held_out_evaluation(make_detector, real, fake, test_fraction=0.5, seed=0) ->
    metrics dict``: split each class, fit on the training part, evaluate on the test part only;
    the split follows test_fraction and seed, and the same seed gives the same split."""
    g = torch.Generator().manual_seed(0)
    real = torch.rand(40, 1, 4, 4, generator=g) * 2 - 1
    fake = torch.rand(40, 1, 4, 4, generator=g) * 2 - 1  # the same distribution: nothing to learn
    out = run_pure(held_out_evaluation, _Memoriser, real, fake, name="held_out_evaluation")
    metrics = _numbers(out, ("accuracy", "average_precision"), "held_out_evaluation")
    if metrics["accuracy"] > 0.9:
        raise CheckFailed(
            f"on real and fake images drawn from the *same* distribution you report accuracy "
            f"{metrics['accuracy']:.2f}: that is the detector remembering images it trained on. "
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
    easy = _numbers(
        run_pure(
            held_out_evaluation, _MeanBrightness, easy_real, easy_fake, name="held_out_evaluation"
        ),
        ("accuracy", "average_precision"),
        "held_out_evaluation",
    )
    if easy["accuracy"] < 0.95 or easy["average_precision"] < 0.95:
        raise CheckFailed(
            "on an easy task (dark real vs bright fake images) the held-out accuracy should be "
            f"~1, got {easy['accuracy']:.2f}: check that the real part is labelled 0, the fake "
            "part 1, and that both classes are in both the training and the test part.",
            mistake="split mixes classes",
        )
    first = _spy_split(held_out_evaluation, 0.5, 0)
    quarter = _spy_split(held_out_evaluation, 0.25, 0)
    if (len(quarter[0]), len(quarter[1]), len(quarter[2])) != (30, 30, 20):
        raise CheckFailed(
            f"with test_fraction = 0.25 and 40 images per class, expected 30 + 30 training "
            f"images and 10 + 10 test images, got {len(quarter[0])} + {len(quarter[1])} "
            f"training and {len(quarter[2])} test images: use the `test_fraction` argument.",
            mistake="test_fraction ignored",
        )
    if _spy_split(held_out_evaluation, 0.5, 0) != first:
        raise CheckFailed(
            "the same seed gave two different splits: shuffle with your own generator, "
            "g = torch.Generator().manual_seed(seed); torch.randperm(n, generator=g), not the "
            "global random state.",
            mistake="not reproducible",
        )
    if _spy_split(held_out_evaluation, 0.5, 1) == first:
        raise CheckFailed(
            "seed = 0 and seed = 1 gave the same split: the `seed` argument must drive the "
            "shuffle (torch.Generator().manual_seed(seed)), not a fixed seed or no shuffle.",
            mistake="seed ignored",
        )
    return passed(
        "trained on one part, evaluated on the other: chance on an impossible task, ~1 on an "
        "easy one; the split follows test_fraction and seed."
    )
