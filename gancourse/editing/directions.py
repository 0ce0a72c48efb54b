"""Edit directions: unit vectors ``n`` in latent space; an edit is ``z' = z + α n``.

Derived in lesson 06 (SeFa, GANSpace: unsupervised) and lesson 07 (InterFaceGAN, conditional
edits, the linearity check); lesson 10 reuses InterFaceGAN and :func:`orthogonalize` for bias.

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
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from gancourse.data import faces
from gancourse.data._checks import check_finite
from gancourse.runtime import device_of

from .latents import check_direction, check_latents, layer_features, normalize, z_dim_of
from .measure import attribute_target, check_attribute

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
        raise TypeError(
            f"{type(G).__name__} is not a course DCGAN (no .blocks); "
            "pass the weight matrix itself to sefa"
        )
    first = blocks[0][0] if isinstance(blocks[0], nn.Sequential) else blocks[0]
    if not isinstance(first, nn.ConvTranspose2d | nn.Linear):
        raise TypeError(
            f"the first layer of {type(G).__name__} is {type(first).__name__}, "
            "not a ConvTranspose2d/Linear"
        )
    W = first.weight.detach()
    d = z_dim_of(G)
    if isinstance(first, nn.Linear):  # (out, in): h = W z
        return W[:, :d]
    return W[:d].reshape(d, -1).T  # (c * kh * kw, d)


def sefa(A: torch.Tensor | nn.Module, k: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
    """SeFa: the ``k`` unit directions n that maximise ``|A n|²``.

    Returns (directions (k, d), eigenvalues (k,)). ``A`` is the (out, d) matrix of the first layer
    (``h = A z``) or a course generator (:func:`first_layer_weight` extracts it). The directions are
    the eigenvectors of ``AᵀA`` (a d x d matrix, *not* ``AAᵀ``, which lives in feature space) with
    the largest eigenvalues, in decreasing order. An eigenvector's sign is arbitrary; we flip each
    so its largest entry is positive, which makes the result reproducible.
    """
    if isinstance(A, nn.Module):
        A = first_layer_weight(A)
    if not isinstance(A, torch.Tensor) or A.dim() != 2:
        raise ValueError(
            f"A must be a 2-D weight matrix (out, d), got {getattr(A, 'shape', type(A).__name__)}"
        )
    d = A.shape[1]
    if not 1 <= k <= d:
        raise ValueError(f"k must be between 1 and d = {d}, got {k}")
    A = check_finite(A.detach().double(), "A (the first layer's weight)")
    values, vectors = torch.linalg.eigh(A.T @ A)  # ascending
    values, vectors = values.flip(0)[:k], vectors.flip(1)[:, :k].T  # (k,), (k, d)
    idx = vectors.abs().argmax(1)
    signs = torch.sign(vectors[torch.arange(k), idx])
    return (vectors * signs[:, None]).float(), values.float()


@torch.no_grad()
def ganspace(
    G: nn.Module, k: int = 5, n: int = 2000, layer: int = 0, seed: int = 0, batch_size: int = 500
) -> tuple[torch.Tensor, torch.Tensor]:
    """GANSpace: PCA of early-layer features, carried back to z.

    Returns (directions (k, d), variance ratio (k,)):

    1. sample z_i ~ N(0, I) (n of them), features y_i = F(z_i) after block ``layer``;
    2. PCA: the top-k principal axes V (features, k) and coordinates ``x_i = Vᵀ (y_i - ȳ)``;
    3. least squares ``z ≈ X U`` (X (n, k), U (k, d)): row j of U is the z-direction that moves the
       j-th principal coordinate; normalised to unit length.
    The second output is the share of feature variance each component explains.
    """
    d = z_dim_of(G)
    if not 1 <= k <= d:
        raise ValueError(f"k must be between 1 and d = {d}, got {k}")
    if n < 2 * k:
        raise ValueError(
            f"n = {n} samples are too few for {k} components; use n >= {2 * k} (1000s is better)"
        )
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, d, generator=g)
    device = device_of(G)
    feats = torch.cat(
        [layer_features(G, zb.to(device), layer).cpu() for zb in z.split(batch_size)]
    ).double()
    feats = feats - feats.mean(0)
    # top-k principal axes by a randomized SVD (seeded): O(n · features · k) instead of a full SVD
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        _, s, V = torch.svd_lowrank(
            feats, q=min(k + 10, *feats.shape), niter=4
        )  # feats ≈ U diag(s) Vᵀ
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
# supervised directions: InterFaceGAN, and orthogonalisation


def interfacegan_direction(z: torch.Tensor, labels: torch.Tensor, C: float = 1.0) -> torch.Tensor:
    """The unit normal of a linear boundary separating latents with label 1 from label 0, (d,).

    Fits logistic regression ``p(y = 1 | z) = σ(wᵀ z + b)`` (scikit-learn) and returns ``w / |w|``:
    walking along it raises the attribute. ``labels`` are 0/1 (B,); both classes must occur.
    """
    from sklearn.linear_model import LogisticRegression

    z = check_latents(z)
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


def interfacegan_from_scores(
    z: torch.Tensor,
    scores: Mapping[str, torch.Tensor],
    attribute: str,
    target_class: int | str | None = None,
    fraction: float = 0.3,
    C: float = 1.0,
) -> torch.Tensor:
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
    """A conditional edit direction: ``direction`` minus its components along ``keep``, unit length.

    One condition: ``n₁' = (n₁ - (n₁·n₂) n₂) / |n₁ - (n₁·n₂) n₂|`` for a unit n₂. Several:
    project onto the orthogonal complement of their span (Gram-Schmidt / QR), so ``n₁'·n_k = 0``
    for every k; then moving along n₁' leaves each linear attribute score ``n_kᵀ z`` unchanged.
    """
    n = check_direction(direction)
    if not keep:
        return normalize(n)
    K = torch.stack([check_direction(k, n.shape[0], "keep direction") for k in keep], 1).to(
        n
    )  # (d, m)
    Q, R = torch.linalg.qr(K.double())
    rank_ok = R.diagonal().abs() > 1e-8
    Q = Q[:, rank_ok]
    out = n.double() - Q @ (Q.T @ n.double())
    if out.norm() < 1e-6:
        raise ValueError(
            "the direction lies in the span of the directions to keep: nothing is left to edit"
        )
    return normalize(out).to(n.dtype)


def attribute_directions(
    z: torch.Tensor, scores: Mapping[str, torch.Tensor], fraction: float = 0.3, C: float = 1.0
) -> dict[str, torch.Tensor]:
    """InterFaceGAN directions for every attribute the classifier reads, (d,) each.

    Keys: a continuous attribute's name (``"smile"``); for a categorical one, one direction per
    class it can be moved towards: ``"glasses=yes"`` for two classes, ``"hair_color=red"`` etc. for
    more.
    """
    directions = {}
    for name in [k for k in scores if not k.endswith("_probs")]:
        spec = faces.ATTRIBUTES.get(name)
        if spec is None or spec.kind == "continuous":
            directions[name] = interfacegan_from_scores(z, scores, name, fraction=fraction, C=C)
            continue
        classes = spec.classes[1:] if spec.num_classes == 2 else spec.classes
        for cls in classes:
            directions[f"{name}={cls}"] = interfacegan_from_scores(
                z, scores, name, target_class=cls, fraction=fraction, C=C
            )
    return directions


def conditional_direction(directions: Mapping[str, torch.Tensor], attribute: str) -> torch.Tensor:
    """``attribute``'s direction orthogonalised against the directions of *every other* attribute.

    ``directions`` as :func:`attribute_directions` returns them; ``attribute`` is a key
    (``"smile"``, ``"glasses=yes"``). Its own other classes are not held (raising P(red hair) must
    lower the others).
    """
    if attribute not in directions:
        raise KeyError(f"no direction named {attribute!r}; directions: {sorted(directions)}")
    own = attribute.split("=")[0]
    keep = [v for k, v in directions.items() if k.split("=")[0] != own]
    return orthogonalize(directions[attribute], *keep)


def linear_r2(
    z: torch.Tensor, values: torch.Tensor, holdout: float = 0.0, ridge: float = 0.0
) -> float:
    """R² of the least-squares fit ``values ≈ βᵀ z + c``: 1 = linear in z, 0 = not at all.

    ``R² = 1 - Σ (a - â)² / Σ (a - ā)²``. InterFaceGAN can only find what a linear boundary
    captures. With many coordinates (a :class:`FeatureSpace`: d near or above the number of
    samples) a fit scored on its own samples means nothing (d ≥ n fits anything), so there use
    ``holdout``, the share of the rows (the last ones) the fit never sees and R² is computed on,
    and ``ridge``, the λ of ridge regression ``min |a - Xβ|² + λ|β|²`` on standardised coordinates.
    """
    z = check_latents(z).detach().double().cpu()
    if z.dim() != 2:
        raise ValueError(f"z must be a batch (B, d), got {tuple(z.shape)}")
    values = torch.as_tensor(values).detach().double().cpu().flatten()
    if values.shape[0] != z.shape[0]:
        raise ValueError(f"one value per latent: z has {z.shape[0]} rows, values {values.shape[0]}")
    if not 0.0 <= holdout < 1.0 or ridge < 0:
        raise ValueError(
            f"holdout must be in [0, 1) and ridge >= 0, got holdout={holdout}, ridge={ridge}"
        )
    n_test = round(holdout * len(z))
    if holdout and not 2 <= n_test <= len(z) - 2:
        raise ValueError(
            f"holdout={holdout} of {len(z)} rows leaves too few to fit or to test; use more samples"
        )
    fit = slice(0, len(z) - n_test)
    test = slice(len(z) - n_test, len(z)) if n_test else fit
    if ridge > 0:
        mean, std = z[fit].mean(0), z[fit].std(0).clamp(min=1e-8)
        z = (z - mean) / std  # the fit rows now have mean 0, so the intercept is the mean value
        X, y = z[fit], values[fit] - values[fit].mean()
        if X.shape[1] > X.shape[0]:  # more coordinates than samples: solve the smaller n × n system
            beta = X.T @ torch.linalg.solve(
                X @ X.T + ridge * torch.eye(X.shape[0], dtype=X.dtype), y
            )
        else:
            beta = torch.linalg.solve(
                X.T @ X + ridge * torch.eye(X.shape[1], dtype=X.dtype), X.T @ y
            )
        predicted = z[test] @ beta + values[fit].mean()
    else:
        X = torch.cat([z, torch.ones(len(z), 1, dtype=z.dtype)], 1)
        predicted = X[test] @ torch.linalg.lstsq(X[fit], values[fit, None]).solution[:, 0]
    residual = ((values[test] - predicted) ** 2).sum()
    total = ((values[test] - values[test].mean()) ** 2).sum()
    return float(1 - residual / total) if total > 0 else 0.0
