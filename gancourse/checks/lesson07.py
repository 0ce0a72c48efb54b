"""Checks for ``exercises/07_editing.ipynb``: an InterFaceGAN direction, its orthogonalisation,
and an edit in the generator's first feature layer."""

from __future__ import annotations

import torch

from gancourse.models.dcgan import Generator

from ._core import (
    CheckFailed,
    expect_tensor,
    grads_of,
    needs_grad,
    passed,
    recognise,
    run_pure,
)


def _vector(func, *args, name: str, like: torch.Tensor) -> torch.Tensor:
    """Run the learner's function (inputs must stay unchanged) and check that it returns one
    finite direction (d,) of the input's dtype and device; returned in float64."""
    out = run_pure(func, *args, name=name)
    d = like.shape[-1]
    if isinstance(out, torch.Tensor) and tuple(out.shape) == (1, d):
        raise CheckFailed(
            f"`{name}` must return one direction of shape ({d},), got (1, {d}): "
            "take the row (coef_[0], or out[0]).",
            mistake="shape",
        )
    if type(out).__module__.split(".")[0] == "numpy":
        raise CheckFailed(
            f"`{name}` must return a torch.Tensor (d,), got a numpy {type(out).__name__}. Turn it "
            "into one with torch.as_tensor(array, dtype=z.dtype).",
            mistake="not a tensor",
        )
    out = expect_tensor(out, like=like, shape=(d,), name=name, finite=True)
    return out.detach().double()


def _unit_length(out: torch.Tensor, how: str) -> None:
    if abs(out.norm().item() - 1) > 1e-3:
        raise CheckFailed(
            f"the direction has length {out.norm():.3f}: {how}", mistake="unnormalised direction"
        )


# ----------------------------------------------------------------------------- InterFaceGAN
def _scored_latents(seed: int, n: int, d: int):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(d, generator=g)
    w = w / w.norm()
    z = torch.randn(n, d, generator=g)
    scores = torch.sigmoid(2 * (z @ w) + 0.3 * torch.randn(n, generator=g))
    return z, scores, w.double()


def check_interfacegan(interfacegan_direction) -> bool:
    """Check ``interfacegan_direction(z (N, d), scores (N,)) -> unit direction (d,)`` raising
    the score, on two data sets (another seed, number of latents and true direction)."""
    for seed, n, d in ((9, 800, 16), (19, 600, 16)):
        z, scores, w = _scored_latents(seed, n, d)
        out = _vector(interfacegan_direction, z, scores, name="interfacegan_direction", like=z)
        cos = (out @ w / out.norm().clamp_min(1e-12)).item()
        if cos < -0.8:
            raise CheckFailed(
                "your direction *lowers* the score: the positives (label 1) must be the high "
                "scores, and the normal must point towards them.",
                mistake="flipped sign",
            )
        if cos < 0.8:
            first = seed == 9
            raise CheckFailed(
                f"your direction is far from the true boundary normal (cosine {cos:.2f}) "
                + ("" if first else f"on a second data set (another seed, {n} latents) ")
                + "Label the top 30% of scores 1 and the bottom 30% 0, fit LogisticRegression "
                "on z, and use its coef_"
                + ("." if first else " — computed from these z and scores, not kept from before."),
                mistake="wrong direction",
            )
        _unit_length(
            out,
            "normalise it (n / |n|), otherwise the edit strength α means something different "
            "for every attribute.",
        )
    return passed(
        f"a unit normal pointing towards higher scores (cosine {cos:.2f} with the true one)."
    )


# ----------------------------------------------------------------------------- orthogonalise
def _orthogonal_case(seed: int, d: int, n1_norm: float, dtype) -> tuple:
    g = torch.Generator().manual_seed(seed)
    n1 = torch.randn(d, generator=g, dtype=torch.float64)
    n1 = n1 / n1.norm()
    n2 = torch.randn(d, generator=g, dtype=torch.float64)
    n2 = 0.6 * n1 + 0.4 * n2 / n2.norm()
    n2 = n2 / n2.norm()
    expected = n1 - (n1 @ n2) * n2
    return (n1_norm * n1).to(dtype), n2.to(dtype), expected / expected.norm()


def check_orthogonalize(orthogonalize) -> bool:
    """Check ``orthogonalize(n1, n2) -> unit n1' with n1'·n2 = 0``, for n2 of any length."""
    n1, n2_unit, expected = _orthogonal_case(10, 16, 1.0, torch.float32)
    u = n2_unit.double()
    out = _vector(orthogonalize, n1, n2_unit, name="orthogonalize", like=n1)
    if torch.allclose(out, n1.double(), atol=1e-4):
        raise CheckFailed(
            "you returned n1 unchanged: it is not orthogonalised, so the edit still moves the "
            "other attribute. Remove its component along n2: n1 - (n1·n2) n2.",
            mistake="not orthogonalised",
        )
    if abs((out @ u).item()) > 1e-3:
        if abs(abs(out @ u) - 1) < 1e-3:
            raise CheckFailed(
                "your result is parallel to n2: that is the projection (n1·n2) n2, the part to "
                "*remove*. Subtract it from n1.",
                mistake="projection instead of rejection",
            )
        raise CheckFailed(
            f"the result must be orthogonal to n2; the dot product is {(out @ u).item():.3f}. "
            "Use n1 - (n1·n2) n2.",
            mistake="not orthogonal",
        )
    _unit_length(
        out,
        "divide by its norm so it is a unit direction again (removing a component makes it "
        "shorter).",
    )
    if not torch.allclose(out, expected, atol=1e-3):
        raise CheckFailed(
            "orthogonal to n2 and unit length, but not the part of n1 orthogonal to n2: "
            "start from n1 and subtract (n1·n2) n2.",
            mistake="wrong direction",
        )
    out2 = _vector(orthogonalize, n1, 3.0 * n2_unit, name="orthogonalize", like=n1)
    if abs((out2 @ u).item()) > 1e-3 or not torch.allclose(out2, expected, atol=1e-3):
        raise CheckFailed(
            "with an n2 that is not unit length (here |n2| = 3) your result is wrong: "
            "n1 - (n1·n2) n2 assumes |n2| = 1. Normalise n2 first.",
            mistake="n2 not normalised",
        )
    n1, n2, expected = _orthogonal_case(20, 24, 2.5, torch.float64)  # another seed, size, dtype
    out3 = _vector(orthogonalize, n1, 0.5 * n2, name="orthogonalize", like=n1)
    if not torch.allclose(out3, expected, atol=1e-8):
        raise CheckFailed(
            "right on the first vectors but not on float64 vectors of size 24 with |n1| = 2.5, "
            f"|n2| = 0.5 (max error {(out3 - expected).abs().max():.2g}): normalise n2, "
            "subtract (n1·n2) n2, normalise the result, without fixed sizes or constants.",
            mistake="wrong direction",
        )
    return passed("unit length, orthogonal to n2, and the closest such direction to n1.")


# ----------------------------------------------------------------------------- feature-layer edit
def _edit_generator(dtype=torch.float32) -> Generator:
    """A small DCGAN generator with O(1) images (default init gives ~1e-4 in eval mode, where an
    extra tanh or a wrong edit would hide under any tolerance)."""
    # the learner's global (CPU) random state stays as it was; CUDA is not touched
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(11)
        G = Generator(z_dim=8, image_size=16, width=4)
        with torch.no_grad():
            for m in G.modules():
                if isinstance(m, torch.nn.ConvTranspose2d):
                    m.weight.normal_(0, 2 / (m.weight.shape[0] * 4) ** 0.5)
    return G.eval().requires_grad_(False).to(dtype)


def _edited(G, z, n, alpha, before_relu: bool = False) -> torch.Tensor:
    """The reference: h = block0(z) (after its ReLU), h + α n, then blocks 1, 2, ..."""
    x = z[:, :, None, None]
    if before_relu:
        pre = G.blocks[0][:-1](x)
        h = torch.relu(pre + alpha * n.view(pre.shape[1:]))
    else:
        h = G.blocks[0](x)
        h = h + alpha * n.view(h.shape[1:])
    for block in G.blocks[1:]:
        h = block(h)
    return h


def _edit_case(edit_in_features, G, seed: int, batch: int, alpha: float) -> None:
    g = torch.Generator().manual_seed(seed)
    dtype = next(G.parameters()).dtype
    z = torch.randn(batch, 8, generator=g, dtype=torch.float64).to(dtype)
    n = torch.randn(G.blocks[0](z[:1, :, None, None]).numel(), generator=g, dtype=torch.float64)
    n = (n / n.norm()).to(dtype)
    with torch.no_grad():
        expected = _edited(G, z, n, alpha)
        out = run_pure(edit_in_features, G, z, n, alpha, name="edit_in_features")
        if isinstance(out, torch.Tensor) and out.shape != expected.shape:
            raise CheckFailed(
                f"expected images of shape {tuple(expected.shape)}, got {tuple(out.shape)}. "
                "Run block 0 on z as (B, z_dim, 1, 1), add α n reshaped to h's shape, "
                "then run blocks 1, 2, ... on the result.",
                mistake="shape",
            )
        out = expect_tensor(out, like=z, name="edit_in_features", finite=True).detach()
        if torch.allclose(out, expected, atol=1e-4):
            return
        recognise(
            out,
            {
                "not edited": (
                    G(z),
                    "these are the unedited faces G(z): add α n to h before running the "
                    "remaining blocks.",
                ),
                "alpha hard-coded": (
                    _edited(G, z, n, 2.0),
                    f"the edit moved h by 2 n although the call passed α = {alpha:g}: use the "
                    "`alpha` argument, not a constant.",
                ),
                "alpha missing": (
                    _edited(G, z, n, 1.0),
                    f"the edit moved h by n, not α n with α = {alpha:g}: multiply the direction "
                    "by α.",
                ),
                "alpha twice": (
                    _edited(G, z, n, alpha * alpha),
                    f"the edit moved h by α² n: multiply the direction by α = {alpha:g} once.",
                ),
                "before the ReLU": (
                    _edited(G, z, n, alpha, before_relu=True),
                    "you edited before block 0's ReLU. h is the block's *output* (after the "
                    "ReLU): the ReLU is what makes h a non-linear function of z.",
                ),
                "extra tanh": (
                    torch.tanh(expected),
                    "the last block already ends in tanh: your extra tanh squashes the images "
                    "twice. Return the last block's output as it is.",
                ),
            },
            atol=1e-4,
        )
    raise CheckFailed(
        f"with α = {alpha:g} on {batch} {dtype} latents the images differ from h = block0(z), "
        "h + α n, then blocks 1, 2, ... (max error "
        f"{(out - expected).abs().max():.3g}). Check that you run block 0 once, reshape n to h's "
        "shape (C, s, s), and run every remaining block in order.",
        mistake="wrong images",
    )


def check_feature_edit(edit_in_features) -> bool:
    """Check ``edit_in_features(G, z (B, z_dim), n (d_h,), alpha) -> images``: the edit
    ``h + α n`` made on ``h = G.blocks[0](z)`` (after block 0's ReLU), then the remaining
    blocks; with α = 2 on float32, then α = -1.5 on float64 (another seed and batch)."""
    _edit_case(edit_in_features, _edit_generator(), seed=12, batch=4, alpha=2.0)
    _edit_case(edit_in_features, _edit_generator(torch.float64), seed=13, batch=3, alpha=-1.5)
    return passed("h = block0(z), h + α n, then the remaining blocks, for any α, batch and dtype.")


# ----------------------------------------------------------------------------- masked blend
def _blend_case(seed: int, batch: int, per_image: bool, dtype):
    g = torch.Generator().manual_seed(seed)
    original = torch.rand(batch, 3, 8, 8, generator=g, dtype=torch.float64).to(dtype) * 2 - 1
    edited = torch.rand(batch, 3, 8, 8, generator=g, dtype=torch.float64).to(dtype) * 2 - 1
    mask = torch.rand(batch if per_image else 1, 1, 8, 8, generator=g, dtype=torch.float64)
    return original, edited, mask.to(dtype)


def check_masked_blend(masked_blend) -> bool:
    """Check ``masked_blend(original, edited, mask) -> m·edited + (1 - m)·original`` for images
    (B, C, H, W) and a soft mask (1 or B, 1, H, W) broadcast over the channels: values, the
    gradients (m and 1 - m), then per-image float64 masks with another seed."""
    name = "masked_blend"
    for seed, batch, per_image, dtype in (
        (5, 2, False, torch.float32),
        (6, 3, True, torch.float64),
    ):
        original, edited, mask = _blend_case(seed, batch, per_image, dtype)
        original.requires_grad_(True)
        edited.requires_grad_(True)
        out = run_pure(masked_blend, original, edited, mask, name=name)
        out = expect_tensor(out, like=original, shape=original.shape, name=name, finite=True)
        o, e, m = original.detach(), edited.detach(), mask
        expected = m * e + (1 - m) * o
        if not torch.allclose(out.detach(), expected, atol=1e-6):
            recognise(
                out,
                {
                    "swapped": (
                        m * o + (1 - m) * e,
                        "you took the *original* where the mask is 1: m = 1 means 'edit here', "
                        "so m · edited + (1 - m) · original.",
                    ),
                    "hard mask": (
                        (m > 0.5) * e + (m <= 0.5) * o,
                        "you thresholded the mask: it is soft (values between 0 and 1 blend the "
                        "two images, which hides the seam). Multiply by m itself.",
                    ),
                    "missing 1 - m": (
                        m * e + o,
                        "the original must be weighted by (1 - m), otherwise the edited region "
                        "gets both images added.",
                    ),
                    "only edited": (m * e, "you left out the original: add (1 - m) · original."),
                    "average": (
                        (e + o) / 2,
                        "you averaged the two images: weight them by the mask, m and 1 - m.",
                    ),
                },
                atol=1e-5,
            )
            where = "" if seed == 5 else f"with per-image masks ({batch}, 1, 8, 8) in {dtype}, "
            raise CheckFailed(
                f"{where}the result is not m · edited + (1 - m) · original (max error "
                f"{(out.detach() - expected).abs().max():.3g}). Broadcast the (·, 1, H, W) mask "
                "over the channels as it is; do not pick a channel or a batch item.",
                mistake="wrong blend",
            )
        needs_grad(out, name=name)
        g_orig, g_edit = grads_of(out, (original, edited))
        if not torch.allclose(g_edit, m.expand_as(e), atol=1e-6) or not torch.allclose(
            g_orig, (1 - m).expand_as(o), atol=1e-6
        ):
            raise CheckFailed(
                "right values, but the gradient to `edited` is not m (or to `original` not "
                "1 - m): keep both images in the computation, without .detach().",
                mistake="wrong gradient",
            )
    return passed("m · edited + (1 - m) · original, per pixel, over every channel and image.")


# ----------------------------------------------------------------------------- inversion loss
class _Features(torch.nn.Module):
    """A fixed random feature map φ: images (B, 3, 8, 8) -> (B, 6, 4, 4), O(1) values."""

    def __init__(self, dtype):
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(21)
            self.conv = torch.nn.Conv2d(3, 6, 3, stride=2, padding=1).to(dtype)
        self.requires_grad_(False)

    def forward(self, x):
        return torch.relu(2 * self.conv(x))


def _inversion_case(seed: int, dtype):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        lin = torch.nn.Linear(4, 3 * 8 * 8).to(dtype).requires_grad_(False)
    G = torch.nn.Sequential(lin, torch.nn.Tanh(), torch.nn.Unflatten(1, (3, 8, 8)))
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(2, 4, generator=g, dtype=torch.float64).to(dtype).requires_grad_(True)
    target = (torch.rand(2, 3, 8, 8, generator=g, dtype=torch.float64) * 2 - 1).to(dtype)
    return G, z, target, _Features(dtype)


def _inversion_terms(G, z, target, phi, w, detach_features=False):
    out = G(z)
    feats = phi(out.detach() if detach_features else out)
    pixel, feature = (out - target).pow(2).mean(), (feats - phi(target)).pow(2).mean()
    return pixel, feature, pixel + w * feature


def check_inversion_loss(inversion_loss) -> bool:
    """Check ``inversion_loss(G, z, target, features, feature_weight) -> mean (G(z) - x)² +
    w · mean (φ(G(z)) - φ(x))²``: a scalar with a gradient, its value and d/dz, on float32 with
    w = 2.5, then float64 with w = 0.3 (another seed)."""
    name = "inversion_loss"
    for seed, dtype, w in ((7, torch.float32, 2.5), (8, torch.float64, 0.3)):
        G, z, target, phi = _inversion_case(seed, dtype)
        out = run_pure(inversion_loss, G, z, target, phi, w, name=name)
        if isinstance(out, torch.Tensor) and out.numel() != 1:
            raise CheckFailed(
                f"`{name}` must return one number, got shape {tuple(out.shape)}: take the means.",
                mistake="not reduced",
            )
        out = expect_tensor(out, like=z, name=name, finite=True).reshape(())
        pixel, feature, total = _inversion_terms(G, z, target, phi, w)
        value = out.detach().double()
        if abs(value - total.item()) > 1e-5 * (1 + abs(total.item())):
            p, f = pixel.item(), feature.item()
            sums = (target.numel(), phi(target).numel())
            recognise(
                value,
                {
                    "pixel term only": (p, "you left out the feature (perceptual) term."),
                    "feature term only": (w * f, "you left out the pixel term mean (G(z) - x)²."),
                    "weight on the wrong term": (
                        w * p + f,
                        "feature_weight multiplies the feature term, not the pixel term.",
                    ),
                    "sum instead of mean": (
                        p * sums[0] + w * f * sums[1],
                        "take means (.mean()), not sums: the loss must not grow with the image "
                        "size.",
                    ),
                    "L1 instead of squared": (
                        (G(z) - target).abs().mean().item()
                        + w * (phi(G(z)) - phi(target)).abs().mean().item(),
                        "square the differences ((a - b)²), not their absolute values.",
                    ),
                },
                # relative to the larger of the two: a float32 sum of many terms rounds differently
                # on each CPU, and a summed loss is hundreds of times the mean one
                atol=1e-5 * (1 + max(abs(total.item()), abs(value.item()))),
            )
            implied = (value.item() - p) / f  # the weight the learner's feature term has
            if abs(implied - round(implied, 2)) < 1e-4 and abs(implied - w) > 1e-3:
                raise CheckFailed(
                    f"your feature term is weighted by {implied:g}, but the call passed "
                    f"feature_weight = {w:g}: use the argument, not a constant.",
                    mistake="weight hard-coded",
                )
            raise CheckFailed(
                ("" if seed == 7 else f"on float64 with feature_weight = {w:g}: ")
                + f"expected {total.item():.6g} = pixel {p:.4g} + {w:g} × feature {f:.4g}, got "
                f"{value.item():.6g}. Use mean (G(z) - target)² + w · mean (φ(G(z)) - φ(target))².",
                mistake="wrong value",
            )
        needs_grad(out, name=name)
        (got,) = grads_of(out, [z])
        (want,) = torch.autograd.grad(total, z)
        if not torch.allclose(got, want, atol=1e-5, rtol=1e-4):
            (cut,) = torch.autograd.grad(_inversion_terms(G, z, target, phi, w, True)[2], z)
            detached = torch.allclose(got, cut, atol=1e-5, rtol=1e-4)
            raise CheckFailed(
                "the value is right but d loss / dz is not: "
                + (
                    "no gradient reaches z through the feature term. Do not detach G(z) "
                    "before the features (only φ(target) needs none)."
                    if detached
                    else "keep every step in torch operations on G(z)."
                ),
                mistake="detached features" if detached else "wrong gradient",
            )
    return passed("pixel MSE + feature_weight × feature MSE, with its gradient reaching z.")
