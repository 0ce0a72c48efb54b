"""A keyed, invisible, spread-spectrum watermark for the images the course generates.

Derived in lesson 10 (how visible the mark is: :func:`gancourse.metrics.psnr`).

Embedding (Cox et al., 1997, in its simplest additive form)
    A secret ``key`` seeds a pseudo-random ``T × T`` tile ``p`` (Gaussian noise, circularly smoothed
    with σ = ``smooth`` so most of its energy sits in mid frequencies that survive blur and JPEG;
    zero mean, unit RMS). The tile is repeated over the image and added to every colour channel
    at a low amplitude ``a`` (``strength``, in [-1, 1] units):

        ``x_w = clamp(x + a · tile(p), -1, 1)``.

    With ``a = 0.02`` the change is about 1.3 grey levels RMS (PSNR ≈ 40 dB): invisible.

Detection (correlation, no original needed)
    1. grey residual ``r = Y - blur_σ(Y)`` (removes the smooth content that would swamp ``p``);
    2. fold: average all ``T × T`` blocks of ``r`` into one tile ``f`` (the mark adds up, content
       averages out: the more tiles, the stronger the evidence);
    3. normalised circular cross-correlation with the equally high-passed tile ``p̃``,

        ``c(s) = Σ_u (f(u) - f̄) p̃(u + s) / (‖f - f̄‖ ‖p̃‖)``,  ``z(s) = T · c(s)``.

       For an unmarked image ``z`` is roughly standard normal; marked images score far higher.
    4. The score is ``z(0)``, or ``max_s z(s)`` over all ``T²`` cyclic shifts with
       ``search_shifts=True``: a cropped image's tiles are shifted, and the search finds them.

Threshold with a known false-positive rate
    :meth:`Watermark.calibrate` scores unmarked images with this key and with ``n_keys`` other keys
    (a wrong key on any image behaves like the right key on an unmarked one) and sets
    ``threshold`` to the ``1 - fpr`` quantile of those null scores.

Honest limits: the key is a shared secret (whoever has it can remove or forge the mark); resizing
changes the tile period and defeats this detector; a determined attacker can estimate and subtract
the pattern from many marked images. Production systems (e.g. Tree-Ring, Stable Signature) embed
the mark in the generator or its latent; provenance standards (C2PA) sign metadata instead.
"""

from __future__ import annotations

import hashlib
import math

import torch

from ._checks import check_images
from .perturb import gaussian_blur
from .spectra import to_gray


def key_to_seed(key) -> int:
    """A 63-bit seed from any key (int or str), via sha256: different keys, unrelated patterns."""
    if not isinstance(key, int | str) or isinstance(key, bool):
        raise TypeError(f"key must be an int or a str, got {type(key).__name__}")
    return (
        int.from_bytes(hashlib.sha256(f"gancourse-watermark:{key}".encode()).digest()[:8], "big")
        >> 1
    )


def _circular_blur(tile: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian blur on a torus (via FFT), so the tiled pattern stays seamless."""
    if sigma <= 0:
        return tile
    n = tile.shape[-1]
    f = torch.fft.fftfreq(n, dtype=torch.float64)
    gain = torch.exp(-2 * math.pi**2 * sigma**2 * (f[:, None] ** 2 + f[None, :] ** 2))
    return torch.fft.ifft2(torch.fft.fft2(tile.double()) * gain).real.to(tile.dtype)


def _statistic(z: torch.Tensor, search_shifts: bool) -> torch.Tensor:
    """Per image (B,) from z maps (B, T, T): ``z(0)``, or ``max_s z(s)`` with ``search_shifts``."""
    return z.flatten(1).amax(1) if search_shifts else z[:, 0, 0]


class Watermark:
    """A keyed watermark: ``.embed``, ``.calibrate(clean, fpr)``, ``.score``, ``.detect``.

    ``Watermark(key)``; see the module docstring for how it embeds and detects.
    """

    def __init__(
        self,
        key,
        tile: int = 16,
        strength: float = 0.02,
        smooth: float = 0.7,
        detect_sigma: float = 1.5,
    ):
        if not isinstance(tile, int) or tile < 4:
            raise ValueError(f"tile must be an int >= 4, got {tile!r}")
        if not 0 < strength <= 0.5:
            raise ValueError(f"strength must be in (0, 0.5] ([-1, 1] image units), got {strength}")
        if smooth < 0 or detect_sigma <= 0:
            raise ValueError(
                f"smooth must be >= 0 and detect_sigma > 0, got {smooth}, {detect_sigma}"
            )
        self.key, self.tile, self.strength = key, tile, strength
        self.smooth, self.detect_sigma = smooth, detect_sigma
        g = torch.Generator().manual_seed(key_to_seed(key))
        p = _circular_blur(torch.randn(tile, tile, generator=g, dtype=torch.float64), smooth)
        p = p - p.mean()
        self.pattern = (p / p.square().mean().sqrt()).float()  # (T, T), zero mean, unit RMS
        ref = self.pattern - _circular_blur(self.pattern, detect_sigma)  # what detection looks for
        self._reference = ref - ref.mean()
        self.threshold: float | None = None
        self.fpr: float | None = None
        self.search_shifts = False

    def _like(self, key) -> Watermark:
        return Watermark(key, self.tile, self.strength, self.smooth, self.detect_sigma)

    def tiled(self, height: int, width: int) -> torch.Tensor:
        """The pattern repeated to cover (height, width)."""
        reps = (math.ceil(height / self.tile), math.ceil(width / self.tile))
        return self.pattern.repeat(*reps)[:height, :width]

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """``clamp(x + strength · tile(p), -1, 1)``, the same pattern in every channel."""
        images = check_images(images)
        h, w = images.shape[-2:]
        if min(h, w) < self.tile:
            raise ValueError(
                f"images ({h}x{w}) must be at least one tile ({self.tile}x{self.tile}) large"
            )
        mark = self.tiled(h, w).to(images.device)
        return (images + self.strength * mark).clamp(-1, 1)

    def correlation_map(self, images: torch.Tensor) -> torch.Tensor:
        """``z(s)`` for every cyclic shift s, (B, T, T): see the module docstring."""
        return self._correlate(self._folded(images))

    def _folded(self, images: torch.Tensor) -> torch.Tensor:
        """Steps 1-2: the high-passed grey residual folded into one centred tile, (B, T, T).
        It does not depend on the key, so :meth:`null_scores` computes it once for all keys."""
        images = check_images(images)
        h, w = images.shape[-2:]
        t = self.tile
        if min(h, w) < t:
            raise ValueError(
                f"images ({h}x{w}) must be at least one tile ({t}x{t}) large to be checked"
            )
        gray = to_gray(images)
        residual = gray - to_gray(gaussian_blur(gray[:, None], self.detect_sigma))
        hh, ww = (h // t) * t, (w // t) * t
        folded = residual[:, :hh, :ww].reshape(-1, hh // t, t, ww // t, t).mean((1, 3))  # (B, T, T)
        return folded - folded.mean((1, 2), keepdim=True)

    def _correlate(self, folded: torch.Tensor) -> torch.Tensor:
        """Step 3: ``z(s)`` of folded tiles (B, T, T) against this key's reference tile."""
        t = self.tile
        ref = self._reference.to(folded)
        corr = torch.fft.ifft2(
            torch.fft.fft2(folded).conj() * torch.fft.fft2(ref)
        ).real  # Σ f(u) p(u + s)
        norm = folded.flatten(1).norm(dim=1).clamp_min(1e-12) * ref.norm()
        return t * corr / norm[:, None, None]

    def score(self, images: torch.Tensor, search_shifts: bool = False) -> torch.Tensor:
        """Detection statistic per image (B,): ``z(0)``, or with ``search_shifts`` max_s z(s)."""
        return _statistic(self.correlation_map(images), search_shifts)

    def null_scores(
        self, clean: torch.Tensor, n_keys: int = 20, search_shifts: bool = False
    ) -> torch.Tensor:
        """Scores without a mark: ``clean`` images with this key and with ``n_keys`` other keys."""
        clean = check_images(clean, "clean")
        folded = self._folded(clean)  # the same for every key: computed once
        scores = []
        for wm in [self] + [self._like(f"{self.key}/null-{k}") for k in range(n_keys)]:
            scores.append(_statistic(wm._correlate(folded), search_shifts))
        return torch.cat(scores)

    def calibrate(
        self, clean: torch.Tensor, fpr: float = 0.01, n_keys: int = 20, search_shifts: bool = False
    ) -> float:
        """Set and return ``threshold``: the ``1 - fpr`` quantile of :meth:`null_scores` (at least
        ``1 / fpr`` null scores are needed for the quantile to mean anything)."""
        if not 0 < fpr < 0.5:
            raise ValueError(f"fpr must be in (0, 0.5), got {fpr}")
        null = self.null_scores(clean, n_keys, search_shifts)
        if len(null) < 1 / fpr:
            raise ValueError(
                f"{len(null)} null scores cannot calibrate fpr={fpr}: "
                f"give at least {math.ceil(1 / fpr)} "
                "(more clean images or a larger n_keys)"
            )
        self.threshold = float(torch.quantile(null.double(), 1 - fpr))
        self.fpr = fpr
        self.search_shifts = search_shifts
        return self.threshold

    def detect(self, images: torch.Tensor) -> torch.Tensor:
        """Boolean (B,): score above the calibrated threshold.

        Scored with the shift search the threshold was calibrated for (the null distribution of a
        max over shifts is higher). Call :meth:`calibrate` first.
        """
        if self.threshold is None:
            raise RuntimeError(
                "no threshold yet: call watermark.calibrate(clean_images, fpr=0.01) first"
            )
        return self.score(images, self.search_shifts) > self.threshold
