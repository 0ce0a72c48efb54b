"""The lesson 10 checks pass on the solution and name the common mistakes."""

import numpy as np
import pytest
import torch
from sklearn.metrics import average_precision_score

from gancourse import forensics
from gancourse.checks import (
    CheckFailed,
    NotImplementedYet,
    lesson06,
    lesson07,
    lesson08,
    lesson09,
    lesson10,
)

LUMA = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)


def profile(
    images, eps=1e-10, shift=True, reduce="mean", power=2, normalise=True, log=True, gray=None
):
    g = (images * LUMA).sum(1) if gray is None else gray(images)
    h, w = g.shape[-2:]
    f = torch.fft.fft2(g)
    if shift:
        f = torch.fft.fftshift(f, dim=(-2, -1))
    p = f.abs() ** power
    if normalise:
        p = p / (h * w)
    i, j = torch.meshgrid(torch.arange(h) - h // 2, torch.arange(w) - w // 2, indexing="ij")
    ring = torch.sqrt((i**2 + j**2).double()).round().long()
    rings = [
        (p[:, ring == r].mean(1) if reduce == "mean" else p[:, ring == r].sum(1))
        for r in range(min(h, w) // 2 + 1)
    ]
    out = torch.stack(rings, 1)
    if not log:
        return out
    return torch.log10(out + eps) if eps else torch.log10(out)


def good_metrics(scores, labels, threshold=0.5):
    scores, labels = np.asarray(scores, float), np.asarray(labels)
    return {
        "accuracy": float(((scores >= threshold) == labels.astype(bool)).mean()),
        "average_precision": float(average_precision_score(labels, scores)),
    }


def good_held_out(make_detector, real, fake, test_fraction=0.5, seed=0):
    g = torch.Generator().manual_seed(seed)
    real, fake = (
        real[torch.randperm(len(real), generator=g)],
        fake[torch.randperm(len(fake), generator=g)],
    )
    nr, nf = int(len(real) * test_fraction), int(len(fake) * test_fraction)
    det = make_detector().fit(real[nr:], fake[nf:])
    scores = np.concatenate([det.score(real[:nr]), det.score(fake[:nf])])
    labels = np.concatenate([np.zeros(nr, dtype=int), np.ones(nf, dtype=int)])
    return forensics.detection_metrics(scores, labels)


def test_solutions_pass(capsys):
    assert lesson10.check_spectrum_profile(profile)
    # forensics.spectrum_profile computes in float32 whatever the input; the exercise keeps dtypes
    assert lesson10.check_spectrum_profile(
        lambda x, eps=1e-10: forensics.spectrum_profile(x, eps).to(x.dtype)
    )
    assert lesson10.check_detection_metrics(good_metrics)
    assert lesson10.check_detection_metrics(forensics.detection_metrics)
    assert lesson10.check_held_out_evaluation(good_held_out)
    assert capsys.readouterr().out.count("✅ Passed") == 5


def blank(*args, **kwargs):
    raise NotImplementedError()


@pytest.mark.parametrize(
    "check",
    [
        lesson10.check_spectrum_profile,
        lesson10.check_detection_metrics,
        lesson10.check_held_out_evaluation,
    ],
)
def test_blank_is_not_implemented(check):
    with pytest.raises(NotImplementedYet):
        check(blank)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("no fftshift", lambda x: profile(x, shift=False)),
        ("summed rings", lambda x: profile(x, reduce="sum")),
        ("log of zero", lambda x: profile(x, eps=0)),
        ("no log", lambda x: profile(x, log=False)),
        ("magnitude not power", lambda x: profile(x, power=1)),
        ("not normalised", lambda x: profile(x, normalise=False)),
        ("shape", lambda x: profile(x)[:, :-1]),
        ("grey conversion", lambda x: profile(x, gray=lambda im: im.mean(1))),
        ("wrong values", lambda x: profile(x) + 1),
        ("not a tensor", lambda x: profile(x).tolist()),
    ],
)
def test_spectrum_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson10.check_spectrum_profile(func)
    assert info.value.mistake == mistake


def hard_ap(scores, labels, threshold=0.5):
    predicted = (np.asarray(scores) >= threshold).astype(int)
    return {
        "accuracy": float((predicted == labels).mean()),
        "average_precision": float(average_precision_score(labels, predicted)),
    }


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("AP on hard labels", hard_ap),
        (
            "labels flipped",
            lambda s, y, t=0.5: {
                **good_metrics(s, y, t),
                "average_precision": float(average_precision_score(1 - y, s)),
            },
        ),
        (
            "wrong accuracy",
            lambda s, y, t=0.5: {
                **good_metrics(s, y, t),
                "accuracy": float(np.mean(np.round(s) == y) + 0.1),
            },
        ),
        ("threshold ignored", lambda s, y, t=0.5: good_metrics(s, y, 0.5)),
        ("not a dict", lambda s, y, t=0.5: (0.5, 1.0)),
    ],
)
def test_metric_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson10.check_detection_metrics(func)
    assert info.value.mistake == mistake


def on_training_set(make_detector, real, fake, test_fraction=0.5, seed=0):
    det = make_detector().fit(real, fake)
    scores = np.concatenate([det.score(real), det.score(fake)])
    labels = np.concatenate([np.zeros(len(real), dtype=int), np.ones(len(fake), dtype=int)])
    return forensics.detection_metrics(scores, labels)


def mixed_split(make_detector, real, fake, test_fraction=0.5, seed=0):
    # trains on real vs real and tests on fake vs fake with made-up labels: classes mixed up
    n = len(real) // 2
    det = make_detector().fit(real[:n], real[n:])
    scores = np.concatenate([det.score(fake[:n]), det.score(fake[n:])])
    labels = np.concatenate([np.zeros(n, dtype=int), np.ones(len(fake) - n, dtype=int)])
    return forensics.detection_metrics(scores, labels)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("evaluated on the training set", on_training_set),
        ("split mixes classes", mixed_split),
        ("not a dict", lambda *a, **k: 0.9),
    ],
)
def test_held_out_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson10.check_held_out_evaluation(func)
    assert info.value.mistake == mistake


# ----------------------------------------------------------------------------- issue 20 mistakes
def _profile_inplace(images, eps=1e-10):
    images.clamp_(-0.5, 0.5)  # changes the caller's images
    return profile(images, eps)


def _profile_shift_all(images, eps=1e-10):
    gray = (images * LUMA).sum(1)
    power = torch.fft.fftshift(torch.fft.fft2(gray)).abs() ** 2 / gray[0].numel()  # no dim=
    return torch.log10(forensics.spectra.azimuthal_average(power) + eps)


def _profile_radii_of_width(images, eps=1e-10):
    out = profile(images, eps)  # then pads to W // 2 + 1 radii: the right count only if H == W
    extra = images.shape[-1] // 2 + 1 - out.shape[1]
    return torch.cat([out, out[:, -1:].expand(-1, extra)], 1)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("in place", _profile_inplace),
        ("fftshift over the batch", _profile_shift_all),
        ("eps hard-coded", lambda x, eps=1e-10: profile(x)),
        ("dtype", lambda x, eps=1e-10: profile(x, eps).double()),
        ("dtype", lambda x, eps=1e-10: profile(x, eps).float()),
        ("not a tensor", lambda x, eps=1e-10: profile(x, eps).numpy()),
        ("not a tensor", lambda x, eps=1e-10: None),
        ("shape", _profile_radii_of_width),
        (
            "wrong values",
            lambda x, eps=1e-10: (
                profile(x, eps) if x.shape[-1] == x.shape[-2] else profile(x, eps) * 0.5
            ),
        ),
    ],
)
def test_spectrum_issue20_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson10.check_spectrum_profile(func)
    assert info.value.mistake == mistake, str(info.value)


def _metrics_sorting(scores, labels, threshold=0.5):
    order = np.argsort(scores)
    labels[:] = labels[order]  # sorts the caller's arrays in place
    scores.sort()
    return good_metrics(scores, labels, threshold)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("in place", _metrics_sorting),
        ("not a number", lambda s, y, t=0.5: {**good_metrics(s, y, t), "accuracy": None}),
        ("not a number", lambda s, y, t=0.5: {**good_metrics(s, y, t), "accuracy": [0.5, 0.5]}),
        ("not a dict", lambda s, y, t=0.5: None),
        ("not a dict", lambda s, y, t=0.5: {"acc": 1.0}),
        (
            "wrong accuracy",
            lambda s, y, t=0.5: good_metrics(s, y, t) if len(s) == 10 else good_metrics(s, y, 0.5),
        ),
    ],
)
def test_metrics_issue20_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson10.check_detection_metrics(func)
    assert info.value.mistake == mistake, str(info.value)


def _held_out_with(make_perm):
    def held_out(make_detector, real, fake, test_fraction=0.5, seed=0):
        real, fake = real[make_perm(len(real), seed)], fake[make_perm(len(fake), seed)]
        nr, nf = int(len(real) * test_fraction), int(len(fake) * test_fraction)
        det = make_detector().fit(real[nr:], fake[nf:])
        scores = np.concatenate([det.score(real[:nr]), det.score(fake[:nf])])
        labels = np.concatenate([np.zeros(nr, dtype=int), np.ones(nf, dtype=int)])
        return forensics.detection_metrics(scores, labels)

    return held_out


def _held_out_shuffles_inputs(make_detector, real, fake, test_fraction=0.5, seed=0):
    np.random.default_rng(seed).shuffle(real.numpy())  # shuffles the caller's tensor in place
    return good_held_out(make_detector, real, fake, test_fraction, seed)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("in place", _held_out_shuffles_inputs),
        (
            "test_fraction ignored",
            lambda m, r, f, test_fraction=0.5, seed=0: good_held_out(m, r, f, 0.5, seed),
        ),
        (
            "seed ignored",
            lambda m, r, f, test_fraction=0.5, seed=0: good_held_out(m, r, f, test_fraction, 0),
        ),
        ("seed ignored", _held_out_with(lambda n, seed: torch.arange(n))),
        ("not reproducible", _held_out_with(lambda n, seed: torch.randperm(n))),
        ("not a number", lambda *a, **k: {"accuracy": "high", "average_precision": 1.0}),
    ],
)
def test_held_out_issue20_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson10.check_held_out_evaluation(func)
    assert info.value.mistake == mistake, str(info.value)


# One test for the checks of lessons 06-10 (the lessons this part of issue 20 covered): whatever a
# learner's function returns, the check answers with a hint, never a traceback.
CRASH_PRONE = [None, np.zeros(3), 0.5, "text", (torch.zeros(2), 1), {"accuracy": None}]
CRASH_PRONE += [
    torch.zeros(3, dtype=torch.float64),
    torch.full((2, 2), float("nan")),
    torch.zeros(0),
]
CHECKS_06_TO_10 = [
    getattr(module, name)
    for module in (lesson06, lesson07, lesson08, lesson09, lesson10)
    for name in dir(module)
    if name.startswith("check_")
]


def test_every_check_of_lessons_06_to_10_is_covered():
    assert len(CHECKS_06_TO_10) == 17  # 13 + masked blend, inversion loss, texture, CycleGAN step


@pytest.mark.parametrize("value", CRASH_PRONE, ids=range(len(CRASH_PRONE)))
@pytest.mark.parametrize("check", CHECKS_06_TO_10, ids=lambda c: c.__name__)
def test_crash_prone_returns_give_a_hint_not_a_traceback(check, value):
    with pytest.raises(CheckFailed):
        check(lambda *args, **kwargs: value)


@pytest.mark.parametrize("check", CHECKS_06_TO_10, ids=lambda c: c.__name__)
def test_checks_leave_the_global_random_state_alone(check):
    """Test data comes from the checks' own generators: a learner's seeded notebook is not
    shifted by running a check (lesson 07's generator and lesson 09's nets are built before the
    learner's function is called, so the blank function is enough)."""
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    with pytest.raises(NotImplementedYet):
        check(blank)
    assert torch.equal(torch.rand(3), expected)
