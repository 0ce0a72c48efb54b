"""Conditional DCGAN: a generator told *which* attributes to draw, and a projection discriminator.

Derived in lesson 05.

Generator (conditioning by embedding concatenation, Mirza & Osindero 2014)::

    z (B, z_dim), labels (B, m) class indices of m categorical attributes
    e_j = Embedding_j(labels[:, j])                 (B, embed_dim) each
    h = concat(z, e_1, ..., e_m)                    (B, z_dim + m * embed_dim)
    x = DCGAN generator body(h)                     (B, C, S, S) in [-1, 1]

Projection discriminator (Miyato & Koyama, 2018)::

    φ(x) = sum over space of the DCGAN conv features (spectral norm, no BatchNorm)   (B, F)
    D(x, y) = ψ(φ(x)) + Σ_j <V_j[y_j], φ(x)>                                        (B,)

The inner product with a per-class embedding ``V_j[y_j]`` is what makes it a *projection*: D
scores "is this a real image?" and "does it look like class y?" in one number, without
concatenating labels to pixels. ``model.config`` rebuilds each model: ``Class(**model.config)``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from gancourse.data import faces

from .dcgan import Discriminator, Generator


def _check_classes(classes, who: str) -> dict:
    if not isinstance(classes, dict) or not classes:
        raise ValueError(
            f"{who}: classes must be a non-empty dict {{attribute name: number of classes}}, "
            f"got {classes!r}"
        )
    for name, k in classes.items():
        if not isinstance(k, int) or k < 2:
            raise ValueError(f"{who}: attribute {name!r} needs at least 2 classes, got {k!r}")
    return dict(classes)


def _check_labels(labels, classes: dict, who: str) -> torch.Tensor:
    names = list(classes)
    if not isinstance(labels, torch.Tensor) or labels.dim() != 2 or labels.shape[1] != len(names):
        got = tuple(labels.shape) if isinstance(labels, torch.Tensor) else type(labels).__name__
        raise ValueError(
            f"{who}: labels must be a (B, {len(names)}) tensor of class indices for {names}, "
            f"got {got}. "
            "Make them with random_labels(n) or labels_from_attributes(attributes)."
        )
    labels = labels.long()
    for j, (name, k) in enumerate(classes.items()):
        column = labels[:, j]
        if column.numel() and (column.min() < 0 or column.max() >= k):
            raise ValueError(
                f"{who}: {name} labels must be class indices 0..{k - 1}, got values "
                f"{column.min().item()}..{column.max().item()}"
            )
    return labels


class ConditionalGenerator(nn.Module):
    """``G(z, labels) -> images (B, channels, S, S)``.

    ``labels`` (B, m) index the classes of each attribute.
    """

    def __init__(
        self,
        z_dim: int = 64,
        image_size: int = 64,
        channels: int = 3,
        width: int = 32,
        classes: dict | None = None,
        embed_dim: int = 16,
    ):
        super().__init__()
        classes = _check_classes(classes, "ConditionalGenerator")
        self.config = {
            "z_dim": z_dim,
            "image_size": image_size,
            "channels": channels,
            "width": width,
            "classes": classes,
            "embed_dim": embed_dim,
        }
        self.z_dim, self.image_size, self.channels = z_dim, image_size, channels
        self.classes = classes
        self.class_names = list(classes)
        self.embeddings = nn.ModuleDict({n: nn.Embedding(k, embed_dim) for n, k in classes.items()})
        for embedding in self.embeddings.values():
            nn.init.normal_(embedding.weight, 0.0, 1.0)  # same scale as z
        # the DCGAN body sees one vector: z and the label embeddings side by side
        self.body = Generator(
            z_dim=z_dim + len(classes) * embed_dim,
            image_size=image_size,
            channels=channels,
            width=width,
        )

    def embed(self, labels: torch.Tensor) -> torch.Tensor:
        """Label embeddings side by side: (B, m) -> (B, m * embed_dim)."""
        labels = _check_labels(labels, self.classes, "ConditionalGenerator")
        return torch.cat(
            [self.embeddings[n](labels[:, j]) for j, n in enumerate(self.class_names)], dim=1
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != self.z_dim:
            got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(
                f"ConditionalGenerator expects z of shape (B, {self.z_dim}), got {got}"
            )
        labels = _check_labels(labels, self.classes, "ConditionalGenerator")
        if labels.shape[0] != z.shape[0]:
            raise ValueError(
                f"z has {z.shape[0]} rows but labels have {labels.shape[0]}: "
                "one label row per latent"
            )
        h = torch.cat([z, self.embed(labels)], dim=1)  # (B, z_dim + m * embed_dim)
        return self.body(h)  # (B, C, S, S)

    def random_labels(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` rows of uniformly random class indices, (n, m) long."""
        device = self.embeddings[self.class_names[0]].weight.device
        cols = [torch.randint(k, (n,), generator=generator) for k in self.classes.values()]
        return torch.stack(cols, dim=1).to(device)

    def labels_from_attributes(self, attributes: torch.Tensor) -> torch.Tensor:
        """Pick this model's categorical columns from a faces attribute tensor.

        (n, A) -> (n, m) long.
        """
        columns = [faces.ATTRIBUTE_NAMES.index(n) for n in self.class_names]
        return attributes[:, columns].round().long()

    def labels(self, n: int = 1, **chosen) -> torch.Tensor:
        """(n, m) labels with every attribute at class 0 except the ``chosen`` ones.

        The ``chosen`` ones are given by index or class name.

        ``G.labels(4, glasses=1, hair_color="red")``
        """
        row = []
        for name in self.class_names:
            value = chosen.pop(name, 0)
            if isinstance(value, str):
                value = faces.ATTRIBUTES[name].classes.index(value)
            row.append(int(value))
        if chosen:
            raise ValueError(
                f"unknown attribute(s) {sorted(chosen)}; "
                f"this generator is conditioned on {self.class_names}"
            )
        return _check_labels(torch.tensor([row] * n), self.classes, "labels").to(
            self.embeddings[self.class_names[0]].weight.device
        )


class ProjectionDiscriminator(nn.Module):
    """``D(x, labels) -> logits (B,)``.

    DCGAN features with spectral norm, plus one projection per attribute.
    """

    def __init__(
        self, image_size: int = 64, channels: int = 3, width: int = 32, classes: dict | None = None
    ):
        super().__init__()
        classes = _check_classes(classes, "ProjectionDiscriminator")
        self.config = {
            "image_size": image_size,
            "channels": channels,
            "width": width,
            "classes": classes,
        }
        self.classes, self.class_names = classes, list(classes)
        base = Discriminator(
            image_size=image_size, channels=channels, width=width, spectral_norm=True
        )
        self.body = base.blocks[:-1]  # (B, C, S, S) -> (B, F, 4, 4), F = width * S / 8
        features = width * image_size // 8
        self.psi = spectral_norm(nn.Linear(features, 1))  # unconditional score
        self.projections = nn.ModuleDict(
            {n: spectral_norm(nn.Embedding(k, features)) for n, k in classes.items()}
        )

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        labels = _check_labels(labels, self.classes, "ProjectionDiscriminator")
        phi = self.body(x).sum(dim=(2, 3))  # (B, F)
        out = self.psi(phi).squeeze(1)  # (B,)
        for j, name in enumerate(self.class_names):
            out = out + (self.projections[name](labels[:, j]) * phi).sum(dim=1)  # <V_j[y_j], φ(x)>
        return out
