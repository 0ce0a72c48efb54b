"""Sample-quality metrics on features from a feature extractor you pass in.

FID, KID, precision/recall.

A metric compares two *sets* of images through an embedding ``φ`` (a feature extractor):

- **FID** (Heusel et al., 2017): fit a Gaussian to each feature set and take the Fréchet distance
  ``FID = ‖μ_r - μ_g‖² + Tr(Σ_r + Σ_g - 2 (Σ_r^½ Σ_g Σ_r^½)^½)``. 0 for identical statistics;
  biased upward for small sets.
- **KID** (Bińkowski et al., 2018): the unbiased squared MMD with the cubic polynomial kernel
  ``k(a, b) = (aᵀb / d + 1)³``, averaged over random subsets. ≈ 0 (can be slightly negative) for
  two samples of the same distribution, at any sample size. The cubic kernel assumes features of
  order 1 (as Inception's are): both sets are divided by the real set's root-mean-square feature
  first, so KID does not depend on the scale of the extractor's output.
- **Precision / recall** (Kynkäänniemi et al., 2019): the share of generated samples inside the
  real manifold (quality) and of real samples inside the generated manifold (coverage); a manifold
  is the union of balls around each sample reaching its k-th nearest neighbour.

The original FID uses Inception-v3 features, which need a download; the course uses its own
extractors: :class:`RandomFeatures` (a fixed, seeded random conv net: no training, no download, a
"second opinion") and any ``nn.Module`` / callable ``images (N, C, H, W) -> features (N, F)``
such as the attribute classifier the course trains. Numbers from different extractors are not
comparable.

Images must be in [-1, 1] (the course's range); anything else is a clear error.

One per-image metric sits here too: :func:`psnr`, how close one image is to another (lesson 07's
inversions, lesson 10's watermarks).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch
from torch import nn

from gancourse.data._checks import check_finite, check_image_values

Extractor = Callable[[torch.Tensor], torch.Tensor]


class RandomFeatures(nn.Module):
    """A fixed random convolutional feature extractor: ``(N, C, H, W)`` in [-1, 1] → ``(N, dim)``.

    Four stride-2 conv layers (random, seeded, He-scaled weights) with LeakyReLU; features are the
    per-channel mean and standard deviation of the last two layers, projected to ``dim`` by a fixed
    random matrix. Random conv nets are weak but honest embeddings (they see colour, edges and
    texture statistics); they need no download and nobody can overfit to them.
    """

    def __init__(
        self, channels: int = 3, dim: int = 64, width: int = 32, seed: int = 0, size: int = 32
    ):
        super().__init__()
        self.config = {"channels": channels, "dim": dim, "width": width, "seed": seed, "size": size}
        self.channels, self.size = channels, size
        g = torch.Generator().manual_seed(seed)
        widths = [channels, width, 2 * width, 4 * width, 4 * width]
        self.convs = nn.ModuleList()
        for cin, cout in zip(widths[:-1], widths[1:]):  # each halves H and W
            conv = nn.Conv2d(cin, cout, 3, 2, 1)
            with torch.no_grad():
                conv.weight.copy_(
                    torch.randn(conv.weight.shape, generator=g) * (2.0 / (cin * 9)) ** 0.5
                )
                conv.bias.copy_(0.1 * torch.randn(cout, generator=g))
            self.convs.append(conv)
        stats = 2 * (widths[-1] + widths[-2])
        # x10 puts FIDs on a readable scale (a real-vs-real floor of a few units on 500 faces)
        self.register_buffer("projection", 10 * torch.randn(stats, dim, generator=g) / stats**0.5)
        self.requires_grad_(False)
        self.eval()

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.dim() != 4 or images.shape[1] != self.channels:
            raise ValueError(
                f"RandomFeatures expects images (N, {self.channels}, H, W), "
                f"got {tuple(images.shape)}"
            )
        x = images.float()
        if x.shape[-2:] != (self.size, self.size):  # compare sets at one resolution
            x = nn.functional.interpolate(
                x, size=(self.size, self.size), mode="bilinear", antialias=True, align_corners=False
            )
        pooled = []
        for i, conv in enumerate(self.convs):
            x = nn.functional.leaky_relu(conv(x), 0.2)  # (N, c_i, s/2^(i+1), s/2^(i+1))
            if i >= len(self.convs) - 2:
                pooled += [x.mean((2, 3)), x.std((2, 3))]
        return torch.cat(pooled, 1) @ self.projection  # (N, dim)


def check_images(
    images: torch.Tensor, name: str = "images", tolerance: float = 1e-3
) -> torch.Tensor:
    """Raise a clear error unless ``images`` is a finite float tensor in [-1, 1].

    ``images`` must be ``(N, C, H, W)``.
    """
    if not isinstance(images, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor (N, C, H, W) in [-1, 1], got {type(images).__name__}"
        )
    if images.dim() != 4:
        raise ValueError(f"{name} must have shape (N, C, H, W), got {tuple(images.shape)}")
    if not images.is_floating_point():
        raise TypeError(
            f"{name} has dtype {images.dtype}; metrics expect float images in [-1, 1] "
            "(uint8 pixels v map to v / 127.5 - 1)"
        )
    if not torch.isfinite(images).all():
        raise ValueError(f"{name} contain NaN or inf values")
    lo, hi = images.min().item(), images.max().item()
    if lo < -1 - tolerance or hi > 1 + tolerance:
        hint = (
            " They look like [0, 1] images: use x * 2 - 1."
            if lo >= 0 and hi <= 1 + tolerance
            else ""
        )
        hint = " They look like [0, 255] pixels: use x / 127.5 - 1." if hi > 2 else hint
        raise ValueError(
            f"{name} must be in [-1, 1] (the course's image range), but they span "
            f"[{lo:.3f}, {hi:.3f}].{hint}"
        )
    if lo >= 0 and images.numel() >= 1000:  # no pixel below mid-grey: [0, 1] images, probably
        warnings.warn(
            f"{name} span [{lo:.3f}, {hi:.3f}]: no value is negative, as for [0, 1] images. "
            "The metrics expect [-1, 1] (x * 2 - 1 converts [0, 1]); a score on the wrong range "
            "means nothing.",
            stacklevel=3,
        )
    return images


@torch.no_grad()
def extract_features(
    images: torch.Tensor, extractor: Extractor, batch_size: int = 256, name: str = "images"
) -> torch.Tensor:
    """Check ``images`` and embed them in batches.

    ``(N, C, H, W)`` → ``(N, F)`` float64 on the CPU.
    """
    check_images(images, name)
    if not callable(extractor):
        raise TypeError(
            f"extractor must be an nn.Module or a callable images -> features, "
            f"got {type(extractor).__name__}"
        )
    device = (
        next(extractor.parameters()).device
        if isinstance(extractor, nn.Module) and any(True for _ in extractor.parameters())
        else images.device
    )
    was_training = extractor.training if isinstance(extractor, nn.Module) else None
    if isinstance(extractor, nn.Module):
        extractor.eval()
    try:
        chunks = [
            extractor(images[i : i + batch_size].to(device))
            for i in range(0, len(images), batch_size)
        ]
    finally:
        if was_training:
            extractor.train()
    features = torch.cat([c.reshape(len(c), -1) for c in chunks]).double().cpu()
    if not torch.isfinite(features).all():
        raise ValueError("the extractor returned NaN/inf features")
    return features


def _as_features(x, extractor, name):
    if extractor is None:
        if not isinstance(x, torch.Tensor) or x.dim() != 2:
            raise ValueError(
                f"{name}: without an extractor pass features (N, F); got "
                f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}. "
                "To compare images, pass extractor=RandomFeatures() (or the course classifier)."
            )
        if not torch.isfinite(x).all():
            raise ValueError(f"{name} features hold NaN or inf values")
        return x.double().cpu()
    return extract_features(x, extractor, name=name)


def _sqrtm_psd(matrix: torch.Tensor) -> torch.Tensor:
    values, vectors = torch.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def fid_from_features(real: torch.Tensor, fake: torch.Tensor) -> float:
    """Fréchet distance of two feature sets ``(N, F)``, ``(M, F)``.

    Computed in float64 with an eigen-decomposition.
    """
    if real.dim() != 2 or fake.dim() != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"feature sets must be (N, F) and (M, F), "
            f"got {tuple(real.shape)} and {tuple(fake.shape)}"
        )
    check_finite(real, "real features")
    check_finite(fake, "fake features")
    if min(len(real), len(fake)) < 2:
        raise ValueError(
            "FID needs at least 2 samples per set (use hundreds: it is biased for small sets)"
        )
    real, fake = real.double(), fake.double()
    mu_r, mu_g = real.mean(0), fake.mean(0)
    cov_r, cov_g = (
        torch.cov(real.T).reshape(real.shape[1], -1),
        torch.cov(fake.T).reshape(fake.shape[1], -1),
    )
    root_r = _sqrtm_psd(cov_r)
    cross = _sqrtm_psd(root_r @ cov_g @ root_r)  # (Σ_r^½ Σ_g Σ_r^½)^½, same trace as (Σ_r Σ_g)^½
    value = (
        (mu_r - mu_g).pow(2).sum()
        + torch.trace(cov_r)
        + torch.trace(cov_g)
        - 2 * torch.trace(cross)
    )
    return max(float(value), 0.0)


def fid(real, fake, extractor: Extractor | None = None) -> float:
    """FID between two image sets (in [-1, 1]) on ``extractor``'s features, or two feature sets."""
    return fid_from_features(
        _as_features(real, extractor, "real"), _as_features(fake, extractor, "fake")
    )


def mmd2_unbiased(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Unbiased MMD² with ``k(a, b) = (aᵀb / d + 1)³``.

    Mean off-diagonal k(x,x) + k(y,y) - 2 mean k(x,y).
    """
    d = x.shape[1]
    kxx, kyy, kxy = (x @ x.T / d + 1) ** 3, (y @ y.T / d + 1) ** 3, (x @ y.T / d + 1) ** 3
    m, n = len(x), len(y)
    return (
        (kxx.sum() - kxx.diagonal().sum()) / (m * (m - 1))
        + (kyy.sum() - kyy.diagonal().sum()) / (n * (n - 1))
        - 2 * kxy.mean()
    )


def kid_from_features(
    real: torch.Tensor, fake: torch.Tensor, subsets: int = 50, subset_size: int = 100, seed: int = 0
) -> tuple[float, float]:
    """KID ``(mean, std)`` over ``subsets`` random subsets of ``subset_size``.

    ``subset_size`` is capped at the set sizes.

    Both feature sets are first divided by ``rms(real) = sqrt(mean(real²))`` so that ``aᵀb / d`` is
    of order 1 in the cubic kernel, whatever the extractor's scale: ``kid(c·x, c·y) == kid(x, y)``.
    """
    if real.dim() != 2 or fake.dim() != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"feature sets must be (N, F) and (M, F), "
            f"got {tuple(real.shape)} and {tuple(fake.shape)}"
        )
    check_finite(real, "real features")
    check_finite(fake, "fake features")
    rms = real.double().pow(2).mean().sqrt().clamp_min(1e-12)
    real, fake = real.double() / rms, fake.double() / rms
    size = min(subset_size, len(real), len(fake))
    if size < 2:
        raise ValueError("KID needs at least 2 samples per set")
    g = torch.Generator().manual_seed(seed)
    values = torch.stack(
        [
            mmd2_unbiased(
                real[torch.randperm(len(real), generator=g)[:size]].double(),
                fake[torch.randperm(len(fake), generator=g)[:size]].double(),
            )
            for _ in range(subsets)
        ]
    )
    return float(values.mean()), float(values.std()) if subsets > 1 else 0.0


def kid(
    real,
    fake,
    extractor: Extractor | None = None,
    subsets: int = 50,
    subset_size: int = 100,
    seed: int = 0,
) -> tuple[float, float]:
    """KID ``(mean, std)`` between two image sets in [-1, 1] (or two feature sets)."""
    return kid_from_features(
        _as_features(real, extractor, "real"),
        _as_features(fake, extractor, "fake"),
        subsets,
        subset_size,
        seed,
    )


def _radii(features: torch.Tensor, k: int) -> torch.Tensor:
    dist = torch.cdist(features, features)  # (N, N)
    return dist.kthvalue(k + 1, dim=1).values  # k-th neighbour, skipping the point itself


def _coverage(points: torch.Tensor, support: torch.Tensor, radii: torch.Tensor) -> float:
    dist = torch.cdist(points, support)  # (M, N)
    return (dist <= radii[None, :]).any(dim=1).double().mean().item()


def precision_recall_from_features(
    real: torch.Tensor, fake: torch.Tensor, k: int = 3
) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al., 2019) of two feature sets.

    ``precision = share of fake φ inside ∪_r B(φ_r, NN_k(φ_r))``,
    ``recall    = share of real φ inside ∪_g B(φ_g, NN_k(φ_g))``.
    """
    if real.dim() != 2 or fake.dim() != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"feature sets must be (N, F) and (M, F), "
            f"got {tuple(real.shape)} and {tuple(fake.shape)}"
        )
    if min(len(real), len(fake)) <= k:
        raise ValueError(f"precision/recall with k={k} needs more than {k} samples per set")
    real, fake = real.double(), fake.double()
    precision = _coverage(fake, real, _radii(real, k))
    recall = _coverage(real, fake, _radii(fake, k))
    return precision, recall


def precision_recall(
    real, fake, extractor: Extractor | None = None, k: int = 3
) -> tuple[float, float]:
    """``(precision, recall)`` between two image sets in [-1, 1] (or two feature sets)."""
    return precision_recall_from_features(
        _as_features(real, extractor, "real"), _as_features(fake, extractor, "fake"), k
    )


def evaluate(
    real, fake, extractor: Extractor, k: int = 3, kid_subset_size: int = 100
) -> dict[str, float]:
    """All metrics at once (features computed once).

    ``{"fid", "kid", "kid_std", "precision", "recall"}``.
    """
    fr, ff = (
        extract_features(real, extractor, name="real"),
        extract_features(fake, extractor, name="fake"),
    )
    kid_mean, kid_std = kid_from_features(fr, ff, subset_size=kid_subset_size)
    precision, recall = precision_recall_from_features(fr, ff, k)
    return {
        "fid": fid_from_features(fr, ff),
        "kid": kid_mean,
        "kid_std": kid_std,
        "precision": precision,
        "recall": recall,
    }


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB, per image, for images in [-1, 1] (peak-to-peak 2).

    ``PSNR = 10 log10(2² / MSE)``, with ``MSE`` the mean of ``(a - b)²`` over one image's channels
    and pixels. Batches (B, C, H, W) give a (B,) tensor, one image (C, H, W) a 0-d tensor; identical
    images give ``inf``. For one number per set take the mean over images, ``psnr(a, b).mean()``.
    Rough guide: ≥ 40 dB invisible, 30 dB close, ≤ 20 dB clearly different. Used in lesson 07
    (how well an inversion reconstructs its target) and lesson 10 (how visible a watermark is).
    """
    if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor):
        raise TypeError(f"psnr compares two tensors, got {type(a).__name__} and {type(b).__name__}")
    if a.shape != b.shape or a.dim() not in (3, 4):
        raise ValueError(
            "psnr needs two images (C, H, W) or batches (B, C, H, W) of the same shape, "
            f"got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    check_image_values(a, "a", slack=0.5)
    check_image_values(b, "b", slack=0.5)
    diff = a.float() - b.float().to(a.device)
    mse = diff.square().flatten(-3).mean(-1)
    return 10 * torch.log10(4.0 / mse)
