"""The attribute classifier for synthetic faces, also the course's feature extractor for metrics.

Used in lessons 04 (metrics), 05 and 07 (reading attributes of generated faces).

One small CNN reads a face and predicts every ground-truth attribute at once:

- a **regression** output per continuous attribute (values in [0, 1], trained with MSE);
- a **softmax head** per categorical attribute (logits over its classes, trained with
  cross-entropy).

Its penultimate layer, ``features(x)`` (a ``feature_dim``-vector, 128 by default), is the course's
stand-in for the Inception network that FID/KID use on real photos: an embedding trained on our
own data, so metrics run offline, in seconds, and measure what matters for faces (attributes).

Architecture for ``image_size = 64, width = w`` (cheap enough to train on a 2-core CPU)::

    x (B, 3, 64, 64)
    stem  conv3x3 s2              -> (B, w, 32, 32)
    down  conv3x3 s2 + conv3x3    -> (B, 2w, 16, 16)
    down  conv3x3 s2 + conv3x3    -> (B, 4w, 8, 8)
    down  conv3x3 s2              -> (B, 4w, 4, 4)
    embed flatten, linear, ReLU   -> (B, feature_dim)            = features(x)
    heads linear                  -> continuous (B, n_continuous), logits (B, k) per categorical

(Other power-of-two sizes get one stride-2 block per halving, widths capped at 4w.)

Each conv is followed by BatchNorm and ReLU. ``config`` holds the constructor arguments:
``AttributeClassifier(**model.config)`` rebuilds it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gancourse.data._checks import check_image_values


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)
    )


class AttributeClassifier(nn.Module):
    """Predict face attributes; ``features(x)`` is the embedding the metrics use.

    ``attributes`` maps each attribute name, in order, to its number of classes, with **0 for a
    continuous attribute** in [0, 1]: e.g. ``{"smile": 0, "glasses": 2, "hair_colour": 5}``.
    """

    def __init__(
        self,
        attributes: dict,
        image_size: int = 64,
        channels: int = 3,
        width: int = 24,
        feature_dim: int = 128,
    ):
        super().__init__()
        if not isinstance(attributes, dict) or not attributes:
            raise ValueError(
                "attributes must be a non-empty dict {name: number of classes, 0 = continuous}, "
                f"got {attributes!r}"
            )
        for name, classes in attributes.items():
            if not isinstance(classes, int) or classes == 1 or classes < 0:
                raise ValueError(
                    f"attribute {name!r}: number of classes must be 0 (continuous) or >= 2, "
                    f"got {classes!r}"
                )
        if not isinstance(image_size, int) or image_size < 16 or image_size & (image_size - 1):
            raise ValueError(f"image_size must be a power of two >= 16, got {image_size!r}")
        self.config = {
            "attributes": dict(attributes),
            "image_size": image_size,
            "channels": channels,
            "width": width,
            "feature_dim": feature_dim,
        }
        self.attribute_names = list(attributes)
        self.continuous = [n for n, k in attributes.items() if k == 0]
        self.categorical = {n: k for n, k in attributes.items() if k > 0}
        self.image_size, self.channels = image_size, channels

        layers = [_conv(channels, width, stride=2)]  # stem: (B, w, S/2, S/2)
        size, c = image_size // 2, width
        while size > 4:  # each: (B, c, s, s) -> (B, min(2c, 4w), s/2, s/2)
            cout = min(2 * c, 4 * width)
            block = [_conv(c, cout, stride=2)]
            if size // 2 > 4:
                block.append(_conv(cout, cout))  # one more conv, except at 4x4
            layers.append(nn.Sequential(*block))
            size, c = size // 2, cout
        self.body = nn.Sequential(*layers)  # (B, 4w, 4, 4) for 64 px
        self.embed = nn.Sequential(
            nn.Flatten(), nn.Linear(c * 16, feature_dim), nn.ReLU(True)
        )  # (B, F)
        self.regress = nn.Linear(feature_dim, len(self.continuous)) if self.continuous else None
        self.heads = nn.ModuleDict(
            {n: nn.Linear(feature_dim, k) for n, k in self.categorical.items()}
        )

    def _check(self, x: torch.Tensor) -> None:
        expected = (self.channels, self.image_size, self.image_size)
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or tuple(x.shape[1:]) != expected:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(
                f"AttributeClassifier expects images (B, {', '.join(map(str, expected))}) "
                f"in [-1, 1], got {got}. "
                f"Resize with torch.nn.functional.interpolate(x, size={self.image_size})."
            )

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate embedding (B, feature_dim).

        The course's feature extractor for FID/KID.
        """
        self._check(x)
        return self.embed(self.body(x))  # (B, F)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Outputs by attribute name.

        ``{name: (B,) value}`` for continuous attributes, ``{name: (B, k) logits}`` for
        categorical.
        """
        h = self.features(x)
        out = {}
        if self.regress is not None:
            values = self.regress(h)  # (B, n_continuous)
            out.update({n: values[:, i] for i, n in enumerate(self.continuous)})
        out.update({n: head(h) for n, head in self.heads.items()})
        return {n: out[n] for n in self.attribute_names}

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Predicted attributes (B, A) in ``attribute_names`` order.

        Values, or class indices as floats.
        """
        check_image_values(x, "x")
        out = self(x)
        cols = [
            out[n].clamp(0, 1) if n in self.continuous else out[n].argmax(1).float()
            for n in self.attribute_names
        ]
        return torch.stack(cols, dim=1)

    def loss(self, x: torch.Tensor, attributes: torch.Tensor) -> tuple[torch.Tensor, dict]:
        """Training loss: mean of MSE per continuous and cross-entropy per categorical attribute.

        ``attributes`` is (B, A) in ``attribute_names`` order (class indices stored as floats).
        Returns ``(loss, {name: its term})``.
        """
        if attributes.dim() != 2 or attributes.shape[1] != len(self.attribute_names):
            raise ValueError(
                f"attributes must be (B, {len(self.attribute_names)}) "
                f"in the order {self.attribute_names}, "
                f"got {tuple(attributes.shape)}"
            )
        out = self(x)
        terms = {}
        for i, n in enumerate(self.attribute_names):
            target = attributes[:, i]
            if n in self.continuous:
                terms[n] = (
                    F.mse_loss(out[n], target.float()) * 10.0
                )  # x10: MSE on [0,1] is small next to CE
            else:
                terms[n] = F.cross_entropy(out[n], target.long())
        return sum(terms.values()) / len(terms), {n: t.item() for n, t in terms.items()}
