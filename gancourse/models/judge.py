"""The style judge: a small CNN that says whether a patch looks like a photo or like one of the five
painting styles. Used in lessons 08 and 09 to measure style transfer the way a person looks at it.

"Style distance falls as α rises" says that statistics move; it does not say that a person sees a
painting. The judge is trained, by the zoo recipe ``style_judge``, on patches of the course's
procedural paint filter (:func:`gancourse.data.styles.paint_filter`) applied to training images,
against the same images left alone ("photo"). The photos the lessons stylise (Grace Hopper, the
astronaut, the cat, the coffee) are never among its training images, so its verdict on them is a
held-out measurement.

Architecture for a patch of ``patch = 64`` pixels and ``width = w``::

    x (B, 3, 64, 64)
    conv3x3 s2                -> (B, w, 32, 32)     strokes, dots, hatch lines
    conv3x3 s2                -> (B, 2w, 16, 16)
    conv3x3 s2                -> (B, 4w, 8, 8)      cells, outlines
    conv3x3 s2                -> (B, 4w, 4, 4)
    mean and std over space   -> (B, 8w)            texture statistics, not layout
    linear                    -> (B, K)             logits: "photo" and the K - 1 styles

Pooling means *and* standard deviations makes the verdict a texture verdict (Gram-like
statistics), so it works on any patch size from 32 px up. Every conv is followed by BatchNorm
and ReLU. ``StyleJudge(**judge.config)`` rebuilds it.
"""

from __future__ import annotations

import torch
from torch import nn

from gancourse.data._checks import check_image_values
from gancourse.data.styles import STYLE_NAMES

JUDGE_CLASSES = ("photo", *STYLE_NAMES)


def _conv(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)
    )


class StyleJudge(nn.Module):
    """``judge(x)``: logits (B, K) over ``classes`` for patches (B, 3, H, W) in [-1, 1].

    Any patch size from 32 pixels up; it is trained on ``patch`` x ``patch`` patches.
    """

    def __init__(self, classes=JUDGE_CLASSES, patch: int = 64, width: int = 24):
        super().__init__()
        classes = tuple(classes)
        if len(classes) < 2 or len(set(classes)) != len(classes):
            raise ValueError(f"classes must be at least two distinct names, got {classes}")
        if patch < 32:
            raise ValueError(f"patch must be at least 32 pixels, got {patch}")
        self.classes, self.patch = classes, patch
        self.config = {"classes": list(classes), "patch": patch, "width": width}
        w = width
        self.body = nn.Sequential(
            _conv(3, w, 2),  # (B, w, H/2, W/2)
            _conv(w, 2 * w, 2),  # (B, 2w, H/4, W/4)
            _conv(2 * w, 4 * w, 2),  # (B, 4w, H/8, W/8)
            _conv(4 * w, 4 * w, 2),  # (B, 4w, H/16, W/16)
        )
        self.head = nn.Linear(8 * w, len(classes))  # (B, K)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Texture statistics (B, 8w): each last-block channel's mean and std over space."""
        h = self.body(x)
        return torch.cat([h.mean((2, 3)), h.std((2, 3))], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> list[str]:
        """The class name of each patch (B, 3, H, W) in [-1, 1]."""
        check_image_values(x, "x")
        if x.dim() != 4 or x.shape[1] != 3 or min(x.shape[-2:]) < 32:
            raise ValueError(
                f"x must be RGB patches (B, 3, H, W), H, W >= 32, got {tuple(x.shape)}"
            )
        return [self.classes[i] for i in self(x).argmax(1).tolist()]
