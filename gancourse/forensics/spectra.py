"""Frequency spectra of images: where a generator's upsampling leaves its fingerprint.

Derived in lesson 10 (its exercise derives :func:`spectrum_profile` too).

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
"""

from __future__ import annotations

import torch

from ._checks import check_images
from .perturb import gaussian_blur

EPS = 1e-10
LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601 weights, as in JPEG


def to_gray(images: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, H, W) luminance ``Y = 0.299 R + 0.587 G + 0.114 B`` (C = 1: as is)."""
    images = check_images(images, signal=True)
    if images.shape[1] == 1:
        return images[:, 0]
    weights = torch.tensor(LUMA, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
    return (images * weights).sum(1)


def power_spectrum(images: torch.Tensor) -> torch.Tensor:
    """Centred power spectrum ``P = |fftshift(FFT2(gray))|² / (H W)`` of each image, (B, H, W)."""
    gray = to_gray(images)
    h, w = gray.shape[-2:]
    spectrum = torch.fft.fftshift(torch.fft.fft2(gray), dim=(-2, -1))
    return spectrum.abs().square() / (h * w)


def radius_map(height: int, width: int) -> torch.Tensor:
    """(H, W) long tensor: each pixel's integer distance ``round(√(du² + dv²))`` from the centre.

    The centre is ``(H // 2, W // 2)``, where ``fftshift`` puts the zero frequency.
    """
    if height < 1 or width < 1:
        raise ValueError(f"height and width must be positive, got {height}x{width}")
    u = torch.arange(height, dtype=torch.float64) - height // 2
    v = torch.arange(width, dtype=torch.float64) - width // 2
    return torch.sqrt(u[:, None] ** 2 + v[None, :] ** 2).round().long()


def azimuthal_average(power: torch.Tensor) -> torch.Tensor:
    """Mean of a centred (B, H, W) map over each ring of integer radius r = 0 … min(H, W) // 2.

    Returns (B, R), R = min(H, W) // 2 + 1. The corners (radii beyond the inscribed circle) are left
    out: only part of their ring exists.
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
    sums = torch.zeros(b, n_r, dtype=torch.float64, device=power.device).index_add_(
        1, index, values
    )
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
    """The residual ``x - blur_σ(x)``: the content a generator's upsampling leaves its mark on."""
    images = check_images(images, signal=True)
    return images - gaussian_blur(images, sigma)


def mean_log_spectrum(
    images: torch.Tensor, residual: bool = True, eps: float = EPS
) -> torch.Tensor:
    """The batch mean of ``log10 P(u, v)``, (H, W).

    The picture in which upsampling artefacts appear as bright dots. With ``residual`` the spectrum
    of the high-pass residual is used (Zhang et al., 2019).
    """
    images = check_images(images, signal=True)
    if residual:
        images = highpass(images)
    return torch.log10(power_spectrum(images) + eps).mean(0)
