"""Checks for ``exercises/02_preprocessing.ipynb``: mean/std normalisation, a paired random flip,
and a translation augmentation."""

from __future__ import annotations

import torch

from ._core import CheckFailed, passed, run_learner

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def _images(b=4, h=5, w=7, seed=0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(b, 3, h, w, generator=g)


def _stats():
    return torch.tensor(MEAN).view(1, 3, 1, 1), torch.tensor(STD).view(1, 3, 1, 1)


def _call(func, *args, name):
    """run_learner, but a broadcasting error becomes a named hint about the channel axis."""
    try:
        return run_learner(func, *args, name=name)
    except CheckFailed as error:
        if error.mistake == "error" and (
            "must match the size" in error.hint or "broadcast" in error.hint
        ):
            raise CheckFailed(
                "the mean and std must act per *channel*: a tensor of 3 values lines up with "
                "the last axis (width) unless you reshape it to (3, 1, 1) first, e.g. "
                "torch.tensor(mean).view(-1, 1, 1).",
                mistake="channel broadcast",
            ) from None
        raise


def _tensor(out, shape, label):
    if not isinstance(out, torch.Tensor):
        raise CheckFailed(
            f"`{label}` must return a torch.Tensor, got {type(out).__name__}.",
            mistake="not a tensor",
        )
    if tuple(out.shape) != tuple(shape):
        raise CheckFailed(
            f"`{label}` must keep the shape {tuple(shape)}, got {tuple(out.shape)}.",
            mistake="shape",
        )
    return out


def check_normalize(normalize) -> bool:
    """``normalize(x, mean, std)``: per-channel (x - mean) / std on a batch (B, 3, H, W)."""
    x = _images()
    original = x.clone()
    out = _tensor(_call(normalize, x, MEAN, STD, name="normalize"), x.shape, "normalize")
    if not torch.equal(x, original):
        raise CheckFailed(
            "your function changed its input in place; compute a new tensor instead "
            "(x - m, not x -= m).",
            mistake="in place",
        )
    m, s = _stats()
    expected = (x - m) / s
    if torch.allclose(out, expected, atol=1e-5):
        return passed("per-channel (x - mean) / std.")
    if torch.allclose(out, (x - s) / m, atol=1e-5):
        raise CheckFailed(
            "you swapped mean and std: subtract the mean, divide by the std.",
            mistake="swapped mean and std",
        )
    if torch.allclose(out, (x - m) * s, atol=1e-5):
        raise CheckFailed(
            "divide by the std, do not multiply: (x - mean) / std.", mistake="multiplied by std"
        )
    if torch.allclose(out, x / s - m, atol=1e-5):
        raise CheckFailed(
            "subtract the mean *before* dividing: (x - mean) / std, not x / std - mean.",
            mistake="wrong order",
        )
    raise CheckFailed(
        f"the values are off (largest error {(out - expected).abs().max().item():.3g}). "
        "Each channel c must become (x[:, c] - mean[c]) / std[c].",
        mistake="wrong values",
    )


def check_denormalize(denormalize) -> bool:
    """``denormalize(y, mean, std)``: the inverse, y * std + mean, so
    denormalize(normalize(x)) == x."""
    x = _images(seed=1)
    m, s = _stats()
    y = (x - m) / s
    out = _tensor(
        _call(denormalize, y.clone(), MEAN, STD, name="denormalize"), x.shape, "denormalize"
    )
    if torch.allclose(out, x, atol=1e-5):
        return passed("denormalize(normalize(x)) gives x back.")
    if torch.allclose(out, (y + m) * s, atol=1e-5):
        raise CheckFailed(
            "undo the steps in reverse order: first multiply by std, then add the mean.",
            mistake="wrong order",
        )
    if torch.allclose(out, y * m + s, atol=1e-5):
        raise CheckFailed(
            "you swapped mean and std: y * std + mean.", mistake="swapped mean and std"
        )
    if torch.allclose(out, y / s + m, atol=1e-5):
        raise CheckFailed(
            "multiply by the std to undo the division: y * std + mean.", mistake="divided by std"
        )
    if torch.allclose(out, x.clamp(0, 1), atol=1e-5):
        return passed("denormalize(normalize(x)) gives x back.")
    raise CheckFailed(
        f"denormalize(normalize(x)) is not x (largest error {(out - x).abs().max().item():.3g}).",
        mistake="wrong values",
    )


def check_paired_flip(paired_flip) -> bool:
    """``paired_flip(a, b, generator)``: flip each pair (a[i], b[i]) left-right together,
    with prob. 1/2."""
    n = 64
    base = torch.arange(n * 3 * 4 * 6, dtype=torch.float32).view(n, 3, 4, 6)
    a, b = base.clone(), -base.clone()
    g = torch.Generator().manual_seed(0)
    out = run_learner(paired_flip, a, b, g, name="paired_flip")
    if not (isinstance(out, tuple | list) and len(out) == 2):
        raise CheckFailed("return the pair: `return a_out, b_out`.", mistake="not a pair")
    a2, b2 = (_tensor(t, base.shape, "paired_flip") for t in out)
    decisions = []
    for i in range(n):
        same_a, flip_a = torch.equal(a2[i], base[i]), torch.equal(a2[i], base[i].flip(-1))
        same_b, flip_b = torch.equal(b2[i], -base[i]), torch.equal(b2[i], -base[i].flip(-1))
        if torch.equal(a2[i], base[i].flip(-2)) or torch.equal(b2[i], -base[i].flip(-2)):
            raise CheckFailed(
                "that is an upside-down (vertical) flip; a horizontal flip reverses the "
                "*last* axis (width): x.flip(-1).",
                mistake="vertical flip",
            )
        if not (same_a or flip_a) or not (same_b or flip_b):
            raise CheckFailed(
                f"image {i} is neither itself nor its mirror image. "
                "Flip with x.flip(-1), or keep it.",
                mistake="wrong values",
            )
        if flip_a != flip_b:
            raise CheckFailed(
                f"pair {i}: one image was flipped and its partner was not. In paired data "
                "(photo, painting) both must get the *same* coin toss, or the pair no longer "
                "lines up.",
                mistake="inconsistent flip",
            )
        decisions.append(flip_a)
    flipped = sum(decisions)
    if flipped in (0, n):
        raise CheckFailed(
            f"{'every' if flipped else 'no'} pair was flipped. Toss one coin *per pair* "
            "(torch.rand(B, generator=generator) < 0.5), not one for the whole batch.",
            mistake="one coin for the batch",
        )
    if not 16 <= flipped <= 48:
        raise CheckFailed(
            f"{flipped} of {n} pairs were flipped; with probability 1/2 expect about half.",
            mistake="probability",
        )
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    r1 = run_learner(paired_flip, base.clone(), -base.clone(), g1, name="paired_flip")
    r2 = run_learner(paired_flip, base.clone(), -base.clone(), g2, name="paired_flip")
    if not torch.equal(r1[0], r2[0]):
        raise CheckFailed(
            "use the `generator` argument for the coin tosses, so a seed reproduces the flips.",
            mistake="ignores generator",
        )
    return passed(f"{flipped}/{n} pairs flipped, always both images together, left-right.")


def _reference_translate(x, dx, dy):
    out = torch.zeros_like(x)
    h, w = x.shape[-2:]
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[..., yd, xd] = x[..., ys, xs]
    return out


def check_translate(translate) -> bool:
    """``translate(x, dx, dy)``: move the content dx pixels right and dy down, fill the gap
    with 0."""
    x = torch.arange(2 * 3 * 6 * 8, dtype=torch.float32).view(2, 3, 6, 8) + 1
    for dx, dy in ((2, 1), (-3, 2), (0, -2), (1, 0)):
        out = _tensor(
            run_learner(translate, x.clone(), dx, dy, name="translate"), x.shape, "translate"
        )
        expected = _reference_translate(x, dx, dy)
        if torch.equal(out, expected):
            continue
        if torch.equal(out, torch.roll(x, shifts=(dy, dx), dims=(-2, -1))):
            raise CheckFailed(
                "torch.roll wraps the content around the edge; a translation moves it out of the "
                "frame and fills the gap with zeros.",
                mistake="wrap-around",
            )
        if torch.equal(out, _reference_translate(x, -dx, -dy)):
            raise CheckFailed(
                f"the content moved the wrong way for dx={dx}, dy={dy}: positive dx moves it "
                "to the right (larger column index), positive dy down.",
                mistake="wrong direction",
            )
        if dx != dy and torch.equal(out, _reference_translate(x, dy, dx)):
            raise CheckFailed(
                "dx shifts columns (last axis, width), dy shifts rows (height): you swapped them.",
                mistake="swapped axes",
            )
        raise CheckFailed(
            f"translate(x, {dx}, {dy}) is wrong at {int((out != expected).sum())} of {out.numel()} "
            "values. Copy x[..., :H-dy, :W-dx] into out[..., dy:, dx:] (for positive shifts).",
            mistake="wrong values",
        )
    return passed("content moves right/down by (dx, dy), the gap is zero, nothing wraps around.")
