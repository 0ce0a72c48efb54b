"""Checks for ``exercises/00_warmup.ipynb``: uint8 images to [-1, 1] and back."""

from __future__ import annotations

import torch

from ._core import CheckFailed, passed, run_learner


def _sample_uint8() -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8, generator=g)
    images[0, 0, 0, 0] = 0
    images[0, 0, 0, 1] = 255
    return images


def check_to_unit_range(to_unit_range) -> bool:
    """Check ``to_unit_range(images_uint8) -> float tensor in [-1, 1]`` with x = v / 127.5 - 1."""
    images = _sample_uint8()
    out = run_learner(to_unit_range, images.clone(), name="to_unit_range")
    if not isinstance(out, torch.Tensor):
        raise CheckFailed(
            f"return a torch.Tensor, got {type(out).__name__}.", mistake="not a tensor"
        )
    if out.shape != images.shape:
        raise CheckFailed(
            f"the shape must stay {tuple(images.shape)}, got {tuple(out.shape)}.", mistake="shape"
        )
    if not out.is_floating_point():
        raise CheckFailed(
            f"the result has dtype {out.dtype}; convert to float first (images.float()), "
            "otherwise the division rounds to whole numbers.",
            mistake="integer dtype",
        )
    expected = images.float() / 127.5 - 1
    lo, hi = out.min().item(), out.max().item()
    if torch.allclose(out, images.float() / 255, atol=1e-4):
        raise CheckFailed(
            "your values are in [0, 1]: that is only half the way. "
            "Map [0, 1] to [-1, 1] with x * 2 - 1.",
            mistake="[0, 1] range",
        )
    if torch.allclose(out, images.float() / 127.5, atol=1e-4):
        raise CheckFailed(
            "your values are in [0, 2]: subtract 1 after dividing by 127.5.", mistake="forgot -1"
        )
    if torch.allclose(out, images.float() / 256 * 2 - 1, atol=1e-4):
        raise CheckFailed(
            "divide by 255 (the largest uint8 value), not 256, so that 255 maps to exactly 1.",
            mistake="divided by 256",
        )
    if not torch.allclose(out, expected, atol=1e-4):
        raise CheckFailed(
            f"0 must map to -1 and 255 to +1; your values span [{lo:.3f}, {hi:.3f}]. "
            "Use x = v / 127.5 - 1.",
            mistake="wrong mapping",
        )
    return passed("0 → -1, 255 → +1, float dtype, shape kept.")


def check_to_uint8(to_uint8) -> bool:
    """Check ``to_uint8(x in [-1, 1]) -> uint8`` with v = round((x + 1) * 127.5),
    clamped to [0, 255]."""
    images = _sample_uint8()
    x = images.float() / 127.5 - 1
    out = run_learner(to_uint8, x.clone(), name="to_uint8")
    if not isinstance(out, torch.Tensor):
        raise CheckFailed(
            f"return a torch.Tensor, got {type(out).__name__}.", mistake="not a tensor"
        )
    if out.dtype != torch.uint8:
        raise CheckFailed(
            f"the result must have dtype torch.uint8, got {out.dtype}. End with .to(torch.uint8).",
            mistake="dtype",
        )
    if out.shape != images.shape:
        raise CheckFailed(
            f"the shape must stay {tuple(images.shape)}, got {tuple(out.shape)}.", mistake="shape"
        )
    diff = (out.int() - images.int()).abs().max().item()
    if diff == 1:
        raise CheckFailed(
            "some values are off by one: round before converting (.round()), "
            "because .to(torch.uint8) truncates.",
            mistake="no rounding",
        )
    if diff != 0:
        raise CheckFailed(
            "round-tripping does not give the original pixels back. Use v = (x + 1) * 127.5.",
            mistake="wrong mapping",
        )
    # Values outside [-1, 1] (a generator can overshoot) must be clamped, not wrapped around.
    overshoot = run_learner(to_uint8, torch.tensor([[-1.5, 1.5]]), name="to_uint8")
    if overshoot.tolist() != [[0, 255]]:
        raise CheckFailed(
            "values outside [-1, 1] must be clamped: -1.5 → 0 and 1.5 → 255, "
            f"got {overshoot.tolist()[0]}. "
            "Use .clamp(0, 255) before converting: uint8 wraps around otherwise.",
            mistake="no clamp",
        )
    return passed("exact round trip, rounding and clamping right.")
