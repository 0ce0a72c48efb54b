"""Measuring the reference models: the figures in each model card and in benchmarks/zoo_quality.py.

Derived in lesson 04 (FID, precision/recall on the course's feature extractor). One function,
:func:`evaluate`, chooses the measure by the model's ``kind`` (and its real images by the entry's
``dataset``):

- **classifier**: on held-out renders (a seed never used in training), the accuracy of each
  categorical attribute and the mean absolute error (MAE) of each continuous one.
- **generator** / **conditional_generator**: FID on the course's feature extractor (the face
  classifier's ``features``; for 1-channel digits a :class:`~gancourse.metrics.RandomFeatures`)
  next to two references that make the number readable: the real-vs-real floor (two independent
  real sets; FID is biased upwards for finite sets) and the blurred-real baseline (a 3x3 box blur:
  "recognisable but soft"). A conditional generator adds attribute accuracy: how often the
  classifier reads the requested classes.
- **style_generator**: the style-mixing report (lesson 08).
- **stylizer**: the alpha sweep on Grace Hopper for every style (lesson 08).
- **translator**: on the test photos, the style judge's share, structure, L1 and texture distance
  to the real paint filter's output, with the photo and a blur as baselines (lesson 09).
- **judge**: on the paint filter's outputs of the test photos (never seen in training), the share
  of patches judged right per class and of whole images; and the structure score the paint
  filter itself keeps, the reference for the stylizers' (lessons 08-09).
- **painter**: the feed-forward painter on the test photos at alpha = 1: the share the style
  judge labels each style, and the structure score next to the paint filter's (lesson 08).
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gancourse import metrics, style, train
from gancourse.data import faces, images, pools, styles
from gancourse.zoo import CheckpointError, load
from gancourse.zoo.registry import WEIGHTS_DIR, ZooEntry

REAL_SEED_A, REAL_SEED_B, HELD_OUT_SEED, SAMPLE_SEED = 1001, 1002, 12345, 777


def blur(x: torch.Tensor) -> torch.Tensor:
    """3x3 box blur with replicate padding, (N, C, H, W) -> same shape."""
    return F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, stride=1)


def sample_images(model: nn.Module, n: int, seed: int = SAMPLE_SEED):
    """``n`` images from a generator with latents (and labels, if conditional) from ``seed``.

    Returns images in [-1, 1] on the CPU, or ``(images, labels)`` for a conditional generator.
    """
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, model.config["z_dim"], generator=g)
    labels = model.random_labels(n, generator=g) if hasattr(model, "random_labels") else None
    out = train.generate(model, z, labels, batch_size=250).clamp(-1, 1)
    return out if labels is None else (out, labels)


def face_classifier(out: Path | None = None) -> nn.Module | None:
    """The face classifier: the one trained into ``out`` if there is one, else the shipped one."""
    if (
        out is not None
        and Path(out) != WEIGHTS_DIR
        and (Path(out) / "face_classifier.safetensors").exists()
    ):
        try:
            return load("face_classifier", device="cpu", weights_dir=out)
        except CheckpointError:
            pass
    try:
        return load("face_classifier", device="cpu")
    except CheckpointError:
        return None


@torch.no_grad()
def classifier_metrics(classifier: nn.Module, n: int) -> dict:
    """Held-out accuracy per categorical attribute, MAE per continuous one."""
    x, attributes = faces.face_batch(n, classifier.image_size, seed=HELD_OUT_SEED)
    predicted = torch.cat([classifier.predict(x[i : i + 500]) for i in range(0, n, 500)])
    report = {}
    for j, name in enumerate(classifier.attribute_names):
        if name in classifier.continuous:
            err = (predicted[:, j] - attributes[:, j]).abs().mean()
            report[f"mae_{name}"] = round(float(err), 4)
        else:
            acc = (predicted[:, j] == attributes[:, j]).float().mean()
            report[f"accuracy_{name}"] = round(float(acc), 4)
    accuracies = [v for k, v in report.items() if k.startswith("accuracy_")]
    report["accuracy_min"] = min(accuracies)
    report["accuracy_mean"] = round(sum(accuracies) / len(accuracies), 4)
    report["held_out_images"] = n
    return report


def fid_report(fake: torch.Tensor, real_a: torch.Tensor, real_b: torch.Tensor, extractor) -> dict:
    """FID of ``fake`` vs ``real_a``, next to the real-vs-real floor and the blurred baseline."""
    fa = metrics.extract_features(real_a, extractor, name="real")
    fb = metrics.extract_features(real_b, extractor, name="real (second set)")
    fblur = metrics.extract_features(blur(real_b), extractor, name="blurred real")
    ff = metrics.extract_features(fake, extractor, name="generated")
    report = {
        "fid": metrics.fid_from_features(fa, ff),
        "fid_real_floor": metrics.fid_from_features(fa, fb),
        "fid_blurred_real": metrics.fid_from_features(fa, fblur),
    }
    if min(len(fa), len(ff)) > 3:
        report["precision"], report["recall"] = metrics.precision_recall_from_features(fa, ff)
    return {k: round(float(v), 4) for k, v in report.items()}


@torch.no_grad()
def attribute_accuracy(generator: nn.Module, classifier: nn.Module, n: int) -> dict:
    """How often the classifier reads the requested categorical attributes on generated faces."""
    fake, labels = sample_images(generator, n)
    predicted = torch.cat([classifier.predict(fake[i : i + 500]) for i in range(0, n, 500)])
    correct, report = [], {}
    for j, name in enumerate(generator.class_names):
        hit = predicted[:, classifier.attribute_names.index(name)] == labels[:, j].float()
        correct.append(hit)
        report[f"attribute_accuracy_{name}"] = round(float(hit.float().mean()), 4)
    stacked = torch.stack(correct, 1)
    report["attribute_accuracy"] = round(float(stacked.float().mean()), 4)  # mean over attributes
    report["attribute_accuracy_all"] = round(float(stacked.all(1).float().mean()), 4)
    return report


def generator_metrics(entry: ZooEntry, model: nn.Module, n: int, out: Path | None) -> dict:
    """FID (+ attribute accuracy for a conditional generator) against the entry's dataset."""
    size = model.config["image_size"]
    if entry.dataset == "digits":
        real, _ = images.digits(size=size)
        order = torch.randperm(len(real), generator=torch.Generator().manual_seed(REAL_SEED_A))
        half = min(n, len(real)) // 2
        extractor = metrics.RandomFeatures(channels=1, dim=64, size=size)
        report = fid_report(
            sample_images(model, half), real[order[:half]], real[order[half : 2 * half]], extractor
        )
        return {
            **report,
            "extractor": "RandomFeatures(channels=1, dim=64)",
            "real_images_per_set": half,
        }
    classifier = face_classifier(out)
    if classifier is None:
        return {
            "note": "no face_classifier available to measure with: train it first "
            "(python -m gancourse.zoo train face_classifier)"
        }
    fake = sample_images(model, n)
    fake = fake[0] if isinstance(fake, tuple) else fake
    real_a, _ = faces.face_batch(n, size, seed=REAL_SEED_A)
    real_b, _ = faces.face_batch(n, size, seed=REAL_SEED_B)
    report = fid_report(fake, real_a, real_b, classifier.features)
    report["extractor"] = "face_classifier.features (128-d)"
    if entry.kind == "conditional_generator":
        report.update(attribute_accuracy(model, classifier, n))
    return report


def mixing_metrics(entry: ZooEntry, model: nn.Module, n: int, out: Path | None) -> dict:
    """The style-mixing report of a style-based generator (lesson 08)."""
    classifier = face_classifier(out)
    if classifier is None:
        return {"note": "no face_classifier to measure the mixing rate with"}
    return style.mixing_report(model, classifier, n=n or 500)


@torch.no_grad()
def stylizer_metrics(entry: ZooEntry, model: nn.Module, n: int, out: Path | None) -> dict:
    """The alpha sweep on Grace Hopper (128 px) for every style: are the curves monotonic?"""
    content = style.prepare_photo(images.grace_hopper(), size=128)
    alphas = torch.linspace(0, 1, 11).tolist()
    report = {}
    for name in styles.STYLE_NAMES:
        r = style.alpha_sweep(model, content, styles.style_image(name, 256), alphas)
        report[f"{name}_style_falls"] = style.is_monotonic(r["style"], increasing=False)
        report[f"{name}_content_rises"] = style.is_monotonic(r["content"])
        report[f"{name}_structure_rises"] = style.is_monotonic(r["structure"])
        report[f"{name}_style_distance_alpha0_alpha1"] = [
            round(r["style"][0], 5),
            round(r["style"][-1], 5),
        ]
    recon = model.decode(model.encode(content)[-1])
    report["reconstruction_l1_alpha0"] = round(float((recon - content[None]).abs().mean()), 4)
    return report


@torch.no_grad()
def translator_metrics(entry: ZooEntry, model: nn.Module, n: int, out: Path | None) -> dict:
    """On the held-out test photos at 256 px: :func:`gancourse.style.translation_scores` (the
    judge's share, structure, L1 and texture distance to the paint filter's output) for the model
    and for two baselines, the photo itself and the photo blurred (5x5 box); a CycleGAN adds its
    cycle error ``|G_ba(G_ab(x)) - x|_1``."""
    judge = load("style_judge").eval()
    test = torch.stack([images.load(name, size=256) for name in pools.JUDGE_TEST_PHOTOS])
    truth = styles.paint_filter(test, pools.PAINT_STYLE, seed=1)
    blurred = F.avg_pool2d(F.pad(test, (2, 2, 2, 2), mode="replicate"), 5, stride=1)
    report = {}
    for who, output in (("", model(test)), ("photo_", test), ("blurred_", blurred)):
        scores = style.translation_scores(judge, output, test, truth, pools.PAINT_STYLE)
        report.update({f"{who}{k}": round(v, 4) for k, v in scores.items()})
    if hasattr(model, "G_ba"):
        report["cycle_l1"] = round(float((model.G_ba(model.G_ab(test)) - test).abs().mean()), 4)
    report["held_out"] = ", ".join(pools.JUDGE_TEST_PHOTOS) + " at 256 px"
    return report


@torch.no_grad()
def judge_metrics(entry: ZooEntry, model: nn.Module, n: int, out: Path | None) -> dict:
    """Held-out accuracy of the style judge: the test photos at 256 px, as they are and painted
    in each style at ``n`` seeds (1..n); patches on a grid of stride 32 (49 per image)."""
    test = torch.stack([images.load(name, size=256) for name in pools.JUDGE_TEST_PHOTOS])
    report, right, total = {}, 0, 0
    for k, name in enumerate(model.classes):
        if name == "photo":
            batch = test
        else:
            batch = torch.cat([styles.paint_filter(test, name, seed=s) for s in range(1, n + 1)])
        log_p = style.patch_log_probs(model, batch)  # (B, R, C, K), judged once
        hits = (log_p.argmax(-1) == k).flatten()
        report[f"patch_accuracy_{name}"] = round(hits.float().mean().item(), 4)
        right, total = right + int(hits.sum()), total + hits.numel()
        images_right = log_p.mean((1, 2)).argmax(1) == k  # image_verdicts' rule
        report[f"image_accuracy_{name}"] = round(images_right.float().mean().item(), 4)
        if name != "photo":
            kept = style.structure_score(test.repeat(n, 1, 1, 1), batch)
            report[f"filter_structure_{name}"] = round(kept.mean().item(), 4)
    report["patch_accuracy"] = round(right / total, 4)
    for level in ("patch", "image"):
        report[f"{level}_accuracy_min"] = min(
            report[f"{level}_accuracy_{name}"] for name in model.classes
        )
    report["held_out"] = ", ".join(pools.JUDGE_TEST_PHOTOS) + f" at 256 px, paint seeds 1..{n}"
    return report


@torch.no_grad()
def painter_metrics(entry: ZooEntry, model: nn.Module, n: int, out: Path | None) -> dict:
    """The painter at alpha = 1 on the held-out test photos at 256 px, graded by the zoo's
    ``style_judge`` (trained apart from the painter and its critic): for each style, the share of
    photos whose painting the judge labels that style, the share of patches, and the structure
    score against the photo, next to the paint filter's own structure score."""
    judge = load("style_judge").eval()
    test = torch.stack([images.load(name, size=256) for name in pools.JUDGE_TEST_PHOTOS])
    c = model.encode(test)
    report = {}
    for name in model.styles:
        painted = model.decode(model.transform(c, name), name)
        log_p = style.patch_log_probs(judge, painted)  # (B, R, C, K), judged once
        k = judge.classes.index(name)
        judged = log_p.mean((1, 2)).argmax(1) == k  # image_verdicts' rule
        report[f"judged_{name}"] = round(judged.float().mean().item(), 4)
        report[f"patch_share_{name}"] = round((log_p.argmax(-1) == k).float().mean().item(), 4)
        report[f"structure_{name}"] = round(style.structure_score(painted, test).mean().item(), 4)
        filtered = styles.paint_filter(test, name, seed=1)
        report[f"filter_structure_{name}"] = round(
            style.structure_score(filtered, test).mean().item(), 4
        )
    report["judged_min"] = min(report[f"judged_{name}"] for name in model.styles)
    report["structure_min"] = min(report[f"structure_{name}"] for name in model.styles)
    report["reconstruction_l1_alpha0"] = round(float((model.decode(c) - test).abs().mean()), 4)
    report["held_out"] = ", ".join(pools.JUDGE_TEST_PHOTOS) + " at 256 px, alpha = 1"
    return report


def _classifier_metrics(entry, model, n, out):
    return classifier_metrics(model, n)


MEASURES = {
    "classifier": _classifier_metrics,
    "generator": generator_metrics,
    "conditional_generator": generator_metrics,
    "style_generator": mixing_metrics,
    "stylizer": stylizer_metrics,
    "translator": translator_metrics,
    "judge": judge_metrics,
    "painter": painter_metrics,
}


def evaluate(entry: ZooEntry, model: nn.Module, n: int, out: str | Path | None = None) -> dict:
    """The card metrics of a zoo model, measured on ``n`` images, chosen by ``entry.kind``.

    ``out``: a folder trained into, whose face classifier (if any) is used for the measures.
    """
    if entry.kind not in MEASURES:
        raise ValueError(f"no measure for kind {entry.kind!r}; kinds: {', '.join(MEASURES)}")
    return MEASURES[entry.kind](entry, model.cpu().eval(), n, None if out is None else Path(out))


@torch.no_grad()
def half_precision_error(entry: ZooEntry, model32: nn.Module, model16: nn.Module) -> float:
    """Largest absolute output difference between the float32 model and its float16 copy."""
    model32, model16 = model32.cpu().eval(), model16.cpu().eval()
    g = torch.Generator().manual_seed(0)
    if entry.kind == "judge":
        x = torch.rand(8, 3, 64, 64, generator=g) * 2 - 1
        a, b = model32(x).softmax(1), model16(x).softmax(1)
    elif entry.kind == "classifier":
        size = model32.image_size
        x = torch.rand(8, model32.channels, size, size, generator=g) * 2 - 1
        a, b = model32.features(x), model16.features(x)
    elif entry.kind == "painter":
        x = torch.rand(2, 3, 64, 64, generator=g) * 2 - 1
        a, b = model32(x, model32.styles[0]), model16(x, model16.styles[0])
    elif entry.kind in ("stylizer", "translator"):
        x, s = (torch.rand(2, 3, 64, 64, generator=g) * 2 - 1 for _ in range(2))
        args = (x, s) if entry.kind == "stylizer" else (x,)
        a, b = model32(*args), model16(*args)
    else:
        z = torch.randn(8, model32.config["z_dim"], generator=g)
        labels = (
            model32.random_labels(8, generator=g) if hasattr(model32, "random_labels") else None
        )
        a, b = train.generate(model32, z, labels), train.generate(model16, z, labels)
    return round(float((a - b).abs().max()), 5)
