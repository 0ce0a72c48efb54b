"""Latent-space editing: interpolation, truncation, edit directions, inversion, masked and measured edits.

Everything here works on a generator ``G: z (B, d) -> images (B, C, S, S)`` in [-1, 1] (the course's
DCGAN, or a conditional generator with its labels fixed) and, for supervised directions and for
measuring, on the attribute classifier (``zoo.load("face_classifier")``).

Interpolation and truncation
    ``lerp(z0, z1, t) = (1 - t) z0 + t z1``
    ``slerp(z0, z1, t) = sin((1 - t) Ω) / sin Ω · z0 + sin(t Ω) / sin Ω · z1``,
    ``Ω = arccos(ẑ0 · ẑ1)``.
    Why slerp: for z ~ N(0, I_d), ``|z|² ~ χ²_d``, so ``|z| ≈ √d`` with spread ≈ 1/√2 (all samples
    live near a thin shell). The midpoint of a straight line between two such points has norm
    ``≈ √(d/2)``: far inside the shell, where G was never trained. Slerp follows the great circle.
    ``truncate(z, ψ, mean) = mean + ψ (z - mean)``: pull towards the *mean* latent (0 in a DCGAN's
    z-space, the mean ``w̄`` in a style-based generator's w-space); ψ < 1 trades diversity for quality.

Directions (unit vectors ``n`` in latent space; an edit is ``z' = z + α n``)
    - SeFa (Shen & Zhou, 2021), closed form: the first layer is linear in z, ``h = A z``; the
      directions that change h most maximise ``|A n|²`` s.t. ``|n| = 1``: the top eigenvectors of
      ``AᵀA``. For the DCGAN the first ``ConvTranspose2d(d, c, 4)`` weight ``W`` has shape
      (d, c, 4, 4) and ``h[k, i, j] = Σ_d z_d W[d, k, i, j]``, so ``A = W.reshape(d, c·16)ᵀ``.
    - GANSpace (Härkönen et al., 2020): PCA of sampled early-layer features ``F(z)``; the principal
      coordinates ``x = Vᵀ (F(z) - μ)`` are regressed on z (least squares ``z ≈ x U``), and the rows
      of U, normalised, are the z-directions.
    - InterFaceGAN (Shen et al., 2020): label sampled latents with the attribute classifier, fit a
      linear classifier (logistic regression) ``sign(wᵀ z + b)``, and use the unit normal ``w / |w|``.
    - Conditional edits: ``n₁' = (n₁ - (n₁·n₂) n₂) / |…|``, so walking along n₁' does not move the
      projection onto n₂ (generally: remove the projection onto the span of all the "keep" directions;
      :func:`conditional_direction` holds *every* other attribute, one direction per class of a
      categorical one). InterFaceGAN assumes the attribute is (nearly) linear in z; the R² of a
      linear fit ``a ≈ βᵀ z + c`` (:func:`linear_r2`) says how far that holds for each attribute.
    - Where to edit: :class:`FeatureSpace` makes the output of an early block, ``h = F(z)``, the
      latent. F ends in a ReLU, so h is a non-linear function of z, and an attribute curved in z can
      be (nearly) linear in h; every direction and measure here works there too (``h' = h + α n``).

Inversion (find z with G(z) ≈ x)
    minimise ``|G(z) - x|² + λ_f |φ(G(z)) - φ(x)|² + λ_z (|z|²/d - 1)²`` over z with Adam, where φ are
    the classifier's features (a perceptual loss); start from an encoder's guess or from the best of K
    random z.

Measuring an edit over many samples
    target change: ``Δ_t = a_t(G(z + α n)) - a_t(G(z))`` (classifier); success when ``Δ_t`` has the
    intended sign (and size); leakage into attribute k: ``mean |Δ_k|`` as a fraction of k's range
    (for a categorical attribute: the share of samples whose predicted class changed).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

# --------------------------------------------------------------------------------------------------
# small input checks


def _check_latents(z, name: str = "z") -> torch.Tensor:
    if not isinstance(z, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of latents (B, d) or (d,), got {type(z).__name__}")
    if not z.is_floating_point():
        raise TypeError(f"{name} must be a float tensor, got dtype {z.dtype}")
    if z.dim() not in (1, 2):
        raise ValueError(f"{name} must have shape (B, d) or (d,), got {tuple(z.shape)}")
    return z


def _check_direction(n, d: int | None = None, name: str = "direction") -> torch.Tensor:
    n = _check_latents(n, name)
    if n.dim() == 2:
        if n.shape[0] != 1:
            raise ValueError(f"{name} must be one vector (d,) or (1, d), got {tuple(n.shape)}")
        n = n[0]
    if d is not None and n.shape[0] != d:
        raise ValueError(f"{name} has {n.shape[0]} entries but the latents have d = {d}")
    return n


def _z_dim(G: nn.Module) -> int:
    z_dim = getattr(G, "z_dim", None)
    if not isinstance(z_dim, int):
        raise TypeError(f"{type(G).__name__} has no integer `z_dim`; pass a course generator (DCGAN or conditional)")
    return z_dim


def _device(module: nn.Module) -> torch.device:
    try:
        return next(module.parameters()).device
    except StopIteration:
        return torch.device("cpu")


def _attribute_names():
    from gancourse.data import faces

    return faces.ATTRIBUTE_NAMES


def check_attribute(name: str, names: Sequence[str] | None = None) -> str:
    """Return ``name`` if it is a face attribute; else raise a ValueError listing the known ones."""
    names = tuple(names) if names is not None else _attribute_names()
    if not isinstance(name, str) or name not in names:
        import difflib

        close = difflib.get_close_matches(str(name), names, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown attribute {name!r}.{hint} The attributes are: {', '.join(names)}.")
    return name


def normalize(v: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """``v / |v|`` along the last dimension (each row of a (k, d) matrix becomes a unit vector)."""
    return v / v.norm(dim=-1, keepdim=True).clamp_min(eps)


# --------------------------------------------------------------------------------------------------
# interpolation and truncation


def _interp_t(t, z0: torch.Tensor) -> torch.Tensor:
    t = torch.as_tensor(t, dtype=z0.dtype, device=z0.device)
    if t.dim() > 1:
        raise ValueError(f"t must be a number or a 1-D tensor of numbers, got shape {tuple(t.shape)}")
    return t


def lerp(z0: torch.Tensor, z1: torch.Tensor, t) -> torch.Tensor:
    """Linear interpolation ``(1 - t) z0 + t z1``.

    ``z0, z1`` are (d,) or (B, d); ``t`` a number (same shape out) or a 1-D tensor of T steps
    (out: (T, d) for vectors, (T, B, d) for batches).
    """
    z0, z1 = _check_latents(z0, "z0"), _check_latents(z1, "z1")
    if z0.shape != z1.shape:
        raise ValueError(f"z0 and z1 must have the same shape, got {tuple(z0.shape)} and {tuple(z1.shape)}")
    t = _interp_t(t, z0)
    tt = t.view(-1, *([1] * z0.dim())) if t.dim() == 1 else t
    return (1 - tt) * z0 + tt * z1


def slerp(z0: torch.Tensor, z1: torch.Tensor, t, eps: float = 1e-7) -> torch.Tensor:
    """Spherical interpolation along the great circle from z0 to z1.

    ``slerp = sin((1 - t) Ω) / sin Ω · z0 + sin(t Ω) / sin Ω · z1`` with ``Ω = arccos(ẑ0 · ẑ1)``
    (the angle between them). Two latents of equal norm keep that norm all the way, so a Gaussian
    latent stays on the shell ``|z| ≈ √d`` where the generator was trained (lerp cuts through the
    inside: its midpoint has norm ≈ √(d/2)). Falls back to lerp when the vectors are (nearly)
    parallel, where ``sin Ω → 0``. Shapes as in :func:`lerp`.
    """
    z0, z1 = _check_latents(z0, "z0"), _check_latents(z1, "z1")
    if z0.shape != z1.shape:
        raise ValueError(f"z0 and z1 must have the same shape, got {tuple(z0.shape)} and {tuple(z1.shape)}")
    t = _interp_t(t, z0)
    cos = (normalize(z0) * normalize(z1)).sum(-1, keepdim=True).clamp(-1 + eps, 1 - eps)  # (..., 1)
    omega = torch.arccos(cos)
    sin = torch.sin(omega)
    tt = t.view(-1, *([1] * z0.dim())) if t.dim() == 1 else t
    w0 = torch.sin((1 - tt) * omega) / sin
    w1 = torch.sin(tt * omega) / sin
    out = w0 * z0 + w1 * z1
    parallel = sin.abs() < 1e-4
    if parallel.any():
        out = torch.where(parallel, (1 - tt) * z0 + tt * z1, out)
    return out


def mean_latent(z_dim: int, mapping: Callable | None = None, n: int = 10000, seed: int = 0,
                device=None) -> torch.Tensor:
    """The mean latent to truncate towards, shape (z_dim,) (or the mapping's output size).

    Without a mapping network (a DCGAN) z ~ N(0, I), whose mean is exactly the zero vector. With a
    ``mapping`` (z -> w, a style-based generator) it is the average ``w̄ = mean mapping(z)`` over
    ``n`` samples: not zero, which is why "truncate towards 0" is a mistake there.
    """
    if mapping is None:
        return torch.zeros(z_dim, device=device)
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, z_dim, generator=g).to(device or "cpu")
    with torch.no_grad():
        return mapping(z).mean(0)


def truncate(z: torch.Tensor, psi: float, mean: torch.Tensor | None = None) -> torch.Tensor:
    """The truncation trick: ``mean + ψ (z - mean)``.

    ψ = 1 leaves z alone, ψ = 0 gives the mean image, 0 < ψ < 1 trades diversity for quality
    (samples far from the mean, where training data was sparse, look worst). ``mean`` is the mean
    latent (:func:`mean_latent`); None means the zero vector, right only for z ~ N(0, I).
    """
    z = _check_latents(z)
    if not isinstance(psi, int | float) or isinstance(psi, bool):
        raise TypeError(f"psi must be a number (typically 0..1), got {type(psi).__name__}")
    if mean is None:
        mean = torch.zeros(z.shape[-1], dtype=z.dtype, device=z.device)
    mean = _check_direction(mean, z.shape[-1], "mean")
    return mean + psi * (z - mean)


# --------------------------------------------------------------------------------------------------
# unsupervised directions: SeFa and GANSpace


def first_layer_weight(G: nn.Module) -> torch.Tensor:
    """The weight of G's first layer, the one that maps z, as a matrix ``A`` with ``h = A z``.

    DCGAN: the first ``ConvTranspose2d(d, c, 4, 1, 0)`` on a 1x1 input has weight ``W`` (d, c, 4, 4)
    and output ``h[k, i, j] = Σ_d z_d W[d, k, i, j]``; flattening the output gives
    ``A = W.reshape(d, c·16)ᵀ`` of shape (c·16, d). For a conditional generator the first layer sees
    ``[z, label embeddings]``; only the first d rows of W (those that multiply z) are kept.
    """
    body = getattr(G, "body", G)
    blocks = getattr(body, "blocks", None)
    if blocks is None:
        raise TypeError(f"{type(G).__name__} is not a course DCGAN (no .blocks); pass the weight matrix itself to sefa")
    first = blocks[0][0] if isinstance(blocks[0], nn.Sequential) else blocks[0]
    if not isinstance(first, nn.ConvTranspose2d | nn.Linear):
        raise TypeError(f"the first layer of {type(G).__name__} is {type(first).__name__}, not a ConvTranspose2d/Linear")
    W = first.weight.detach()
    d = _z_dim(G)
    if isinstance(first, nn.Linear):  # (out, in): h = W z
        return W[:, :d]
    return W[:d].reshape(d, -1).T  # (c * kh * kw, d)


def sefa(A: torch.Tensor | nn.Module, k: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
    """SeFa: the ``k`` unit directions n that maximise ``|A n|²``; returns (directions (k, d), eigenvalues (k,)).

    ``A`` is the (out, d) matrix of the first layer (``h = A z``) or a course generator
    (:func:`first_layer_weight` extracts it). The directions are the eigenvectors of ``AᵀA`` (a d x d
    matrix, *not* ``AAᵀ``, which lives in feature space) with the largest eigenvalues, in decreasing
    order. An eigenvector's sign is arbitrary; we flip each so its largest entry is positive, which
    makes the result reproducible.
    """
    if isinstance(A, nn.Module):
        A = first_layer_weight(A)
    if not isinstance(A, torch.Tensor) or A.dim() != 2:
        raise ValueError(f"A must be a 2-D weight matrix (out, d), got {getattr(A, 'shape', type(A).__name__)}")
    d = A.shape[1]
    if not 1 <= k <= d:
        raise ValueError(f"k must be between 1 and d = {d}, got {k}")
    A = A.detach().double()
    values, vectors = torch.linalg.eigh(A.T @ A)  # ascending
    values, vectors = values.flip(0)[:k], vectors.flip(1)[:, :k].T  # (k,), (k, d)
    idx = vectors.abs().argmax(1)
    signs = torch.sign(vectors[torch.arange(k), idx])
    return (vectors * signs[:, None]).float(), values.float()


@torch.no_grad()
def layer_features(G: nn.Module, z: torch.Tensor, layer: int = 0) -> torch.Tensor:
    """Flattened activations after block ``layer`` of a course DCGAN, (B, features)."""
    blocks = getattr(getattr(G, "body", G), "blocks", None)
    if blocks is None:
        raise TypeError(f"{type(G).__name__} has no .blocks; GANSpace needs a course DCGAN")
    if not 0 <= layer < len(blocks) - 1:
        raise ValueError(f"layer must be 0..{len(blocks) - 2} (an intermediate block), got {layer}")
    h = z[:, :, None, None]
    for block in blocks[: layer + 1]:
        h = block(h)
    return h.flatten(1)


class FeatureSpace(nn.Module):
    """A course DCGAN seen from block ``layer``'s output: its latents are the features ``h = F(z)``.

    ``fs = FeatureSpace(G)``; ``h = fs.features(z)`` is (B, d_h) (block 0 of ``faces_dcgan64``:
    256 × 4 × 4 = 4096 numbers); ``fs(h)`` runs the rest of G, so ``fs(fs.features(z)) == G(z)``.
    ``fs.z_dim`` is d_h, so InterFaceGAN directions, edits ``h + α n`` and their measures
    (:func:`label_latents`, :func:`attribute_directions`, :func:`score_edit`, :func:`calibrate_alpha`)
    all work on ``fs`` as on G. Latents it samples are the features of z ~ N(0, I) (same seed, same
    faces as G's). An edit may leave the set of features F can produce (e.g. negative values after
    the ReLU); the next blocks still render it, and measuring the edit says whether that worked.
    """

    def __init__(self, G: nn.Module, layer: int = 0):
        super().__init__()
        blocks = getattr(G, "blocks", None)
        if blocks is None or not hasattr(G, "shapes"):
            raise TypeError(f"FeatureSpace needs a course DCGAN generator (with .blocks), got {type(G).__name__}")
        if not isinstance(layer, int) or not 0 <= layer < len(blocks) - 1:
            raise ValueError(f"layer must be an intermediate block, 0..{len(blocks) - 2}, got {layer!r}")
        self.G, self.layer = G, layer
        self.shape = tuple(G.shapes()[layer][1:])  # (C, s, s) after block `layer`
        self.z_dim = math.prod(self.shape)
        self.image_size = G.image_size

    def features(self, z: torch.Tensor) -> torch.Tensor:
        """``h = F(z)``: (B, z_dim of G) -> (B, d_h), without gradients."""
        return layer_features(self.G, z, self.layer)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        if not isinstance(h, torch.Tensor) or h.dim() != 2 or h.shape[1] != self.z_dim:
            got = tuple(h.shape) if isinstance(h, torch.Tensor) else type(h).__name__
            raise ValueError(f"FeatureSpace expects features h of shape (B, {self.z_dim}) (from .features(z)), got {got}")
        x = h.view(-1, *self.shape)  # (B, C, s, s)
        for block in self.G.blocks[self.layer + 1:]:
            x = block(x)
        return x  # (B, channels, S, S)


def sample_latents(G: nn.Module, n: int, seed: int = 0) -> torch.Tensor:
    """``n`` latents for G from ``seed``: z ~ N(0, I), or for a :class:`FeatureSpace` the features of
    those same z (so both show the same faces). Returned on the CPU."""
    g = torch.Generator().manual_seed(seed)
    if isinstance(G, FeatureSpace):
        z = torch.randn(n, _z_dim(G.G), generator=g)
        return torch.cat([G.features(zb.to(_device(G))).cpu() for zb in z.split(500)])
    return torch.randn(n, _z_dim(G), generator=g)


@torch.no_grad()
def ganspace(G: nn.Module, k: int = 5, n: int = 2000, layer: int = 0, seed: int = 0,
             batch_size: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """GANSpace: PCA of early-layer features, carried back to z; returns (directions (k, d), variance ratio (k,)).

    1. sample z_i ~ N(0, I) (n of them), features y_i = F(z_i) after block ``layer``;
    2. PCA: the top-k principal axes V (features, k) and coordinates ``x_i = Vᵀ (y_i - ȳ)``;
    3. least squares ``z ≈ X U`` (X (n, k), U (k, d)): row j of U is the z-direction that moves the
       j-th principal coordinate; normalised to unit length.
    The second output is the share of feature variance each component explains.
    """
    d = _z_dim(G)
    if not 1 <= k <= d:
        raise ValueError(f"k must be between 1 and d = {d}, got {k}")
    if n < 2 * k:
        raise ValueError(f"n = {n} samples are too few for {k} components; use n >= {2 * k} (1000s is better)")
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, d, generator=g)
    device = _device(G)
    feats = torch.cat([layer_features(G, zb.to(device), layer).cpu() for zb in z.split(batch_size)]).double()
    feats = feats - feats.mean(0)
    # top-k principal axes by a randomized SVD (seeded): O(n · features · k) instead of a full SVD
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        _, s, V = torch.svd_lowrank(feats, q=min(k + 10, *feats.shape), niter=4)  # feats ≈ U diag(s) Vᵀ
    V, s = V[:, :k], s[:k]  # (features, k), (k,)
    X = feats @ V  # (n, k) principal coordinates
    U = torch.linalg.lstsq(X, z.double()).solution  # (k, d)
    directions = normalize(U).float()
    # flip signs like sefa (largest entry positive) for reproducibility
    idx = directions.abs().argmax(1)
    directions = directions * torch.sign(directions[torch.arange(k), idx])[:, None]
    ratio = (s**2 / feats.pow(2).sum()).float()  # share of the total feature variance
    return directions, ratio


# --------------------------------------------------------------------------------------------------
# labelling latents with the classifier


@torch.no_grad()
def generate(G: nn.Module, z: torch.Tensor, labels: torch.Tensor | None = None, batch_size: int = 256) -> torch.Tensor:
    """``G(z)`` (or ``G(z, labels)``) in batches, no gradients, on G's device; returns CPU images."""
    device = _device(G)
    out = []
    for start in range(0, z.shape[0], batch_size):
        zb = z[start:start + batch_size].to(device)
        if labels is None:
            out.append(G(zb).cpu())
        else:
            out.append(G(zb, labels[start:start + batch_size].to(device)).cpu())
    return torch.cat(out)


def _classifier_names(classifier: nn.Module) -> list[str]:
    names = getattr(classifier, "attribute_names", None)
    if names is None:
        raise TypeError(f"{type(classifier).__name__} has no attribute_names; pass the course's AttributeClassifier")
    return list(names)


@torch.no_grad()
def attribute_scores(classifier: nn.Module, images: torch.Tensor, batch_size: int = 256) -> dict[str, torch.Tensor]:
    """One number per attribute and image, ``{name: (B,)}``, on the scale edits are measured on.

    Continuous attributes: the predicted value in [0, 1]. Categorical ones: the predicted class index
    (as a float); ``{name + "_probs": (B, k)}`` holds the class probabilities as well.
    """
    device = _device(classifier)
    names = _classifier_names(classifier)
    parts: dict[str, list] = {}
    for start in range(0, images.shape[0], batch_size):
        out = classifier(images[start:start + batch_size].to(device))
        for name in names:
            value = out[name]
            if value.dim() == 1:
                parts.setdefault(name, []).append(value.clamp(0, 1).cpu())
            else:
                probs = value.softmax(1).cpu()
                parts.setdefault(name, []).append(probs.argmax(1).float())
                parts.setdefault(name + "_probs", []).append(probs)
    return {key: torch.cat(values) for key, values in parts.items()}


def label_latents(G: nn.Module, classifier: nn.Module, n: int = 2000, seed: int = 0,
                  batch_size: int = 256) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Sample n latents (:func:`sample_latents`), generate, classify: returns ``(z (n, d), attribute_scores)``."""
    z = sample_latents(G, n, seed)
    scores = {}
    for start in range(0, n, batch_size):
        images = generate(G, z[start:start + batch_size])
        for key, value in attribute_scores(classifier, images).items():
            scores.setdefault(key, []).append(value)
    return z, {key: torch.cat(v) for key, v in scores.items()}


def attribute_target(scores: Mapping[str, torch.Tensor], attribute: str, target_class: int | str | None = None) -> torch.Tensor:
    """The scalar an edit of ``attribute`` should raise, (B,): the value (continuous) or P(target class).

    For a categorical attribute ``target_class`` (index or class name) is required unless it has two
    classes (then class 1, e.g. glasses = yes).
    """
    check_attribute(attribute, [k for k in scores if not k.endswith("_probs")])
    k = _target_class_index(attribute, target_class)
    return scores[attribute] if k is None else scores[attribute + "_probs"][:, k]


def _target_class_index(attribute: str, target_class: int | str | None) -> int | None:
    """The class index an edit of a categorical ``attribute`` raises; None for a continuous attribute."""
    from gancourse.data import faces

    spec = faces.ATTRIBUTES.get(attribute)
    if spec is None or spec.kind == "continuous":
        return None
    if target_class is None:
        if spec.num_classes != 2:
            raise ValueError(f"{attribute} has {spec.num_classes} classes {spec.classes}: say which one the edit "
                             "should move towards with target_class=")
        return 1
    if isinstance(target_class, str):
        if target_class not in spec.classes:
            raise ValueError(f"{target_class!r} is not a class of {attribute}; choose from {spec.classes}")
        return spec.classes.index(target_class)
    return int(target_class)


# --------------------------------------------------------------------------------------------------
# supervised directions: InterFaceGAN, and orthogonalisation


def interfacegan_direction(z: torch.Tensor, labels: torch.Tensor, C: float = 1.0) -> torch.Tensor:
    """The unit normal of a linear boundary separating latents with label 1 from label 0, (d,).

    Fits logistic regression ``p(y = 1 | z) = σ(wᵀ z + b)`` (scikit-learn) and returns ``w / |w|``:
    walking along it raises the attribute. ``labels`` are 0/1 (B,); both classes must occur.
    """
    from sklearn.linear_model import LogisticRegression

    z = _check_latents(z)
    if z.dim() != 2:
        raise ValueError(f"z must be a batch (B, d), got {tuple(z.shape)}")
    labels = torch.as_tensor(labels).flatten()
    if labels.shape[0] != z.shape[0]:
        raise ValueError(f"one label per latent: z has {z.shape[0]} rows, labels {labels.shape[0]}")
    values = set(labels.tolist())
    if not values <= {0, 1} or len(values) < 2:  # 0.0 == 0 and True == 1 in a set
        raise ValueError(f"labels must be 0/1 with both present, got values {sorted(values)[:5]}")
    model = LogisticRegression(C=C, max_iter=2000)
    model.fit(z.detach().cpu().double().numpy(), labels.cpu().numpy().astype(int))
    w = torch.as_tensor(model.coef_[0], dtype=torch.float32)
    return normalize(w)


def interfacegan_from_scores(z: torch.Tensor, scores: Mapping[str, torch.Tensor], attribute: str,
                             target_class: int | str | None = None, fraction: float = 0.3,
                             C: float = 1.0) -> torch.Tensor:
    """InterFaceGAN direction for ``attribute`` from labelled latents (:func:`label_latents`).

    The score (a continuous attribute's value, or a categorical attribute's probability of
    ``target_class``) ranks the latents: the top ``fraction`` are positives, the bottom ``fraction``
    negatives, and the middle is dropped, as in the paper, because labels near the boundary are
    noisy. Ranking (not a 0.5 threshold) also works for a rare class.
    """
    check_attribute(attribute, [k for k in scores if not k.endswith("_probs")])
    if not 0 < fraction <= 0.5:
        raise ValueError(f"fraction must be in (0, 0.5], got {fraction}")
    target = attribute_target(scores, attribute, target_class)
    order = target.argsort()
    m = max(1, int(fraction * len(order)))
    idx = torch.cat([order[:m], order[-m:]])
    labels = torch.cat([torch.zeros(m), torch.ones(m)]).long()
    return interfacegan_direction(z[idx], labels, C=C)


def orthogonalize(direction: torch.Tensor, *keep: torch.Tensor) -> torch.Tensor:
    """A conditional edit direction: ``direction`` with its components along ``keep`` removed, unit length.

    One condition: ``n₁' = (n₁ - (n₁·n₂) n₂) / |n₁ - (n₁·n₂) n₂|`` for a unit n₂. Several: project onto
    the orthogonal complement of their span (Gram-Schmidt / QR), so ``n₁'·n_k = 0`` for every k;
    then moving along n₁' leaves each linear attribute score ``n_kᵀ z`` unchanged.
    """
    n = _check_direction(direction)
    if not keep:
        return normalize(n)
    K = torch.stack([_check_direction(k, n.shape[0], "keep direction") for k in keep], 1).to(n)  # (d, m)
    Q, R = torch.linalg.qr(K.double())
    rank_ok = R.diagonal().abs() > 1e-8
    Q = Q[:, rank_ok]
    out = n.double() - Q @ (Q.T @ n.double())
    if out.norm() < 1e-6:
        raise ValueError("the direction lies in the span of the directions to keep: nothing is left to edit")
    return normalize(out).to(n.dtype)


def attribute_directions(z: torch.Tensor, scores: Mapping[str, torch.Tensor], fraction: float = 0.3,
                         C: float = 1.0) -> dict[str, torch.Tensor]:
    """InterFaceGAN directions for every attribute the classifier reads, (d,) each.

    Keys: a continuous attribute's name (``"smile"``); for a categorical one, one direction per class
    it can be moved towards: ``"glasses=yes"`` for two classes, ``"hair_color=red"`` etc. for more.
    """
    from gancourse.data import faces

    directions = {}
    for name in [k for k in scores if not k.endswith("_probs")]:
        spec = faces.ATTRIBUTES.get(name)
        if spec is None or spec.kind == "continuous":
            directions[name] = interfacegan_from_scores(z, scores, name, fraction=fraction, C=C)
            continue
        classes = spec.classes[1:] if spec.num_classes == 2 else spec.classes
        for cls in classes:
            directions[f"{name}={cls}"] = interfacegan_from_scores(z, scores, name, target_class=cls,
                                                                   fraction=fraction, C=C)
    return directions


def conditional_direction(directions: Mapping[str, torch.Tensor], attribute: str) -> torch.Tensor:
    """``attribute``'s direction orthogonalised against the directions of *every other* attribute.

    ``directions`` as :func:`attribute_directions` returns them; ``attribute`` is a key (``"smile"``,
    ``"glasses=yes"``). Its own other classes are not held (raising P(red hair) must lower the others).
    """
    if attribute not in directions:
        raise KeyError(f"no direction named {attribute!r}; directions: {sorted(directions)}")
    own = attribute.split("=")[0]
    keep = [v for k, v in directions.items() if k.split("=")[0] != own]
    return orthogonalize(directions[attribute], *keep)


def linear_r2(z: torch.Tensor, values: torch.Tensor, holdout: float = 0.0, ridge: float = 0.0) -> float:
    """R² of the least-squares fit ``values ≈ βᵀ z + c``: 1 = the attribute is linear in z, 0 = not at all.

    ``R² = 1 - Σ (a - â)² / Σ (a - ā)²``. InterFaceGAN can only find what a linear boundary captures.
    With many coordinates (a :class:`FeatureSpace`: d near or above the number of samples) a fit
    scored on its own samples means nothing (d ≥ n fits anything), so there use ``holdout``, the
    share of the rows (the last ones) the fit never sees and R² is computed on, and ``ridge``, the λ
    of ridge regression ``min |a - Xβ|² + λ|β|²`` on standardised coordinates.
    """
    z = _check_latents(z).detach().double().cpu()
    if z.dim() != 2:
        raise ValueError(f"z must be a batch (B, d), got {tuple(z.shape)}")
    values = torch.as_tensor(values).detach().double().cpu().flatten()
    if values.shape[0] != z.shape[0]:
        raise ValueError(f"one value per latent: z has {z.shape[0]} rows, values {values.shape[0]}")
    if not 0.0 <= holdout < 1.0 or ridge < 0:
        raise ValueError(f"holdout must be in [0, 1) and ridge >= 0, got holdout={holdout}, ridge={ridge}")
    n_test = round(holdout * len(z))
    if holdout and not 2 <= n_test <= len(z) - 2:
        raise ValueError(f"holdout={holdout} of {len(z)} rows leaves too few to fit or to test; use more samples")
    fit = slice(0, len(z) - n_test)
    test = slice(len(z) - n_test, len(z)) if n_test else fit
    if ridge > 0:
        mean, std = z[fit].mean(0), z[fit].std(0).clamp(min=1e-8)
        z = (z - mean) / std  # the fit rows now have mean 0, so the intercept is the mean value
        X, y = z[fit], values[fit] - values[fit].mean()
        if X.shape[1] > X.shape[0]:  # more coordinates than samples: solve the smaller n × n system
            beta = X.T @ torch.linalg.solve(X @ X.T + ridge * torch.eye(X.shape[0], dtype=X.dtype), y)
        else:
            beta = torch.linalg.solve(X.T @ X + ridge * torch.eye(X.shape[1], dtype=X.dtype), X.T @ y)
        predicted = z[test] @ beta + values[fit].mean()
    else:
        X = torch.cat([z, torch.ones(len(z), 1, dtype=z.dtype)], 1)
        predicted = X[test] @ torch.linalg.lstsq(X[fit], values[fit, None]).solution[:, 0]
    residual = ((values[test] - predicted) ** 2).sum()
    total = ((values[test] - values[test].mean()) ** 2).sum()
    return float(1 - residual / total) if total > 0 else 0.0


# --------------------------------------------------------------------------------------------------
# applying and measuring edits


def edit(z: torch.Tensor, direction: torch.Tensor, alpha) -> torch.Tensor:
    """``z + α n``; α a number or a 1-D tensor (then one row per α for a single z (d,))."""
    z = _check_latents(z)
    n = _check_direction(direction, z.shape[-1]).to(z)
    alpha = torch.as_tensor(alpha, dtype=z.dtype, device=z.device)
    if alpha.dim() == 1:
        return z.unsqueeze(-2) + alpha.view(-1, 1) * n if z.dim() == 1 else z.unsqueeze(0) + alpha.view(-1, 1, 1) * n
    return z + alpha * n


def score_edit(G: nn.Module, classifier: nn.Module, direction: torch.Tensor, attribute: str, alpha: float,
               n: int = 256, seed: int = 1, target_class: int | str | None = None,
               min_change: float = 0.02, saturation: float = 0.05, z: torch.Tensor | None = None) -> dict:
    """Measure ``z -> z + α n`` over ``n`` samples: did the target move, and what else moved?

    Returns a dict with
    - ``success``: share of the *eligible* samples whose target (value, or P(target class)) moved by
      more than ``min_change`` in the sign of α. A sample is eligible when its target has room to
      move: below ``1 - saturation`` for α > 0 (above ``saturation`` for α < 0). A face that already
      wears glasses (P = 0.999) or has the widest smile cannot be pushed further, and counting it as
      a failure would measure the data, not the edit;
    - ``eligible``: the share of samples that were eligible;
    - ``target_change``: mean change of the target (signed);
    - ``leakage``: ``{other attribute: mean |Δ| / range}``; continuous ranges are [0, 1]; for a
      categorical attribute it is the share of samples whose predicted class changed;
    - ``mean_leakage``: the average of those over the other attributes.
    """
    d = _z_dim(G)
    direction = _check_direction(direction, d)
    if z is None:
        z = sample_latents(G, n, seed)
    result = measure_edit(G, classifier, z, edit(z, direction, alpha), attribute, increase=alpha >= 0,
                          target_class=target_class, min_change=min_change, saturation=saturation)
    return {"attribute": attribute, "alpha": float(alpha), **{k: v for k, v in result.items() if k != "attribute"}}


def measure_edit(G: nn.Module, classifier: nn.Module, z: torch.Tensor, z_edited: torch.Tensor, attribute: str,
                 increase: bool = True, target_class: int | str | None = None, min_change: float = 0.02,
                 saturation: float = 0.05) -> dict:
    """:func:`score_edit`'s measures for any edit ``z -> z_edited`` (e.g. :func:`gradient_edit`'s)."""
    z, z_edited = _check_latents(z), _check_latents(z_edited, "z_edited")
    if z.shape != z_edited.shape:
        raise ValueError(f"z {tuple(z.shape)} and z_edited {tuple(z_edited.shape)} must have the same shape")
    before = attribute_scores(classifier, generate(G, z))
    after = attribute_scores(classifier, generate(G, z_edited))
    check_attribute(attribute, [k for k in before if not k.endswith("_probs")])
    t0 = attribute_target(before, attribute, target_class)
    t1 = attribute_target(after, attribute, target_class)
    sign = 1.0 if increase else -1.0
    delta = t1 - t0
    eligible = t0 < 1 - saturation if increase else t0 > saturation
    if not eligible.any():
        eligible = torch.ones_like(eligible)
    leakage = {}
    for name in before:
        if name.endswith("_probs") or name == attribute:
            continue
        if name + "_probs" in before:
            leakage[name] = (before[name] != after[name]).float().mean().item()
        else:
            leakage[name] = (after[name] - before[name]).abs().mean().item()
    return {
        "attribute": attribute,
        "n": z.shape[0],
        "success": ((delta * sign) > min_change)[eligible].float().mean().item(),
        "eligible": eligible.float().mean().item(),
        "target_change": delta.mean().item(),
        "leakage": leakage,
        "mean_leakage": sum(leakage.values()) / max(1, len(leakage)),
    }


def gradient_edit(G: nn.Module, classifier: nn.Module, z: torch.Tensor, attribute: str, steps: int = 4,
                  step_size: float = 0.5, hold_others: bool = True, target_class: int | str | None = None,
                  batch_size: int = 128) -> torch.Tensor:
    """A non-linear edit: follow the classifier's gradient of the target, per sample, holding the others.

    Each step, for every latent: ``g = ∇_z t(G(z))`` with t the target (a continuous attribute's value,
    or ``log P(target class)``); with ``hold_others`` g is projected onto the orthogonal complement of
    the gradients of every other attribute (continuous values; for a categorical one, log P of the class
    it shows now), so to first order none of them moves; then ``z ← z + η g / |g|``. Unlike a fixed
    direction the path bends with the generator, so it can move an attribute that is not linear in z.
    Caveat: the classifier both steers and (usually) measures the edit; check with an independent judge.
    Returns the edited latents (B, d).
    """
    z = _check_latents(z)
    if z.dim() != 2:
        raise ValueError(f"z must be a batch (B, d), got {tuple(z.shape)}")
    if steps < 1 or step_size <= 0:
        raise ValueError(f"steps must be >= 1 and step_size > 0, got {steps} and {step_size}")
    names = _classifier_names(classifier)
    check_attribute(attribute, names)
    target_index = _target_class_index(attribute, target_class)
    device = _device(G)
    out_chunks = []
    for start in range(0, z.shape[0], batch_size):
        zc = z[start:start + batch_size].detach().to(device)
        for _ in range(steps):
            zc.requires_grad_(True)
            out = classifier(G(zc))
            scores = {}
            for name in names:
                value = out[name]
                if value.dim() == 2:  # categorical logits: log P(the target class), or of the class shown now
                    logp = value.log_softmax(1)
                    scores[name] = logp[:, target_index] if name == attribute else logp.max(1).values
                else:
                    scores[name] = value
            g = torch.autograd.grad(scores[attribute].sum(), zc, retain_graph=hold_others)[0]
            if hold_others:
                held = [torch.autograd.grad(v.sum(), zc, retain_graph=True)[0]
                        for name, v in scores.items() if name != attribute and v.requires_grad]
                if held:
                    Q, R = torch.linalg.qr(torch.stack(held, 2))  # (b, d, m): a basis of the held gradients
                    keep = R.diagonal(dim1=1, dim2=2).abs() > 1e-6 * R.abs().amax((1, 2), keepdim=True)[:, 0]
                    Q = Q * keep[:, None, :]
                    g = g - (Q @ (Q.transpose(1, 2) @ g[:, :, None]))[:, :, 0]
            zc = (zc + step_size * g / g.norm(dim=1, keepdim=True).clamp_min(1e-12)).detach()
        out_chunks.append(zc.cpu())
    return torch.cat(out_chunks).to(z.device)


def calibrate_alpha(G: nn.Module, classifier: nn.Module, direction: torch.Tensor, attribute: str,
                    alphas: Sequence[float] = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0), success: float = 0.9,
                    z: torch.Tensor | None = None, n: int = 256, seed: int = 2,
                    target_class: int | str | None = None) -> tuple[float, dict]:
    """The smallest α in ``alphas`` whose edit reaches ``success`` on calibration latents.

    Returns ``(α, score_edit result at α)``; the largest α (and its result) when none reaches it. Use
    latents (``seed``) other than the ones you report on, so the chosen strength is not fitted to them.
    """
    if not alphas or any(a <= 0 for a in alphas):
        raise ValueError(f"alphas must be positive strengths, got {list(alphas)}")
    if z is None:
        z = sample_latents(G, n, seed)
    result = None
    for alpha in sorted(alphas):
        result = score_edit(G, classifier, direction, attribute, alpha, z=z, target_class=target_class)
        if result["success"] >= success:
            return alpha, result
    return alpha, result


# --------------------------------------------------------------------------------------------------
# local (masked) edits


def check_mask(mask, size: int | tuple[int, int]) -> torch.Tensor:
    """A mask as a float (1, 1, H, W) tensor in [0, 1]; wrong shapes are a clear error."""
    H, W = (size, size) if isinstance(size, int) else size
    if not isinstance(mask, torch.Tensor):
        raise TypeError(f"mask must be a torch.Tensor of shape ({H}, {W}), got {type(mask).__name__}")
    m = mask.float()
    while m.dim() < 4:
        m = m.unsqueeze(0)
    if m.dim() != 4 or m.shape[0] != 1 or m.shape[1] != 1 or tuple(m.shape[2:]) != (H, W):
        raise ValueError(f"mask must have shape ({H}, {W}) like the images (or (1, {H}, {W})), got {tuple(mask.shape)}. "
                         f"Make one with faces.attribute_region(name, size={H}) or resize yours.")
    if m.min() < 0 or m.max() > 1:
        raise ValueError(f"mask values must be in [0, 1] (1 = edit here), got [{m.min().item():.3g}, {m.max().item():.3g}]")
    return m


def soften_mask(mask: torch.Tensor, sigma: float = 1.5) -> torch.Tensor:
    """Blur a hard mask with a Gaussian of ``sigma`` pixels so a blended edit has no visible seam."""
    m = mask.float()
    shape = m.shape
    while m.dim() < 4:
        m = m.unsqueeze(0)
    if sigma <= 0:
        return mask.float()
    radius = max(1, int(math.ceil(3 * sigma)))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-(x**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    m = F.pad(m, (radius, radius, radius, radius), mode="replicate")
    m = F.conv2d(m, kernel.view(1, 1, 1, -1))
    m = F.conv2d(m, kernel.view(1, 1, -1, 1))
    return m.reshape(shape).clamp(0, 1)


def masked_blend(original: torch.Tensor, edited: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """A local edit: ``m · edited + (1 - m) · original`` with a soft mask m in [0, 1] (1 = take the edit)."""
    if original.shape != edited.shape:
        raise ValueError(f"original and edited must have the same shape, got {tuple(original.shape)} and {tuple(edited.shape)}")
    m = check_mask(mask, tuple(original.shape[-2:])).to(original)
    if original.dim() == 3:
        m = m[0]
    return m * edited + (1 - m) * original


# --------------------------------------------------------------------------------------------------
# GAN inversion


def check_image(image, G: nn.Module) -> torch.Tensor:
    """An image to invert as a float (B, C, S, S) tensor in [-1, 1] matching G, or a clear error.

    Accepts a PIL image (must be RGB, S x S), a uint8 tensor (values 0..255) or a float tensor in
    [-1, 1], each (C, S, S) or (B, C, S, S).
    """
    channels, size = getattr(G, "channels", 3), getattr(G, "image_size", None)
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover
        Image = None
    if Image is not None and isinstance(image, Image.Image):
        if image.mode != "RGB" and channels == 3:
            raise ValueError(f"the image has mode {image.mode!r}; the generator makes RGB images. "
                             "Convert it first: image.convert('RGB').")
        if size is not None and image.size != (size, size):
            raise ValueError(f"the image is {image.size[0]}x{image.size[1]} pixels; the generator makes "
                             f"{size}x{size}. Resize (and crop) it first: image.resize(({size}, {size})).")
        import numpy as np

        array = torch.from_numpy(np.asarray(image).copy())
        image = (array.permute(2, 0, 1) if array.dim() == 3 else array.unsqueeze(0))
    if not isinstance(image, torch.Tensor):
        raise TypeError(f"image must be a torch.Tensor (C, H, W) or a PIL image, got {type(image).__name__}")
    x = image
    if x.dim() == 3:
        x = x.unsqueeze(0)
    if x.dim() != 4:
        raise ValueError(f"image must have shape (C, H, W) or (B, C, H, W), got {tuple(image.shape)}")
    if x.shape[1] != channels:
        if x.shape[-1] in (1, 3, 4) and x.shape[1] not in (1, 3, 4):
            hint = " It looks channels-last (H, W, C): use .permute(2, 0, 1)."
        elif x.shape[1] == 4:
            hint = " It has an alpha channel (RGBA): drop it with image[:3] (or PIL's .convert('RGB'))."
        elif x.shape[1] == 1:
            hint = " It is grayscale: repeat it to 3 channels with image.expand(3, -1, -1) if that is what you mean."
        else:
            hint = ""
        raise ValueError(f"the image has {x.shape[1]} channel(s); the generator makes {channels}-channel images "
                         f"of shape ({channels}, {size}, {size}).{hint}")
    if size is not None and tuple(x.shape[-2:]) != (size, size):
        raise ValueError(f"the image is {x.shape[-2]}x{x.shape[-1]} pixels; the generator makes {size}x{size}. "
                         f"Resize it first, e.g. torch.nn.functional.interpolate(x, size={size}, mode='area').")
    if x.dtype == torch.uint8:
        x = x.float() / 127.5 - 1
    elif not x.is_floating_point():
        raise TypeError(f"image must be uint8 (0..255) or float in [-1, 1], got dtype {x.dtype}")
    elif x.min() < -1.01 or x.max() > 1.01:
        raise ValueError(f"a float image must be in [-1, 1], got values in [{x.min().item():.3g}, {x.max().item():.3g}]. "
                         "If it is in [0, 1], use x * 2 - 1; if in [0, 255], x / 127.5 - 1.")
    return x.float()


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Peak signal-to-noise ratio per image in dB for images in [-1, 1] (peak-to-peak 2): ``10 log10(4 / MSE)``."""
    mse = (a - b).pow(2).flatten(1).mean(1).clamp_min(1e-12)
    return 10 * torch.log10(4.0 / mse)


@torch.no_grad()
def best_of_k(G: nn.Module, target: torch.Tensor, k: int = 256, seed: int = 0) -> torch.Tensor:
    """For each target image, the z among ``k`` random ones whose G(z) is closest in pixels: (B, d)."""
    d = _z_dim(G)
    g = torch.Generator().manual_seed(seed)
    candidates = torch.randn(k, d, generator=g)
    images = generate(G, candidates)  # (k, C, S, S)
    dist = torch.cdist(target.flatten(1).cpu(), images.flatten(1))  # (B, k)
    return candidates[dist.argmin(1)]


class Encoder(nn.Module):
    """A small CNN ``E: image (B, 3, 64, 64) -> z (B, d)`` trained on (G(z), z) pairs, for inversion's start."""

    def __init__(self, z_dim: int = 64, image_size: int = 64, channels: int = 3, width: int = 32):
        super().__init__()
        self.config = {"z_dim": z_dim, "image_size": image_size, "channels": channels, "width": width}
        layers, c, size = [], channels, image_size
        out = width
        while size > 4:  # each: (B, c, s, s) -> (B, out, s/2, s/2)
            layers += [nn.Conv2d(c, out, 4, 2, 1), nn.LeakyReLU(0.2, True)]
            c, out, size = out, min(out * 2, 8 * width), size // 2
        self.body = nn.Sequential(*layers)  # (B, c, 4, 4)
        self.head = nn.Linear(c * 16, z_dim)  # (B, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x).flatten(1))


def train_encoder(G: nn.Module, steps: int = 300, batch_size: int = 64, lr: float = 1e-3, seed: int = 0,
                  width: int = 32, log_every: int = 0) -> Encoder:
    """Train an :class:`Encoder` to predict z from G(z) (MSE on z), on fresh samples each step."""
    d = _z_dim(G)
    device = _device(G)
    torch.manual_seed(seed)
    E = Encoder(d, getattr(G, "image_size", 64), getattr(G, "channels", 3), width).to(device)
    opt = torch.optim.Adam(E.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    for step in range(steps):
        z = torch.randn(batch_size, d, generator=g).to(device)
        with torch.no_grad():
            x = G(z)
        loss = F.mse_loss(E(x), z)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if log_every and (step % log_every == 0 or step == steps - 1):
            print(f"encoder step {step + 1}/{steps}: latent MSE {loss.item():.3f}")
    return E.eval().requires_grad_(False)


def invert(G: nn.Module, image, steps: int = 200, lr: float = 0.05, features: Callable | None = None,
           feature_weight: float = 1.0, latent_weight: float = 0.01, init: torch.Tensor | None = None,
           encoder: nn.Module | None = None, k: int = 256, seed: int = 0) -> dict:
    """GAN inversion by optimisation: find z with ``G(z) ≈ image``.

    loss(z) = ``mean (G(z) - x)²`` + ``feature_weight · mean (φ(G(z)) - φ(x))²`` +
    ``latent_weight · (|z|²/d - 1)²`` (keeps z on the Gaussian shell), minimised with Adam.
    φ is ``features`` (e.g. the classifier's ``features`` method), skipped when None.
    Start: ``init`` if given, else ``encoder(x)``, else the best of ``k`` random latents.

    Returns ``{"z": (B, d), "image": G(z) (B, C, S, S), "psnr": (B,) dB, "start_psnr": (B,), "losses": [...]}``.
    """
    x = check_image(image, G).to(_device(G))
    d = _z_dim(G)
    if init is not None:
        z0 = _check_latents(init).reshape(-1, d).to(x)
    elif encoder is not None:
        with torch.no_grad():
            z0 = encoder(x)
    else:
        z0 = best_of_k(G, x, k=k, seed=seed).to(x)
    with torch.no_grad():
        start_psnr = psnr(G(z0), x).cpu()
        target_feats = features(x) if features is not None else None
    z = z0.clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    losses = []
    for _ in range(steps):
        out = G(z)
        loss = (out - x).pow(2).mean()
        if features is not None:
            loss = loss + feature_weight * (features(out) - target_feats).pow(2).mean()
        loss = loss + latent_weight * ((z.pow(2).mean(1) - 1) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    z = z.detach()
    with torch.no_grad():
        image_out = G(z)
    return {"z": z.cpu(), "image": image_out.cpu(), "psnr": psnr(image_out, x).cpu(),
            "start_psnr": start_psnr, "losses": losses}
