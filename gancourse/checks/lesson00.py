"""Checks for ``exercises/00_warmup.ipynb`` (lesson 00): uint8 images to [-1, 1] and back.

    to_unit_range: x = v / 127.5 - 1          uint8 (any shape) -> float32 in [-1, 1]
    to_uint8:      v = clamp(round((x + 1) · 127.5), 0, 255)  float (any shape) -> uint8

Each check runs two batches (other shapes, other seeds; the second ``to_uint8`` batch in
float64), names an in-place change to the input, and checks type, shape and dtype first.
"""

from __future__ import annotations

import torch

from ._core import CheckFailed, expect_tensor, passed, recognise, run_pure


def _sample_uint8(shape=(4, 3, 8, 8), seed=0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, shape, dtype=torch.uint8, generator=g)
    images.view(-1)[:2] = torch.tensor([0, 255], dtype=torch.uint8)  # both ends of the range
    return images


def check_to_unit_range(to_unit_range) -> bool:
    """Check ``to_unit_range(images_uint8) -> float32 tensor in [-1, 1]`` with
    x = v / 127.5 - 1, on a (4, 3, 8, 8) batch and a (2, 5, 6) one."""
    name = "to_unit_range"
    for shape, seed in (((4, 3, 8, 8), 0), ((2, 5, 6), 1)):
        images = _sample_uint8(shape, seed)
        out = run_pure(to_unit_range, images, name=name)
        expect_tensor(out, shape=shape, name=name)
        if not out.is_floating_point():
            raise CheckFailed(
                f"the result has dtype {out.dtype}; convert to float first (images.float()), "
                "otherwise the division rounds to whole numbers.",
                mistake="integer dtype",
            )
        expect_tensor(out, dtype=torch.float32, name=name)
        v = images.float()
        recognise(
            out,
            {
                "[0, 1] range": (
                    v / 255,
                    "your values are in [0, 1]: that is only half the way. "
                    "Map [0, 1] to [-1, 1] with x * 2 - 1.",
                ),
                "forgot -1": (v / 127.5, "your values are in [0, 2]: subtract 1 after dividing."),
                "divided by 256": (
                    v / 256 * 2 - 1,
                    "divide by 255 (the largest uint8 value), not 256, so that 255 maps to "
                    "exactly 1.",
                ),
            },
            atol=1e-4,
        )
        if not torch.allclose(out, v / 127.5 - 1, atol=1e-4):
            raise CheckFailed(
                f"0 must map to -1 and 255 to +1; your values span [{out.min().item():.3f}, "
                f"{out.max().item():.3f}]. Use x = v / 127.5 - 1.",
                mistake="wrong mapping",
            )
    return passed("0 → -1, 255 → +1, float32, any shape, input untouched.")


def check_to_uint8(to_uint8) -> bool:
    """Check ``to_uint8(x in [-1, 1]) -> uint8`` with v = round((x + 1) * 127.5), clamped to
    [0, 255]: a float32 (4, 3, 8, 8) batch, a float64 (3, 7) one, and values beyond ±1."""
    name = "to_uint8"
    for shape, seed, dtype in (((4, 3, 8, 8), 0, torch.float32), ((3, 7), 1, torch.float64)):
        images = _sample_uint8(shape, seed)
        x = images.to(dtype) / 127.5 - 1
        out = expect_tensor(run_pure(to_uint8, x, name=name), shape=shape, name=name)
        if out.dtype != torch.uint8:
            raise CheckFailed(
                f"the result must have dtype torch.uint8, got {out.dtype}. "
                "End with .to(torch.uint8).",
                mistake="dtype",
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
    beyond = torch.tensor([[-1.5, 1.5, -3.0, 2.0]])
    overshoot = expect_tensor(
        run_pure(to_uint8, beyond, name=name), shape=(1, 4), dtype=torch.uint8, name=name
    )
    if overshoot.tolist() != [[0, 255, 0, 255]]:
        raise CheckFailed(
            "values outside [-1, 1] must be clamped: -1.5 → 0 and 1.5 → 255, "
            f"got {overshoot.tolist()[0][:2]}. "
            "Use .clamp(0, 255) before converting: uint8 wraps around otherwise.",
            mistake="no clamp",
        )
    return passed("exact round trip (float32 and float64), rounding and clamping right.")
