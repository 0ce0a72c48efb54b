"""Checks for ``exercises/02_preprocessing.ipynb`` (lesson 02): mean/std normalisation, a paired
random flip, and a translation augmentation.

    normalize:   y[:, c] = (x[:, c] - mean[c]) / std[c]       denormalize: x = y · std + mean
    paired_flip: pair i flipped left-right (both images) when its coin u_i < 1/2
    translate:   out[..., i + dy, j + dx] = x[..., i, j], the uncovered pixels 0

Every check runs a float32 and a float64 input of other shapes and seeds (normalisation with
ImageNet's statistics, then others), and names an in-place change to an input.
"""

from __future__ import annotations

import torch

from ._core import CheckFailed, expect_tensor, passed, recognise, run_pure

MEAN = (0.485, 0.456, 0.406)  # ImageNet's, what a learner might hard-code
STD = (0.229, 0.224, 0.225)
CASES = (  # shape, seed, dtype, mean, std: the second with other statistics, as a list
    ((4, 3, 5, 7), 0, torch.float32, MEAN, STD),
    ((2, 3, 4, 6), 2, torch.float64, [0.5, 0.3, 0.7], [0.2, 0.5, 0.25]),
)


def _images(shape, seed, dtype=torch.float32) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=g, dtype=dtype)


def _stats(values, dtype) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype).view(1, 3, 1, 1)


def _call(func, *args, name):
    """run_pure, but a broadcasting error becomes a named hint about the channel axis."""
    try:
        return run_pure(func, *args, name=name)
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


def _hard_coded(mean, imagenet, half):
    """The known results of statistics written into the function instead of taken from the
    arguments (only where the arguments differ from them)."""
    hint = (
        f"your result uses {{}} although mean={list(mean)} was passed: use the `mean` and `std` "
        "arguments, not numbers written into the function."
    )
    known = {"hard-coded 0.5": (half, hint.format("mean = std = 0.5"))}
    if tuple(mean) != MEAN:
        known["hard-coded mean/std"] = (imagenet, hint.format("ImageNet's statistics"))
    return known


def check_normalize(normalize) -> bool:
    """``normalize(x, mean, std)``: per-channel (x - mean) / std on a batch (B, 3, H, W)."""
    for shape, seed, dtype, mean, std in CASES:
        x = _images(shape, seed, dtype)
        out = _call(normalize, x, mean, std, name="normalize")
        out = expect_tensor(out, like=x, shape=shape, name="normalize")
        m, s = _stats(mean, dtype), _stats(std, dtype)
        expected = (x - m) / s
        if torch.allclose(out, expected, atol=1e-5):
            continue
        inet = (x - _stats(MEAN, dtype)) / _stats(STD, dtype)
        known = _hard_coded(mean, inet, (x - 0.5) / 0.5) | {
            "swapped mean and std": (
                (x - s) / m,
                "you swapped mean and std: subtract the mean, divide by the std.",
            ),
            "multiplied by std": ((x - m) * s, "divide by the std, do not multiply."),
            "wrong order": (
                x / s - m,
                "subtract the mean *before* dividing: (x - mean) / std, not x / std - mean.",
            ),
        }
        recognise(out, known)
        raise CheckFailed(
            f"the values are off (largest error {(out - expected).abs().max().item():.3g}). "
            "Each channel c must become (x[:, c] - mean[c]) / std[c].",
            mistake="wrong values",
        )
    return passed("per-channel (x - mean) / std, with the arguments' statistics and dtype.")


def check_denormalize(denormalize) -> bool:
    """``denormalize(y, mean, std)``: the inverse, y * std + mean, so
    denormalize(normalize(x)) == x."""
    for shape, seed, dtype, mean, std in CASES:
        x = _images(shape, seed + 1, dtype)
        m, s = _stats(mean, dtype), _stats(std, dtype)
        y = (x - m) / s
        out = _call(denormalize, y, mean, std, name="denormalize")
        out = expect_tensor(out, like=y, shape=shape, name="denormalize")
        if torch.allclose(out, x, atol=1e-5):
            continue
        inet = y * _stats(STD, dtype) + _stats(MEAN, dtype)
        known = _hard_coded(mean, inet, y * 0.5 + 0.5) | {
            "wrong order": (
                (y + m) * s,
                "undo the steps in reverse order: first multiply by std, then add the mean.",
            ),
            "swapped mean and std": (y * m + s, "you swapped mean and std: y * std + mean."),
            "divided by std": (y / s + m, "multiply by the std to undo the division."),
        }
        recognise(out, known)
        raise CheckFailed(
            "denormalize(normalize(x)) is not x "
            f"(largest error {(out - x).abs().max().item():.3g}).",
            mistake="wrong values",
        )
    return passed("denormalize(normalize(x)) gives x back, with the arguments' statistics.")


def _flips(paired_flip, base, seed):
    """Run ``paired_flip`` on (base, -base) with a generator seeded ``seed``; return the pair."""
    g = torch.Generator().manual_seed(seed)
    out = run_pure(paired_flip, base.clone(), -base, g, name="paired_flip")
    if not (isinstance(out, tuple | list) and len(out) == 2):
        raise CheckFailed("return the pair: `return a_out, b_out`.", mistake="not a pair")
    return [expect_tensor(t, like=base, shape=base.shape, name="paired_flip") for t in out]


def _decisions(base, a2, b2) -> list[bool]:
    decisions = []
    for i in range(len(base)):
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
    return decisions


def check_paired_flip(paired_flip) -> bool:
    """``paired_flip(a, b, generator)``: flip each pair (a[i], b[i]) left-right together,
    with prob. 1/2, the coins drawn from ``generator``. Runs 64 float32 pairs with generator
    seeds 0, 5, 5 again and 6 (float64): the same seed must give the same flips, another seed
    other flips."""
    n = 64
    base = torch.arange(n * 3 * 4 * 6, dtype=torch.float32).view(n, 3, 4, 6)
    decisions = _decisions(base, *_flips(paired_flip, base, 0))
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
    r1, r2 = _flips(paired_flip, base, 5), _flips(paired_flip, base, 5)
    if not torch.equal(r1[0], r2[0]):
        raise CheckFailed(
            "use the `generator` argument for the coin tosses, so a seed reproduces the flips.",
            mistake="ignores generator",
        )
    base64 = base.double()
    other = _decisions(base64, *_flips(paired_flip, base64, 6))
    if other == _decisions(base, *r1):
        raise CheckFailed(
            "generators with seeds 5 and 6 give the same flips: a torch.manual_seed(...) or a "
            "torch.Generator of your own inside the function fixes the coins. Draw them from "
            "the `generator` argument: torch.rand(B, generator=generator).",
            mistake="fixed seed",
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
    with 0. Four shifts of a float32 (2, 3, 6, 8) batch, three of a float64 (3, 5, 9) image."""
    cases = [((2, 3, 6, 8), torch.float32, s) for s in ((2, 1), (-3, 2), (0, -2), (1, 0))]
    cases += [((3, 5, 9), torch.float64, s) for s in ((4, -1), (-2, 3), (0, 0))]
    for shape, dtype, (dx, dy) in cases:
        x = torch.arange(torch.Size(shape).numel(), dtype=dtype).view(shape) + 1
        out = run_pure(translate, x, dx, dy, name="translate")
        out = expect_tensor(out, like=x, shape=shape, name="translate")
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
            f"translate(x, {dx}, {dy}) on a {tuple(shape)} input is wrong at "
            f"{int((out != expected).sum())} of {out.numel()} values. Copy x[..., :H-dy, :W-dx] "
            "into out[..., dy:, dx:] (for positive shifts); a shift of 0 keeps the whole axis "
            "(beware x[..., :-0], which is empty).",
            mistake="wrong values",
        )
    return passed("content moves right/down by (dx, dy), the gap is zero, nothing wraps around.")
