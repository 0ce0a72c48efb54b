"""Reading attributes with the classifier, and measuring an edit over many samples.

Derived in lesson 07 (measuring an edit: target change vs leakage); lessons 05, 06 and 10 use
:func:`attribute_scores` and :func:`label_latents` too. The classifier is
``zoo.load("face_classifier")`` (or any module with ``attribute_names``).

Measuring an edit over many samples
    target change: ``Δ_t = a_t(G(z + α n)) - a_t(G(z))`` (classifier); success when ``Δ_t`` has the
    intended sign (and size); leakage into attribute k: ``mean |Δ_k|`` as a fraction of k's range
    (for a categorical attribute: the share of samples whose predicted class changed).
    :func:`gradient_edit` is the non-linear alternative to a fixed direction.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

import torch
from torch import nn
from tqdm.auto import tqdm

from gancourse.data import faces
from gancourse.data._checks import check_image_values
from gancourse.runtime import device_of
from gancourse.train import generate

from .latents import (
    check_direction,
    check_latents,
    edit,
    sample_latents,
    z_dim_of,
)

# --------------------------------------------------------------------------------------------------
# attributes, read by the classifier


def check_attribute(name: str, names: Sequence[str] | None = None) -> str:
    """Return ``name`` if it is a face attribute; else raise a ValueError listing the known ones."""
    names = tuple(names) if names is not None else faces.ATTRIBUTE_NAMES
    if not isinstance(name, str) or name not in names:
        close = difflib.get_close_matches(str(name), names, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"unknown attribute {name!r}.{hint} The attributes are: {', '.join(names)}."
        )
    return name


def _classifier_names(classifier: nn.Module) -> list[str]:
    names = getattr(classifier, "attribute_names", None)
    if names is None:
        raise TypeError(
            f"{type(classifier).__name__} has no attribute_names; "
            "pass the course's AttributeClassifier"
        )
    return list(names)


@torch.no_grad()
def attribute_scores(
    classifier: nn.Module, images: torch.Tensor, batch_size: int = 256
) -> dict[str, torch.Tensor]:
    """One number per attribute and image, ``{name: (B,)}``, on the scale edits are measured on.

    Continuous attributes: the predicted value in [0, 1]. Categorical ones: the predicted class
    index (as a float); ``{name + "_probs": (B, k)}`` holds the class probabilities as well.
    """
    check_image_values(images, "images")
    device = device_of(classifier)
    names = _classifier_names(classifier)
    parts: dict[str, list] = {}
    for start in range(0, images.shape[0], batch_size):
        out = classifier(images[start : start + batch_size].to(device))
        for name in names:
            value = out[name]
            if value.dim() == 1:
                parts.setdefault(name, []).append(value.clamp(0, 1).cpu())
            else:
                probs = value.softmax(1).cpu()
                parts.setdefault(name, []).append(probs.argmax(1).float())
                parts.setdefault(name + "_probs", []).append(probs)
    return {key: torch.cat(values) for key, values in parts.items()}


def label_latents(
    G: nn.Module, classifier: nn.Module, n: int = 2000, seed: int = 0, batch_size: int = 256
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Sample n latents (``sample_latents``), generate, classify.

    Returns ``(z (n, d), attribute_scores)``.
    """
    z = sample_latents(G, n, seed)
    scores = {}
    for start in range(0, n, batch_size):
        images = generate(G, z[start : start + batch_size])
        for key, value in attribute_scores(classifier, images).items():
            scores.setdefault(key, []).append(value)
    return z, {key: torch.cat(v) for key, v in scores.items()}


def attribute_target(
    scores: Mapping[str, torch.Tensor], attribute: str, target_class: int | str | None = None
) -> torch.Tensor:
    """The scalar an edit of ``attribute`` should raise, (B,): its value or P(target class).

    The value for a continuous attribute. For a categorical attribute ``target_class`` (index or
    class name) is required unless it has two classes (then class 1, e.g. glasses = yes).
    """
    check_attribute(attribute, [k for k in scores if not k.endswith("_probs")])
    k = _target_class_index(attribute, target_class)
    return scores[attribute] if k is None else scores[attribute + "_probs"][:, k]


def _target_class_index(attribute: str, target_class: int | str | None) -> int | None:
    """The class index an edit of a categorical ``attribute`` raises; None for a continuous one."""
    spec = faces.ATTRIBUTES.get(attribute)
    if spec is None or spec.kind == "continuous":
        return None
    if target_class is None:
        if spec.num_classes != 2:
            raise ValueError(
                f"{attribute} has {spec.num_classes} classes {spec.classes}: "
                "say which one the edit should move towards with target_class="
            )
        return 1
    if isinstance(target_class, str):
        if target_class not in spec.classes:
            raise ValueError(
                f"{target_class!r} is not a class of {attribute}; choose from {spec.classes}"
            )
        return spec.classes.index(target_class)
    return int(target_class)


# --------------------------------------------------------------------------------------------------
# measuring edits


def score_edit(
    G: nn.Module,
    classifier: nn.Module,
    direction: torch.Tensor,
    attribute: str,
    alpha: float,
    n: int = 256,
    seed: int = 1,
    target_class: int | str | None = None,
    min_change: float = 0.02,
    saturation: float = 0.05,
    z: torch.Tensor | None = None,
) -> dict:
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
    d = z_dim_of(G)
    direction = check_direction(direction, d)
    if z is None:
        z = sample_latents(G, n, seed)
    result = measure_edit(
        G,
        classifier,
        z,
        edit(z, direction, alpha),
        attribute,
        increase=alpha >= 0,
        target_class=target_class,
        min_change=min_change,
        saturation=saturation,
    )
    return {
        "attribute": attribute,
        "alpha": float(alpha),
        **{k: v for k, v in result.items() if k != "attribute"},
    }


def measure_edit(
    G: nn.Module,
    classifier: nn.Module,
    z: torch.Tensor,
    z_edited: torch.Tensor,
    attribute: str,
    increase: bool = True,
    target_class: int | str | None = None,
    min_change: float = 0.02,
    saturation: float = 0.05,
) -> dict:
    """:func:`score_edit`'s measures for any edit ``z -> z_edited`` (e.g. from gradient_edit)."""
    z, z_edited = check_latents(z), check_latents(z_edited, "z_edited")
    if z.shape != z_edited.shape:
        raise ValueError(
            f"z {tuple(z.shape)} and z_edited {tuple(z_edited.shape)} must have the same shape"
        )
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


def gradient_edit(
    G: nn.Module,
    classifier: nn.Module,
    z: torch.Tensor,
    attribute: str,
    steps: int = 4,
    step_size: float = 0.5,
    hold_others: bool = True,
    target_class: int | str | None = None,
    batch_size: int = 128,
    progress: bool = True,
) -> torch.Tensor:
    """A non-linear edit: follow the classifier's gradient of the target, per sample.

    Each step, for every latent: ``g = ∇_z t(G(z))`` with t the target (a continuous attribute's
    value, or ``log P(target class)``); with ``hold_others`` g is projected onto the orthogonal
    complement of the gradients of every other attribute (continuous values; for a categorical one,
    log P of the class it shows now), so to first order none of them moves; then
    ``z ← z + η g / |g|``. Unlike a fixed direction the path bends with the generator, so it can
    move an attribute that is not linear in z. Caveat: the classifier both steers and (usually)
    measures the edit; check with an independent judge. ``progress`` shows a tqdm bar over the
    steps of every batch (each a forward and 1 + m backward passes through G and the classifier).
    Returns the edited latents (B, d).
    """
    z = check_latents(z)
    if z.dim() != 2:
        raise ValueError(f"z must be a batch (B, d), got {tuple(z.shape)}")
    if steps < 1 or step_size <= 0:
        raise ValueError(f"steps must be >= 1 and step_size > 0, got {steps} and {step_size}")
    names = _classifier_names(classifier)
    check_attribute(attribute, names)
    target_index = _target_class_index(attribute, target_class)
    device = device_of(G)
    out_chunks = []
    total = steps * -(-z.shape[0] // batch_size)
    bar = tqdm(total=total, desc=f"gradient edit: {attribute}", disable=not progress, leave=False)
    for start in range(0, z.shape[0], batch_size):
        zc = z[start : start + batch_size].detach().to(device)
        for _ in range(steps):
            zc.requires_grad_(True)
            out = classifier(G(zc))
            scores = {}
            for name in names:
                value = out[name]
                if (
                    value.dim() == 2
                ):  # categorical logits: log P(the target class), or of the class shown now
                    logp = value.log_softmax(1)
                    scores[name] = (
                        logp[:, target_index] if name == attribute else logp.max(1).values
                    )
                else:
                    scores[name] = value
            g = torch.autograd.grad(scores[attribute].sum(), zc, retain_graph=hold_others)[0]
            if hold_others:
                held = [
                    torch.autograd.grad(v.sum(), zc, retain_graph=True)[0]
                    for name, v in scores.items()
                    if name != attribute and v.requires_grad
                ]
                if held:
                    Q, R = torch.linalg.qr(
                        torch.stack(held, 2)
                    )  # (b, d, m): a basis of the held gradients
                    keep = (
                        R.diagonal(dim1=1, dim2=2).abs()
                        > 1e-6 * R.abs().amax((1, 2), keepdim=True)[:, 0]
                    )
                    Q = Q * keep[:, None, :]
                    g = g - (Q @ (Q.transpose(1, 2) @ g[:, :, None]))[:, :, 0]
            zc = (zc + step_size * g / g.norm(dim=1, keepdim=True).clamp_min(1e-12)).detach()
            bar.update()
        out_chunks.append(zc.cpu())
    bar.close()
    return torch.cat(out_chunks).to(z.device)


def calibrate_alpha(
    G: nn.Module,
    classifier: nn.Module,
    direction: torch.Tensor,
    attribute: str,
    alphas: Sequence[float] = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0),
    success: float = 0.9,
    z: torch.Tensor | None = None,
    n: int = 256,
    seed: int = 2,
    target_class: int | str | None = None,
    progress: bool = True,
) -> tuple[float, dict]:
    """The smallest α in ``alphas`` whose edit reaches ``success`` on calibration latents.

    Returns ``(α, score_edit result at α)``; the largest α (and its result) when none reaches it.
    Use latents (``seed``) other than the ones you report on, so the chosen strength is not fitted
    to them. ``progress`` shows a tqdm bar over the strengths tried (each renders and classifies
    ``n`` edited faces, a few seconds on a CPU).
    """
    if not alphas or any(a <= 0 for a in alphas):
        raise ValueError(f"alphas must be positive strengths, got {list(alphas)}")
    if z is None:
        z = sample_latents(G, n, seed)
    result = None
    with tqdm(sorted(alphas), desc=f"α for {attribute}", disable=not progress, leave=False) as bar:
        for alpha in bar:
            result = score_edit(
                G, classifier, direction, attribute, alpha, z=z, target_class=target_class
            )
            if result["success"] >= success:
                break
    return alpha, result
