"""Checks for ``exercises/08_style.ipynb`` (lesson 08): the Gram matrix and AdaIN.

Every call goes through ``run_pure`` (an input changed in place is named) and ``expect_tensor``
(type, shape, dtype, device, NaN first); values are compared with float64 references, on a
second case with another seed, size and float64 features, and AdaIN with another α and eps.
"""

from __future__ import annotations

import torch

from ._core import CheckFailed, expect_tensor, passed, recognise, run_pure


def _features(seed: int = 0, shape=(2, 5, 6, 7), dtype=torch.float32) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=g, dtype=torch.float64) * 1.5 + 0.3).to(dtype)


def _close(out: torch.Tensor, ref: torch.Tensor, atol: float = 1e-5) -> bool:
    """Equal up to float32 round-off, relative for the large values of an unnormalised Gram."""
    return out.shape == ref.shape and torch.allclose(out, ref.to(out.dtype), rtol=1e-4, atol=atol)


# ----------------------------------------------------------------------------- Gram matrix
def _reference_gram(f: torch.Tensor) -> torch.Tensor:
    b, c, h, w = f.shape
    flat = f.double().reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


def _gram_call(gram_matrix, f: torch.Tensor) -> torch.Tensor:
    out = run_pure(gram_matrix, f, name="gram_matrix")
    b, c, h, w = f.shape
    expect_tensor(out, name="gram_matrix")
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
    return expect_tensor(out, like=f, name="gram_matrix", finite=True).detach().double()


def check_gram_matrix(gram_matrix) -> bool:
    """Check ``gram_matrix(F) = F F^T / (C H W)`` with F reshaped to (B, C, H*W),
    output (B, C, C)."""
    for f in (_features(), _features(3, (3, 4, 5, 9), torch.float64)):
        out = _gram_call(gram_matrix, f)
        b, c, h, w = f.shape
        expected = _reference_gram(f)
        if _close(out, expected):
            continue
        named = {
            "unnormalised Gram": (
                expected * (c * h * w),
                "the values are C·H·W times too large: divide by C·H·W so the Gram matrix does "
                "not grow with the image size (and style losses at different layers are "
                "comparable).",
            ),
            "normalised by HW": (
                expected * c,
                "you divided by H·W only: the course normalises by C·H·W.",
            ),
            "normalised by C": (
                expected * (h * w),
                "you divided by C only: the course normalises by C·H·W.",
            ),
        }
        for mistake, (ref, hint) in named.items():
            if _close(out, ref):
                raise CheckFailed(hint, mistake=mistake)
        wrong_layout = f.double().reshape(b, h * w, c).transpose(1, 2)  # mixes channels, positions
        if _close(out, wrong_layout @ wrong_layout.transpose(1, 2) / (c * h * w)):
            raise CheckFailed(
                "reshape(B, H*W, C) does not move the channels last: it scrambles channels and "
                "positions. Use reshape(B, C, H*W) (or permute first).",
                mistake="wrong reshape",
            )
        raise CheckFailed(
            f"for {f.dtype} features {tuple(f.shape)} the values differ from F Fᵀ / (C H W) with "
            f"F = features.reshape(B, C, H*W) (max error {(out - expected).abs().max():.3g}).",
            mistake="wrong formula",
        )
    f = _features()
    big = _gram_call(gram_matrix, f.repeat(1, 1, 2, 2))
    if not _close(big, _reference_gram(f), atol=1e-4):
        raise CheckFailed(
            "tiling the image 2×2 changed your Gram matrix: it must not depend on the image size.",
            mistake="size dependent",
        )
    return passed("Gram matrix (B, C, C), normalised by C·H·W, independent of the image size.")


# ----------------------------------------------------------------------------- AdaIN
def _stats(x: torch.Tensor, dims, eps: float, unbiased: bool = False):
    return x.mean(dims, keepdim=True), (x.var(dims, keepdim=True, unbiased=unbiased) + eps).sqrt()


def _reference_adain(c, s, alpha, eps=1e-5, dims=(2, 3), unbiased=False):
    c, s = c.double(), s.double()
    (mu_c, sd_c), (mu_s, sd_s) = _stats(c, dims, eps, unbiased), _stats(s, dims, eps, unbiased)
    t = sd_s * (c - mu_c) / sd_c + mu_s
    return alpha * t + (1 - alpha) * c


def _adain_call(adain, c, s, *args, finite: bool = True) -> torch.Tensor:
    out = run_pure(adain, c, s, *args, name="adain")
    expect_tensor(out, name="adain")
    if out.shape != c.shape:
        swapped = out.shape == s.shape
        raise CheckFailed(
            "content and style are swapped: the result has the style's shape. adain(content, "
            "style) keeps the content's layout and takes the style's statistics."
            if swapped
            else f"`adain` must return a tensor shaped like the content {tuple(c.shape)}, "
            f"got {tuple(out.shape)}.",
            mistake="swapped inputs" if swapped else "wrong shape",
        )
    return expect_tensor(out, like=c, name="adain", finite=finite).detach().double()


def _adain_named(out, c, s) -> None:
    """Name the usual wrong statistics (α = 1)."""
    cd, sd = c.double(), s.double()
    for dims, what in (
        ((1, 2, 3), "over (C, H, W): one number per image"),
        ((0, 2, 3), "over (B, H, W): mixing the images of the batch"),
        ((1,), "over the channels"),
    ):
        try:  # per-position statistics cannot combine maps of different sizes
            wrong = _reference_adain(c, s, 1.0, dims=dims)
        except RuntimeError:
            continue
        if _close(out, wrong, 1e-4):
            raise CheckFailed(
                f"your mean/std are taken {what}. AdaIN uses one mean and one std per image "
                "and per channel: reduce over dims (2, 3) with keepdim=True.",
                mistake="wrong dims",
            )
    mean_only = (cd - cd.mean((2, 3), keepdim=True)) + sd.mean((2, 3), keepdim=True)
    recognise(
        out,
        {
            "mean only": (
                mean_only,
                "you only shifted the means: also divide by σ(content) and multiply by σ(style).",
            )
        },
        atol=1e-4,
    )


def check_adain(adain) -> bool:
    """Check ``adain(content, style, alpha, eps)``: per-sample, per-channel statistics over
    (H, W), eps inside the square root, ``alpha t + (1 - alpha) content``."""
    c = _features(1, (2, 4, 5, 6))
    s = _features(2, (2, 4, 7, 3)) * 0.4 - 1.0
    out = _adain_call(adain, c, s, 1.0)
    expected = _reference_adain(c, s, 1.0)
    if not _close(out, expected, 1e-4):
        _adain_named(out, c, s)
        if not _close(out, _reference_adain(c, s, 1.0, unbiased=True), 1e-3):
            raise CheckFailed(
                "the output does not have the style's per-channel mean and std. "
                "t = σ(s) (c − μ(c)) / σ(c) + μ(s).",
                mistake="wrong formula",
            )
    flat = c.clone()
    flat[:, 0] = 0.7  # a constant channel: std 0
    out_flat = _adain_call(adain, flat, s, 1.0, finite=False)
    if not torch.isfinite(out_flat).all():
        raise CheckFailed(
            "a constant content channel gives NaN/inf: σ = 0 and you divide by it. Compute "
            "σ = sqrt(var + eps) with eps = 1e-5.",
            mistake="std without epsilon",
        )
    if not _close(out, expected, 1e-4):
        raise CheckFailed(
            "close, but use the biased variance (unbiased=False) plus eps = 1e-5 inside the "
            "square root, as the course does.",
            mistake="unbiased std",
        )
    half = _adain_call(adain, c, s, 0.25)
    if _close(half, _reference_adain(c, s, 0.75), 1e-4):
        raise CheckFailed(
            "alpha is reversed: alpha = 1 is full style, alpha = 0 gives the content back: "
            "alpha * t + (1 - alpha) * content.",
            mistake="alpha reversed",
        )
    if not _close(half, _reference_adain(c, s, 0.25), 1e-4):
        raise CheckFailed(
            "with alpha = 0.25 expected alpha * t + (1 - alpha) * content (blend the *features*).",
            mistake="alpha ignored",
        )
    if not _close(_adain_call(adain, c, s, 0.0), c.double(), 1e-5):
        raise CheckFailed(
            "alpha = 0 must return the content features unchanged.", mistake="alpha ignored"
        )
    # eps = 0.5 (large, so that it shows), then another seed, size and float64 features
    if not _close(_adain_call(adain, c, s, 1.0, 0.5), _reference_adain(c, s, 1.0, eps=0.5), 1e-4):
        raise CheckFailed(
            "with eps = 0.5 your result is the one for eps = 1e-5: use the `eps` argument "
            "in σ = sqrt(var + eps), not a constant.",
            mistake="eps hard-coded",
        )
    c64 = _features(4, (3, 6, 4, 8), torch.float64)
    s64 = _features(5, (3, 6, 9, 5), torch.float64) * 2.0 + 1.0
    got = _adain_call(adain, c64, s64, 0.6)
    if not _close(got, _reference_adain(c64, s64, 0.6), 1e-8):
        raise CheckFailed(
            "right on the first features but not on float64 features (3, 6, 4, 8) with a style "
            "(3, 6, 9, 5) and alpha = 0.6: nothing may depend on fixed sizes or constants.",
            mistake="wrong formula",
        )
    return passed(
        "AdaIN: per-image, per-channel statistics, eps-safe std, alpha blends style and content."
    )


# ----------------------------------------------------------------------------- texture synthesis
def _texture_reference(style, features, size, steps, lr, seed, mistake: str = ""):
    """The exercise's loop (library Gram matrices), or a version with one known mistake."""
    from gancourse.style.statistics import gram_matrix

    with torch.no_grad():
        targets = [gram_matrix(f) for f in features(style)]
    gen = torch.Generator().manual_seed(seed)
    u = (0.5 * torch.randn(1, 3, size, size, generator=gen)).requires_grad_(True)
    opt = torch.optim.Adam([u], lr=lr)
    losses = []
    for _ in range(steps):
        x = u if mistake == "no tanh" else torch.tanh(u)
        reduce = torch.sum if mistake == "sum instead of mean" else torch.mean
        loss = 1e3 * sum(reduce((gram_matrix(f) - t) ** 2) for f, t in zip(features(x), targets))
        if mistake != "missing zero_grad":
            opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return (u if mistake == "no tanh" else torch.tanh(u)).detach(), losses


_TEXTURE_HINTS = {
    "missing zero_grad": "call opt.zero_grad() before loss.backward() in every step: without it "
    "each step's gradient adds up with all the earlier ones.",
    "no tanh": "optimise u and show the features x = tanh(u), returning tanh(u): the pixels must "
    "stay in [-1, 1].",
    "sum instead of mean": "take the mean of each scale's squared Gram difference, not the sum.",
}


def check_synthesize_texture(synthesize_texture) -> bool:
    """Check ``synthesize_texture(style, features, size, steps, lr, seed) -> (texture (1, 3,
    size, size), losses)`` step by step against the reference loop on small random features,
    then with another seed, size, number of steps and learning rate."""
    from gancourse.style.texture import RandomMultiScaleFeatures

    name = "synthesize_texture"
    features = RandomMultiScaleFeatures(channels=4, scales=(1, 2), kernel=3, seed=8)
    g = torch.Generator().manual_seed(8)
    style = torch.rand(1, 3, 16, 16, generator=g) * 2 - 1
    for args in ((12, 15, 0.05, 0), (16, 10, 0.1, 3)):
        size, steps, lr, seed = args
        out = run_pure(synthesize_texture, style, features, *args, name=name)
        if not isinstance(out, tuple | list) or len(out) != 2:
            raise CheckFailed(
                f"`{name}` must return two things, (texture, losses).", mistake="return"
            )
        texture, losses = out
        texture = expect_tensor(texture, like=style, shape=(1, 3, size, size), name=name)
        if texture.requires_grad:
            raise CheckFailed(
                "return the texture detached (torch.tanh(u).detach()): it is a result, not part "
                "of a graph.",
                mistake="not detached",
            )
        if not isinstance(losses, list) or len(losses) != steps:
            got = len(losses) if isinstance(losses, list) else type(losses).__name__
            raise CheckFailed(
                f"losses must be a list with one number per step ({steps}), got {got}: "
                "losses.append(loss.item()) inside the loop, which runs `steps` times.",
                mistake="losses",
            )
        if any(isinstance(v, torch.Tensor) for v in losses):
            raise CheckFailed(
                "losses holds tensors: append loss.item(), a plain number, so that no step's "
                "graph stays alive.",
                mistake="tensor in losses",
            )
        want, want_losses = _texture_reference(style, features, *args)
        if torch.allclose(texture, want, atol=1e-4) and all(
            abs(a - b) <= 1e-4 * (abs(b) + 1e-6) for a, b in zip(losses, want_losses)
        ):
            continue
        for mistake, hint in _TEXTURE_HINTS.items():
            if torch.allclose(texture, _texture_reference(style, features, *args, mistake)[0]):
                raise CheckFailed(hint, mistake=mistake)
        if seed and torch.allclose(texture, _texture_reference(style, features, *args[:3], 0)[0]):
            raise CheckFailed(
                f"the call passed seed = {seed} but your start is seed 0's: seed a "
                "torch.Generator with the `seed` argument.",
                mistake="seed hard-coded",
            )
        if seed and torch.allclose(
            texture, _texture_reference(style, features, size, steps, 0.05, seed)[0]
        ):
            raise CheckFailed(
                f"the call passed lr = {lr:g} but you used 0.05: use the `lr` argument.",
                mistake="lr hard-coded",
            )
        falls = losses[-1] < losses[0]
        raise CheckFailed(
            ("" if seed == 0 else f"with size {size}, {steps} steps, lr {lr:g}, seed {seed}: ")
            + "your texture is not the reference loop's (max difference "
            f"{(texture - want).abs().max():.3g}; your loss "
            + ("falls" if falls else "does not fall")
            + "). Start from u = 0.5 · randn(1, 3, size, size) with a Generator seeded by "
            "`seed`, match the style's Gram matrices (computed once) on features(tanh(u)) with "
            "Adam(lr) on u, and return (tanh(u).detach(), losses).",
            mistake="wrong texture",
        )
    return passed(
        f"your loop matches the reference step by step (loss {losses[0]:.3g} -> {losses[-1]:.3g})."
    )
