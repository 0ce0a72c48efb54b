"""Real-vs-fake detectors and how to evaluate them.

Derived in lesson 10 (its exercise evaluates a detector on held-out images).

Detectors (both expose ``score(images) -> P(fake)`` as a NumPy array)
    - :class:`FeatureDetector`: logistic regression (scikit-learn) on standardised features: the
      spectrum profile, low-resolution pixels, or both.
    - :class:`CNNDetector`: a small CNN trained with BCE on real (label 0) and fake (label 1)
      images; no pooling before its first layers, so it can see pixel-level artefacts.

Evaluation: :func:`detection_metrics` returns accuracy at a threshold (a *calibration* question:
is 0.5 the right cut-off?) and average precision (a *ranking* question: are the fakes scored above
the reals?), as in Wang et al. (2020).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ._checks import check_images
from .spectra import highpass, spectrum_profile

FEATURE_KINDS = ("spectrum", "pixels", "both")


def detector_features(
    images: torch.Tensor, kind: str = "spectrum", pixel_size: int = 16
) -> np.ndarray:
    """Feature matrix (B, D) for the logistic-regression detector.

    - ``"spectrum"``: :func:`spectrum_profile` of the image and of its high-pass residual;
    - ``"pixels"``: the image shrunk to ``pixel_size``² (area average), flattened;
    - ``"both"``: the two side by side.
    """
    images = check_images(images)
    if kind not in FEATURE_KINDS:
        raise ValueError(f"kind must be one of {FEATURE_KINDS}, got {kind!r}")
    parts = []
    if kind in ("spectrum", "both"):
        parts.append(spectrum_profile(images))
        parts.append(spectrum_profile(highpass(images)))
    if kind in ("pixels", "both"):
        parts.append(F.adaptive_avg_pool2d(images, pixel_size).flatten(1))
    return torch.cat(parts, 1).detach().cpu().double().numpy()


def _check_pair(real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    real, fake = check_images(real, "real"), check_images(fake, "fake")
    if real.shape[1:] != fake.shape[1:]:
        raise ValueError(
            f"real and fake images must have the same (C, H, W): got {tuple(real.shape[1:])} "
            f"and {tuple(fake.shape[1:])}. "
            "Resize one set to match (forensics.rescale / interpolate)."
        )
    return real, fake


class FeatureDetector:
    """Logistic regression ``P(fake | x) = σ(wᵀ f(x) + b)`` on standardised features ``f`` (see
    :func:`detector_features`). ``fit(real, fake)``, then ``score(images)``."""

    def __init__(self, kind: str = "spectrum", C: float = 1.0, pixel_size: int = 16):
        if kind not in FEATURE_KINDS:
            raise ValueError(f"kind must be one of {FEATURE_KINDS}, got {kind!r}")
        self.kind, self.C, self.pixel_size = kind, C, pixel_size
        self.model = None
        self.image_shape = None

    def features(self, images: torch.Tensor) -> np.ndarray:
        return detector_features(images, self.kind, self.pixel_size)

    def fit(self, real: torch.Tensor, fake: torch.Tensor) -> FeatureDetector:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        real, fake = _check_pair(real, fake)
        X = np.concatenate([self.features(real), self.features(fake)])
        y = np.concatenate([np.zeros(len(real)), np.ones(len(fake))])
        self.model = make_pipeline(StandardScaler(), LogisticRegression(C=self.C, max_iter=3000))
        self.model.fit(X, y)
        self.image_shape = tuple(real.shape[1:])
        return self

    def score(self, images: torch.Tensor) -> np.ndarray:
        """P(fake) for each image, (B,) NumPy array."""
        if self.model is None:
            raise RuntimeError(
                "this detector is not trained yet: call detector.fit(real, fake) first"
            )
        images = check_images(images)
        if tuple(images.shape[1:]) != self.image_shape:
            raise ValueError(
                f"this detector was trained on images {self.image_shape}, "
                f"got {tuple(images.shape[1:])}"
            )
        return self.model.predict_proba(self.features(images))[:, 1]


class CNNDetector(nn.Module):
    """A small CNN ``D: images (B, C, S, S) -> logit of P(fake)``, any S >= 16.

    ::

        x (B, C, S, S)
        conv3x3 s1, LeakyReLU        -> (B, w, S, S)     full resolution: sees pixel-level patterns
        conv3x3 s2, BN, LeakyReLU    -> (B, 2w, S/2, S/2)
        conv3x3 s2, BN, LeakyReLU    -> (B, 4w, S/4, S/4)
        conv3x3 s2, BN, LeakyReLU    -> (B, 4w, S/8, S/8)
        global average pool, linear  -> (B,)
    """

    def __init__(self, channels: int = 3, width: int = 16):
        super().__init__()
        if channels not in (1, 3) or width < 1:
            raise ValueError(
                f"channels must be 1 or 3 and width >= 1, got channels={channels}, width={width}"
            )
        self.config = {"channels": channels, "width": width}
        w = width

        def block(cin, cout, stride, norm=True):
            layers = [nn.Conv2d(cin, cout, 3, stride, 1, bias=not norm)]
            if norm:
                layers.append(nn.BatchNorm2d(cout))
            layers.append(nn.LeakyReLU(0.2, True))
            return nn.Sequential(*layers)

        self.features = nn.Sequential(
            block(channels, w, 1, norm=False),  # (B, w, S, S)
            block(w, 2 * w, 2),  # (B, 2w, S/2, S/2)
            block(2 * w, 4 * w, 2),  # (B, 4w, S/4, S/4)
            block(4 * w, 4 * w, 2),  # (B, 4w, S/8, S/8)
        )
        self.head = nn.Linear(4 * w, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = check_images(x, min_size=8)
        if x.shape[1] != self.config["channels"]:
            raise ValueError(
                f"this detector expects {self.config['channels']}-channel images, got {x.shape[1]}"
            )
        h = self.features(x).mean((2, 3))  # (B, 4w)
        return self.head(h).flatten()  # (B,) logits

    @torch.no_grad()
    def score(self, images: torch.Tensor, batch_size: int = 256) -> np.ndarray:
        """P(fake) for each image, (B,) NumPy array (eval mode, no gradients)."""
        images = check_images(images, min_size=8)
        was_training = self.training
        self.eval()
        device = next(self.parameters()).device
        out = [
            torch.sigmoid(self(images[i : i + batch_size].to(device))).cpu()
            for i in range(0, len(images), batch_size)
        ]
        self.train(was_training)
        return torch.cat(out).double().numpy()


def train_cnn_detector(
    real: torch.Tensor,
    fake: torch.Tensor,
    steps: int = 300,
    batch_size: int = 64,
    lr: float = 2e-3,
    width: int = 16,
    seed: int = 0,
    augment: Callable | None = None,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> CNNDetector:
    """Train a :class:`CNNDetector` with BCE, label 1 = fake.

    ``augment(images)`` (optional) is applied to every batch (e.g. random blur/JPEG, which Wang et
    al. (2020) found makes detectors robust). ``progress`` shows a tqdm bar over the steps.
    """
    real, fake = _check_pair(real, fake)
    if steps < 1 or batch_size < 2:
        raise ValueError(
            f"steps must be >= 1 and batch_size >= 2, got steps={steps}, batch_size={batch_size}"
        )
    device = torch.device(device) if device is not None else real.device
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = CNNDetector(real.shape[1], width).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.5, 0.999))
    half = batch_size // 2
    model.train()
    bar = tqdm(range(steps), desc="CNN detector", disable=not progress, leave=False, mininterval=1)
    for _ in bar:
        x = torch.cat(
            [
                real[torch.randint(len(real), (half,), generator=g)],
                fake[torch.randint(len(fake), (half,), generator=g)],
            ]
        )
        if augment is not None:
            x = augment(x)
        y = torch.cat([torch.zeros(half), torch.ones(half)])
        loss = F.binary_cross_entropy_with_logits(model(x.to(device)), y.to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return model.eval()


# --------------------------------------------------------------------------------------------------
# evaluation


def detection_metrics(scores, labels, threshold: float = 0.5) -> dict[str, float]:
    """Accuracy at ``threshold``, average precision and ROC AUC of P(fake) scores vs labels.

    Labels: 1 = fake, 0 = real.
    - accuracy: share of images on the right side of the threshold (depends on calibration);
    - average precision ``AP = Σ_k (R_k - R_{k-1}) P_k`` over the ranking by score
      (``sklearn.metrics.average_precision_score``; depends only on the order of the scores);
    - ``real_accuracy`` / ``fake_accuracy``: accuracy on each class alone (which side fails).
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    scores = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(labels).ravel()
    if scores.shape != labels.shape:
        raise ValueError(
            f"one score per label: got {scores.shape[0]} scores and {labels.shape[0]} labels"
        )
    if not set(np.unique(labels).tolist()) <= {0, 1} or len(np.unique(labels)) < 2:
        raise ValueError("labels must be 0 (real) / 1 (fake) with both present")
    if not np.isfinite(scores).all():
        raise ValueError("scores contain NaN or inf")
    predicted = scores >= threshold
    correct = predicted == labels.astype(bool)
    return {
        "accuracy": float(correct.mean()),
        "average_precision": float(average_precision_score(labels, scores)),
        "roc_auc": float(roc_auc_score(labels, scores)),
        "real_accuracy": float(correct[labels == 0].mean()),
        "fake_accuracy": float(correct[labels == 1].mean()),
        "n": int(len(labels)),
    }


def evaluate_detector(
    detector,
    real: torch.Tensor,
    fake: torch.Tensor,
    threshold: float = 0.5,
    transform: Callable | None = None,
) -> dict[str, float]:
    """:func:`detection_metrics` of ``detector.score`` on held-out ``real`` and ``fake`` images,
    each optionally passed through ``transform`` first (a perturbation)."""
    if not hasattr(detector, "score"):
        raise TypeError(f"detector must have a score(images) method, got {type(detector).__name__}")
    real, fake = _check_pair(real, fake)
    if transform is not None:
        real, fake = transform(real), transform(fake)
    scores = np.concatenate([np.asarray(detector.score(real)), np.asarray(detector.score(fake))])
    labels = np.concatenate([np.zeros(len(real), dtype=int), np.ones(len(fake), dtype=int)])
    return detection_metrics(scores, labels, threshold)
