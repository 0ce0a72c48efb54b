"""Checks for ``exercises/08_style.ipynb``: the Gram matrix and AdaIN."""

from __future__ import annotations

import torch

from ._core import CheckFailed, passed, run_learner


def _features(seed: int = 0, shape=(2, 5, 6, 7)) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g) * 1.5 + 0.3


def _reference_gram(f: torch.Tensor) -> torch.Tensor:
    b, c, h, w = f.shape
    flat = f.reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


def check_gram_matrix(gram_matrix) -> bool:
    """Check ``gram_matrix(F) = F F^T / (C H W)`` with F reshaped to (B, C, H*W),
    output (B, C, C)."""
    f = _features()
    out = run_learner(gram_matrix, f.clone(), name="gram_matrix")
    if not isinstance(out, torch.Tensor):
        raise CheckFailed(
            f"`gram_matrix` must return a torch.Tensor, got {type(out).__name__}.",
            mistake="not a tensor",
        )
    b, c, h, w = f.shape
    expected = _reference_gram(f)
    if tuple(out.shape) == (b, h * w, h * w):
        raise CheckFailed(
            f"your Gram matrix is (B, HW, HW) = {tuple(out.shape)}: you multiplied over the "
            "channels. Style compares *channels* with each other, summed over positions: "
            "F is (B, C, HW) and G = F @ F.transpose(1, 2), shape (B, C, C).",
            mistake="wrong axes",
        )
    if tuple(out.shape) != (b, c, c):
        raise CheckFailed(
            f"expected shape (B, C, C) = {(b, c, c)}, got {tuple(out.shape)}. Keep the batch "
            "dimension and compare channels: reshape to (B, C, H*W).",
            mistake="wrong shape",
        )
    if torch.allclose(out, expected * (c * h * w), rtol=1e-4, atol=1e-4):
        raise CheckFailed(
            "the values are C·H·W times too large: divide by C·H·W so the Gram matrix does not "
            "grow with the image size (and style losses at different layers are comparable).",
            mistake="unnormalised Gram",
        )
    if torch.allclose(out, expected * c, rtol=1e-4, atol=1e-4):
        raise CheckFailed(
            "you divided by H·W only: the course normalises by C·H·W.", mistake="normalised by HW"
        )
    if torch.allclose(out, expected * (h * w), rtol=1e-4, atol=1e-4):
        raise CheckFailed(
            "you divided by C only: the course normalises by C·H·W.", mistake="normalised by C"
        )
    wrong_layout = f.reshape(b, h * w, c).transpose(
        1, 2
    )  # a reshape that mixes channels and positions
    mixed = wrong_layout @ wrong_layout.transpose(1, 2) / (c * h * w)
    if torch.allclose(out, mixed, atol=1e-5) and not torch.allclose(mixed, expected, atol=1e-5):
        raise CheckFailed(
            "reshape(B, H*W, C) does not move the channels last: it scrambles channels and "
            "positions. Use reshape(B, C, H*W) (or permute first).",
            mistake="wrong reshape",
        )
    if not torch.allclose(out, expected, atol=1e-5):
        raise CheckFailed(
            "the values differ from F Fᵀ / (C H W) with F = features.reshape(B, C, H*W).",
            mistake="wrong formula",
        )
    big = run_learner(gram_matrix, f.repeat(1, 1, 2, 2), name="gram_matrix")
    if not torch.allclose(big, expected, atol=1e-4):
        raise CheckFailed(
            "tiling the image 2×2 changed your Gram matrix: it must not depend on the image size.",
            mistake="size dependent",
        )
    return passed("Gram matrix (B, C, C), normalised by C·H·W, independent of the image size.")


def _reference_adain(c, s, alpha, eps=1e-5):
    mu_c, mu_s = c.mean((2, 3), keepdim=True), s.mean((2, 3), keepdim=True)
    sd_c = (c.var((2, 3), keepdim=True, unbiased=False) + eps).sqrt()
    sd_s = (s.var((2, 3), keepdim=True, unbiased=False) + eps).sqrt()
    t = sd_s * (c - mu_c) / sd_c + mu_s
    return alpha * t + (1 - alpha) * c


def check_adain(adain) -> bool:
    """Check ``adain(content, style, alpha)``: per-sample, per-channel statistics over (H, W),
    eps in the std."""
    c = _features(1, (2, 4, 5, 6))
    s = _features(2, (2, 4, 7, 3)) * 0.4 - 1.0
    out = run_learner(adain, c.clone(), s.clone(), 1.0, name="adain")
    if not isinstance(out, torch.Tensor) or out.shape != c.shape:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise CheckFailed(
            f"`adain` must return a tensor shaped like the content {tuple(c.shape)}, got {got}.",
            mistake="wrong shape",
        )
    expected = _reference_adain(c, s, 1.0)
    swapped = _reference_adain(s, c, 1.0) if s.shape == c.shape else None
    if swapped is not None and torch.allclose(out, swapped, atol=1e-4):
        raise CheckFailed("content and style are swapped.", mistake="swapped inputs")

    # statistics over the wrong dimensions
    def variant(dims):
        mu_c, mu_s = c.mean(dims, keepdim=True), s.mean(dims, keepdim=True)
        sd_c = (c.var(dims, keepdim=True, unbiased=False) + 1e-5).sqrt()
        sd_s = (s.var(dims, keepdim=True, unbiased=False) + 1e-5).sqrt()
        return sd_s * (c - mu_c) / sd_c + mu_s

    for dims, what in (
        ((1, 2, 3), "over (C, H, W): one number per image"),
        ((0, 2, 3), "over (B, H, W): mixing the images of the batch"),
        ((1,), "over the channels"),
    ):
        try:
            wrong = variant(dims)
        except RuntimeError:  # e.g. per-position statistics cannot combine maps of different sizes
            continue
        if torch.allclose(out, wrong, atol=1e-4):
            raise CheckFailed(
                f"your mean/std are taken {what}. AdaIN uses one mean and one std per image "
                "and per channel: reduce over dims (2, 3) with keepdim=True.",
                mistake="wrong dims",
            )
    mu_c, mu_s = c.mean((2, 3), keepdim=True), s.mean((2, 3), keepdim=True)
    no_scale = (c - mu_c) + mu_s
    if torch.allclose(out, no_scale, atol=1e-4):
        raise CheckFailed(
            "you only shifted the means: also divide by σ(content) and multiply by σ(style).",
            mistake="mean only",
        )
    unbiased = s.std((2, 3), keepdim=True) * (c - mu_c) / c.std((2, 3), keepdim=True) + mu_s
    if not torch.allclose(out, expected, atol=1e-3) and not torch.allclose(
        out, unbiased, atol=1e-3
    ):
        raise CheckFailed(
            "the output does not have the style's per-channel mean and std. "
            "t = σ(s) (c − μ(c)) / σ(c) + μ(s).",
            mistake="wrong formula",
        )
    flat = c.clone()
    flat[:, 0] = 0.7  # a constant channel: std 0
    out_flat = run_learner(adain, flat, s.clone(), 1.0, name="adain")
    if not torch.isfinite(out_flat).all():
        raise CheckFailed(
            "a constant content channel gives NaN/inf: σ = 0 and you divide by it. Compute "
            "σ = sqrt(var + eps) with eps = 1e-5.",
            mistake="std without epsilon",
        )
    if not torch.allclose(out, expected, atol=1e-3):
        raise CheckFailed(
            "close, but use the biased variance (unbiased=False) plus eps = 1e-5 inside the "
            "square root, as the course does.",
            mistake="unbiased std",
        )
    half = run_learner(adain, c.clone(), s.clone(), 0.25, name="adain")
    if torch.allclose(half, _reference_adain(c, s, 0.75), atol=1e-3):
        raise CheckFailed(
            "alpha is reversed: alpha = 1 is full style, alpha = 0 gives the content back: "
            "alpha * t + (1 - alpha) * content.",
            mistake="alpha reversed",
        )
    if not torch.allclose(half, _reference_adain(c, s, 0.25), atol=1e-3):
        raise CheckFailed(
            "with alpha = 0.25 expected alpha * t + (1 - alpha) * content (blend the *features*).",
            mistake="alpha ignored",
        )
    zero = run_learner(adain, c.clone(), s.clone(), 0.0, name="adain")
    if not torch.allclose(zero, c, atol=1e-5):
        raise CheckFailed(
            "alpha = 0 must return the content features unchanged.", mistake="alpha ignored"
        )
    return passed(
        "AdaIN: per-image, per-channel statistics, eps-safe std, alpha blends style and content."
    )
