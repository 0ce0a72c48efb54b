"""Detecting generated images: frequency spectra, a small real-vs-fake detector, robustness tests.

Lesson 10 uses this module to ask three honest questions about the course's own fakes: can they be
told apart from the real (rendered) faces, does a detector trained on one generator catch another,
and does it survive the blur, JPEG and resizing that every image on the web goes through?

Azimuthally averaged power spectrum (Durall et al., 2020; Dzanic et al., 2020)
    For a grey image ``x`` (H, W), the centred power spectrum is

        ``P(u, v) = |F(u, v)|² / (H W)``,  ``F = fftshift(FFT2(x))``

    (``fftshift`` moves the zero frequency to the centre ``(H // 2, W // 2)``). Pixels at the same
    distance from the centre, ``r(u, v) = round(√((u - H//2)² + (v - W//2)²))``, are averaged
    (not summed, so every radius is on the same scale whatever its circumference):

        ``S(r) = log10( (1 / N_r) Σ_{r(u, v) = r} P(u, v) + ε )``,  r = 0 … min(H, W) // 2,

    ``N_r`` the number of pixels at radius r and ``ε`` (1e-10) keeping ``log10`` away from 0.
    Natural images fall off smoothly with frequency; the transposed convolutions in a generator
    repeat a 2×2 (4×4, …) pattern that shows up as excess power near the highest frequencies
    and as peaks at N/2, N/4 in the 2-D spectrum (Odena et al., 2016; Frank et al., 2020).

Detectors (both expose ``score(images) -> P(fake)`` as a NumPy array)
    - :class:`FeatureDetector`: logistic regression (scikit-learn) on standardised features: the
      spectrum profile, low-resolution pixels, or both.
    - :class:`CNNDetector`: a small CNN trained with BCE on real (label 0) and fake (label 1) images;
      no pooling before its first layers, so it can see pixel-level artefacts.

Evaluation: :func:`detection_metrics` returns accuracy at a threshold (a *calibration* question:
is 0.5 the right cut-off?) and average precision (a *ranking* question: are the fakes scored above
the reals?), as in Wang et al. (2020).

Perturbations: :func:`gaussian_blur`, :func:`jpeg` (PIL, in memory), :func:`rescale` (down and back
up), :func:`crop`; :func:`perturbations` gives the standard set the lesson tests against.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

EPS = 1e-10
LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601 weights, as in JPEG


# --------------------------------------------------------------------------------------------------
# input checks


def check_images(images, name: str = "images", min_size: int = 2) -> torch.Tensor:
    """Return ``images`` as a float tensor (B, C, H, W), C in {1, 3}; raise a clear error otherwise."""
    if isinstance(images, np.ndarray):
        raise TypeError(f"{name} must be a torch.Tensor (B, C, H, W); convert NumPy arrays with "
                        "torch.from_numpy(array).permute(0, 3, 1, 2) (channels-last to channels-first).")
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (B, C, H, W), got {type(images).__name__}")
    if images.dim() == 3:
        images = images.unsqueeze(0)
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        hint = ""
        if images.dim() == 4 and images.shape[-1] in (1, 3):
            hint = " Channels-last arrays (B, H, W, C) need .permute(0, 3, 1, 2) first."
        raise ValueError(f"{name} must have shape (B, C, H, W) with C = 1 or 3, got {tuple(images.shape)}.{hint}")
    if images.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (B = 0)")
    if min(images.shape[-2:]) < min_size:
        raise ValueError(f"{name} must be at least {min_size}x{min_size} pixels, got {tuple(images.shape[-2:])}")
    if not images.is_floating_point():
        raise TypeError(f"{name} must be float images in [-1, 1], got dtype {images.dtype}; "
                        "convert uint8 pixels with x / 127.5 - 1.")
    if not torch.isfinite(images).all():
        raise ValueError(f"{name} contains NaN or inf values")
    return images.float()


def to_gray(images: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, H, W) luminance ``Y = 0.299 R + 0.587 G + 0.114 B`` (C = 1: the channel)."""
    images = check_images(images)
    if images.shape[1] == 1:
        return images[:, 0]
    weights = torch.tensor(LUMA, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
    return (images * weights).sum(1)


# --------------------------------------------------------------------------------------------------
# spectra


def power_spectrum(images: torch.Tensor) -> torch.Tensor:
    """Centred power spectrum ``P = |fftshift(FFT2(gray))|² / (H W)`` of each image, (B, H, W)."""
    gray = to_gray(images)
    h, w = gray.shape[-2:]
    spectrum = torch.fft.fftshift(torch.fft.fft2(gray), dim=(-2, -1))
    return spectrum.abs().square() / (h * w)


def radius_map(height: int, width: int) -> torch.Tensor:
    """(H, W) long tensor: the integer distance ``round(√(du² + dv²))`` of each pixel from the centre
    ``(H // 2, W // 2)``, where ``fftshift`` puts the zero frequency."""
    if height < 1 or width < 1:
        raise ValueError(f"height and width must be positive, got {height}x{width}")
    u = torch.arange(height, dtype=torch.float64) - height // 2
    v = torch.arange(width, dtype=torch.float64) - width // 2
    return torch.sqrt(u[:, None] ** 2 + v[None, :] ** 2).round().long()


def azimuthal_average(power: torch.Tensor) -> torch.Tensor:
    """Mean of a centred (B, H, W) map over each ring of integer radius r = 0 … min(H, W) // 2 -> (B, R).

    The corners (radii beyond the inscribed circle) are left out: only part of their ring exists.
    """
    if not isinstance(power, torch.Tensor) or power.dim() != 3:
        got = tuple(power.shape) if isinstance(power, torch.Tensor) else type(power).__name__
        raise ValueError(f"power must be a (B, H, W) tensor (e.g. from power_spectrum), got {got}")
    b, h, w = power.shape
    radii = radius_map(h, w).to(power.device).flatten()
    n_r = min(h, w) // 2 + 1
    keep = radii < n_r
    index = radii[keep]
    values = power.reshape(b, -1)[:, keep].double()
    sums = torch.zeros(b, n_r, dtype=torch.float64, device=power.device).index_add_(1, index, values)
    counts = torch.bincount(index, minlength=n_r).to(sums)
    return (sums / counts).to(power.dtype)


def spectrum_profile(images: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """Azimuthally averaged power spectrum in log10 scale, (B, min(H, W) // 2 + 1).

    ``S(r) = log10(mean_{ring r} |fftshift(FFT2(gray))|² / (H W) + eps)``; index 0 is the mean
    brightness (DC), the last index the highest frequency along the axes (Nyquist).
    """
    if eps <= 0:
        raise ValueError(f"eps must be > 0 (it keeps log10 away from zero), got {eps}")
    return torch.log10(azimuthal_average(power_spectrum(images)) + eps)


def highpass(images: torch.Tensor, sigma: float = 1.0) -> torch.Tensor:
    """The residual ``x - blur_σ(x)``: the image content a generator's upsampling leaves its mark on."""
    images = check_images(images)
    return images - gaussian_blur(images, sigma)


def mean_log_spectrum(images: torch.Tensor, residual: bool = True, eps: float = EPS) -> torch.Tensor:
    """The batch mean of ``log10 P(u, v)``, (H, W): the picture in which upsampling artefacts appear as
    bright dots. With ``residual`` the spectrum of the high-pass residual is used (Zhang et al., 2019)."""
    images = check_images(images)
    if residual:
        images = highpass(images)
    return torch.log10(power_spectrum(images) + eps).mean(0)


# --------------------------------------------------------------------------------------------------
# perturbations an image meets on its way through the web


def gaussian_blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian blur with standard deviation ``sigma`` pixels (kernel 2·ceil(3σ) + 1, reflect padding)."""
    from torchvision.transforms.v2 import functional as TF

    images = check_images(images)
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}")
    if sigma == 0:
        return images.clone()
    side = min(images.shape[-2:])
    k = min(2 * math.ceil(3 * sigma) + 1, side if side % 2 else side - 1)  # odd, fits the image
    return TF.gaussian_blur(images, kernel_size=[k, k], sigma=[sigma, sigma])


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] float -> uint8 ``round((x + 1) · 127.5)``, clamped."""
    return ((check_images(images) + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)


def from_uint8(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 -> [-1, 1] float ``v / 127.5 - 1``."""
    return pixels.float() / 127.5 - 1


def jpeg(images: torch.Tensor, quality: int = 75) -> torch.Tensor:
    """Encode every image as JPEG at ``quality`` (1 … 95) in memory with PIL and decode it again."""
    from PIL import Image

    images = check_images(images)
    if not isinstance(quality, int) or not 1 <= quality <= 95:
        raise ValueError(f"JPEG quality must be an int in 1 … 95, got {quality!r}")
    pixels = to_uint8(images).permute(0, 2, 3, 1).cpu().numpy()
    out = []
    for array in pixels:
        pil = Image.fromarray(array[..., 0] if array.shape[2] == 1 else array)
        buffer = io.BytesIO()
        pil.save(buffer, format="JPEG", quality=quality)
        decoded = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert(pil.mode))
        out.append(torch.from_numpy(decoded.copy()).reshape(array.shape))
    return from_uint8(torch.stack(out).permute(0, 3, 1, 2)).to(images.device)


def rescale(images: torch.Tensor, factor: float) -> torch.Tensor:
    """Resize by ``factor`` (bilinear, antialiased) and back to the original size: what a thumbnail
    does to the high frequencies, while the detector still gets the size it was trained on."""
    images = check_images(images)
    if not 0 < factor <= 4:
        raise ValueError(f"factor must be in (0, 4], got {factor}")
    h, w = images.shape[-2:]
    small = (max(1, round(h * factor)), max(1, round(w * factor)))
    down = F.interpolate(images, size=small, mode="bilinear", antialias=factor < 1, align_corners=False)
    return F.interpolate(down, size=(h, w), mode="bilinear", align_corners=False).clamp(-1, 1)


def crop(images: torch.Tensor, top: int, left: int, height: int, width: int) -> torch.Tensor:
    """The window ``images[..., top:top + height, left:left + width]``, checked to lie inside."""
    images = check_images(images)
    h, w = images.shape[-2:]
    if top < 0 or left < 0 or height < 1 or width < 1 or top + height > h or left + width > w:
        raise ValueError(f"crop window top={top}, left={left}, {height}x{width} does not fit in {h}x{w} images")
    return images[..., top:top + height, left:left + width]


def perturbations(size: int = 64) -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    """The standard test set of lesson 10: name -> function (images -> images of the same size)."""
    return {
        "none": lambda x: x,
        "blur σ=1": lambda x: gaussian_blur(x, 1.0),
        "JPEG q=90": lambda x: jpeg(x, 90),
        "JPEG q=75": lambda x: jpeg(x, 75),
        "resize ×0.5": lambda x: rescale(x, 0.5),
    }


# --------------------------------------------------------------------------------------------------
# features and detectors


FEATURE_KINDS = ("spectrum", "pixels", "both")


def detector_features(images: torch.Tensor, kind: str = "spectrum", pixel_size: int = 16) -> np.ndarray:
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
        raise ValueError(f"real and fake images must have the same (C, H, W): got {tuple(real.shape[1:])} "
                         f"and {tuple(fake.shape[1:])}. Resize one set to match (forensics.rescale / interpolate).")
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
            raise RuntimeError("this detector is not trained yet: call detector.fit(real, fake) first")
        images = check_images(images)
        if tuple(images.shape[1:]) != self.image_shape:
            raise ValueError(f"this detector was trained on images {self.image_shape}, got {tuple(images.shape[1:])}")
        return self.model.predict_proba(self.features(images))[:, 1]


class CNNDetector(nn.Module):
    """A small CNN ``D: images (B, C, S, S) -> logit of P(fake)``, any S >= 16.

    ::

        x (B, C, S, S)
        conv3x3 s1, LeakyReLU        -> (B, w, S, S)        full resolution: sees pixel-level patterns
        conv3x3 s2, BN, LeakyReLU    -> (B, 2w, S/2, S/2)
        conv3x3 s2, BN, LeakyReLU    -> (B, 4w, S/4, S/4)
        conv3x3 s2, BN, LeakyReLU    -> (B, 4w, S/8, S/8)
        global average pool, linear  -> (B,)
    """

    def __init__(self, channels: int = 3, width: int = 16):
        super().__init__()
        if channels not in (1, 3) or width < 1:
            raise ValueError(f"channels must be 1 or 3 and width >= 1, got channels={channels}, width={width}")
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
            block(w, 2 * w, 2),                 # (B, 2w, S/2, S/2)
            block(2 * w, 4 * w, 2),             # (B, 4w, S/4, S/4)
            block(4 * w, 4 * w, 2),             # (B, 4w, S/8, S/8)
        )
        self.head = nn.Linear(4 * w, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = check_images(x, min_size=8)
        if x.shape[1] != self.config["channels"]:
            raise ValueError(f"this detector expects {self.config['channels']}-channel images, got {x.shape[1]}")
        h = self.features(x).mean((2, 3))  # (B, 4w)
        return self.head(h).flatten()      # (B,) logits

    @torch.no_grad()
    def score(self, images: torch.Tensor, batch_size: int = 256) -> np.ndarray:
        """P(fake) for each image, (B,) NumPy array (eval mode, no gradients)."""
        images = check_images(images, min_size=8)
        was_training = self.training
        self.eval()
        device = next(self.parameters()).device
        out = [torch.sigmoid(self(images[i:i + batch_size].to(device))).cpu()
               for i in range(0, len(images), batch_size)]
        self.train(was_training)
        return torch.cat(out).double().numpy()


def train_cnn_detector(real: torch.Tensor, fake: torch.Tensor, steps: int = 300, batch_size: int = 64,
                       lr: float = 2e-3, width: int = 16, seed: int = 0, augment: Callable | None = None,
                       device: str | torch.device | None = None) -> CNNDetector:
    """Train a :class:`CNNDetector` with BCE, label 1 = fake; ``augment(images)`` (optional) is applied
    to every batch (e.g. random blur/JPEG, which Wang et al. (2020) found makes detectors robust)."""
    real, fake = _check_pair(real, fake)
    if steps < 1 or batch_size < 2:
        raise ValueError(f"steps must be >= 1 and batch_size >= 2, got steps={steps}, batch_size={batch_size}")
    device = torch.device(device) if device is not None else real.device
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = CNNDetector(real.shape[1], width).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.5, 0.999))
    half = batch_size // 2
    model.train()
    for _ in range(steps):
        x = torch.cat([real[torch.randint(len(real), (half,), generator=g)],
                       fake[torch.randint(len(fake), (half,), generator=g)]])
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
    """Accuracy at ``threshold``, average precision and ROC AUC of scores P(fake) against labels (1 = fake).

    - accuracy: share of images on the right side of the threshold (depends on calibration);
    - average precision ``AP = Σ_k (R_k - R_{k-1}) P_k`` over the ranking by score
      (``sklearn.metrics.average_precision_score``; depends only on the order of the scores);
    - ``real_accuracy`` / ``fake_accuracy``: accuracy on each class alone (tells *which* side fails).
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    scores = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(labels).ravel()
    if scores.shape != labels.shape:
        raise ValueError(f"one score per label: got {scores.shape[0]} scores and {labels.shape[0]} labels")
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


def evaluate_detector(detector, real: torch.Tensor, fake: torch.Tensor, threshold: float = 0.5,
                      transform: Callable | None = None) -> dict[str, float]:
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
