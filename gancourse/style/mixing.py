"""Measuring style mixing with the face attribute classifier.

Derived in lesson 08 (style mixing by layer in the style-based generator, and its measured rate);
the ``faces_stylegan`` zoo recipe uses it to choose and report its snapshot.

For a pair of faces (A, B) the *mix* takes A's styles in the coarse layers (``< crossover``) and B's
in the others. Mixing works for a pair when the classifier reads

- every **coarse** attribute (layout: ``hair_style``, ``head_tilt``, ``glasses``) of the mix as
  A's, and
- every **colour** attribute (``skin_tone``, ``hair_color``, ``background``) of the mix as B's.

"Reads as A's" means: for a categorical attribute, the mix's class equals A's class (and when A and
B share it, the mix has it too); for a continuous one, the mix's value is closer to A's than to B's,
or within ``tol`` of it. The mixing rate is the share of pairs where all six hold.
``*_A_B_differ`` says how often A and B differ in an attribute at all: where they agree, "from A"
and "from B" cannot be told apart, so a generator with little variety scores high for free;
``*_when_differ`` counts only pairs that differ.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gancourse.models.stylegan import mix_styles

COARSE_ATTRIBUTES = ("hair_style", "head_tilt", "glasses")
COLOUR_ATTRIBUTES = ("skin_tone", "hair_color", "background")


@torch.no_grad()
def read_attributes(classifier: nn.Module, images: torch.Tensor, batch: int = 250) -> torch.Tensor:
    """Classifier's attributes (N, A) for images of any size (resized to the classifier's
    size)."""
    size = classifier.image_size
    out = []
    for i in range(0, len(images), batch):
        x = images[i : i + batch]
        if x.shape[-1] != size:
            x = F.interpolate(
                x, size=(size, size), mode="bilinear", align_corners=False, antialias=True
            )
        out.append(classifier.predict(x.clamp(-1, 1)))
    return torch.cat(out)


def attribute_from(
    mix: torch.Tensor, right: torch.Tensor, wrong: torch.Tensor, continuous: bool, tol: float = 0.08
) -> torch.Tensor:
    """(N,) bool: does the mix's attribute come from ``right`` (rather than ``wrong``)?"""
    if continuous:
        d_right, d_wrong = (mix - right).abs(), (mix - wrong).abs()
        return (d_right <= d_wrong) | (d_right < tol)
    return mix == right


@torch.no_grad()
def mixing_images(
    G: nn.Module, n: int, crossover: int, seed: int = 2024, psi: float = 1.0, batch: int = 250
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(A, B, mix) images for ``n`` pairs of random faces; noise fixed per pair."""
    a, b, (m,) = mixing_images_at(G, n, [crossover], seed, psi, batch)
    return a, b, m


@torch.no_grad()
def mixing_images_at(
    G: nn.Module, n: int, crossovers, seed: int = 2024, psi: float = 1.0, batch: int = 250
) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """(A, B, [mix at each crossover]): the same pairs and noise for every crossover."""
    g = torch.Generator().manual_seed(seed)
    z_a, z_b = torch.randn(n, G.z_dim, generator=g), torch.randn(n, G.z_dim, generator=g)
    device = next(G.parameters()).device
    a, b, mixes = [], [], [[] for _ in crossovers]
    for i in range(0, n, batch):
        wa, wb = (
            G.map(z_a[i : i + batch].to(device), psi),
            G.map(z_b[i : i + batch].to(device), psi),
        )
        a.append(G.synthesis(G.broadcast(wa), noise_seed=seed + i).cpu())
        b.append(G.synthesis(G.broadcast(wb), noise_seed=seed + i).cpu())
        for k, c in enumerate(crossovers):
            ws_mix = mix_styles(wa, wb, range(c, G.num_layers), G.num_layers)
            mixes[k].append(G.synthesis(ws_mix, noise_seed=seed + i).cpu())
    return torch.cat(a), torch.cat(b), [torch.cat(m) for m in mixes]


@torch.no_grad()
def mixing_rate(
    G: nn.Module,
    classifier: nn.Module,
    n: int = 500,
    crossover: int | None = None,
    seed: int = 2024,
    psi: float = 1.0,
) -> dict:
    """Share of pairs whose mix has A's coarse and B's colour attributes (plus each attribute's
    rate)."""
    if crossover is None:
        crossover = default_crossover(G)
    a, b, m = mixing_images(G, n, crossover, seed, psi)
    pa, pb, pm = (read_attributes(classifier, x) for x in (a, b, m))
    return {"crossover": crossover, "pairs": n, "psi": psi, **score_mixes(classifier, pa, pb, pm)}


def score_mixes(
    classifier: nn.Module, pa: torch.Tensor, pb: torch.Tensor, pm: torch.Tensor
) -> dict:
    """Each attribute's "from A" / "from B" rate and the mixing rate, from attributes (N, A) of
    A, B and the mix."""
    names = classifier.attribute_names
    shapes = [tuple(x.shape) for x in (pa, pb, pm)]
    if len(set(shapes)) != 1 or len(shapes[0]) != 2 or shapes[0][1] != len(names):
        raise ValueError(
            f"score_mixes needs the attributes of A, B and the mix as three "
            f"(N, {len(names)}) tensors from read_attributes, got shapes {shapes}"
        )
    ok = torch.ones(len(pa), dtype=torch.bool)
    report = {}
    checks = [(x, True) for x in COARSE_ATTRIBUTES] + [(x, False) for x in COLOUR_ATTRIBUTES]
    for attr, from_a in checks:
        j = names.index(attr)
        right, wrong = (pa[:, j], pb[:, j]) if from_a else (pb[:, j], pa[:, j])
        hit = attribute_from(pm[:, j], right, wrong, attr in classifier.continuous)
        key = f"{attr}_from_{'A' if from_a else 'B'}"
        report[key] = round(float(hit.float().mean()), 4)
        differ = (pa[:, j] - pb[:, j]).abs() > (0.15 if attr in classifier.continuous else 0.5)
        report[f"{attr}_A_B_differ"] = round(float(differ.float().mean()), 4)  # 0: trivial test
        if differ.any():
            report[f"{key}_when_differ"] = round(float(hit[differ].float().mean()), 4)
        ok &= hit
    report["mixing_rate"] = round(float(ok.float().mean()), 4)
    return report


def default_crossover(G: nn.Module) -> int:
    """First layer after the 8x8 block: coarse = 4x4 and 8x8 layers."""
    return max(i for i, r in enumerate(G.layer_resolution) if r <= 8) + 1


SELECTION_SEED, REPORT_SEED = 1, 2024  # pairs that choose (crossover, snapshot) / pairs reported


def selection_rates(G: nn.Module, classifier: nn.Module, n: int = 250) -> dict[int, float]:
    """Mixing rate at every crossover on the *selection* pairs (seed 1): what choices are made
    on."""
    crossovers = range(1, G.num_layers)
    a, b, mixes = mixing_images_at(G, max(50, n), crossovers, seed=SELECTION_SEED)
    pa, pb = read_attributes(classifier, a), read_attributes(classifier, b)
    return {
        c: score_mixes(classifier, pa, pb, read_attributes(classifier, m))["mixing_rate"]
        for c, m in zip(crossovers, mixes)
    }


def mixing_report(G: nn.Module, classifier: nn.Module, n: int = 500) -> dict:
    """The card metrics: the rate at every crossover (chosen on seed 1), reported on fresh pairs
    (seed 2024)."""
    rates = selection_rates(G, classifier, n // 2)
    best = max(rates, key=rates.get)
    report = mixing_rate(G, classifier, n=n, crossover=best, seed=REPORT_SEED)
    report["rate_by_crossover_selection_set"] = {str(k): v for k, v in rates.items()}
    return report
