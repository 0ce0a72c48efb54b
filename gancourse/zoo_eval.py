"""Measuring the reference models: the figures in each model card and in ``benchmarks/zoo_quality.py``.

- **classifier**: on held-out renders (a seed never used for training), the accuracy of each
  categorical attribute and the mean absolute error (MAE) of each continuous one.
- **generators**: FID on the course's feature extractor (the classifier's ``features``; for the
  1-channel digits, :class:`gancourse.metrics.RandomFeatures`), next to two references that make
  the number readable:

  - the **real-vs-real floor**: FID between two independent real sets of the same size
    (what a perfect generator would score; FID is biased upwards for finite sets);
  - the **blurred-real baseline**: FID of real images blurred with a 3x3 box filter
    (what "recognisable but soft" scores).

- **conditional generator**: attribute accuracy, the share of generated images whose categorical
  attributes, as read by the classifier, equal the requested ones (per attribute and all at once).
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gancourse import zoo

REAL_SEED_A, REAL_SEED_B, HELD_OUT_SEED, SAMPLE_SEED = 1001, 1002, 12345, 777


def blur(images: torch.Tensor) -> torch.Tensor:
    """3x3 box blur with replicate padding, (N, C, H, W) -> same shape."""
    return F.avg_pool2d(F.pad(images, (1, 1, 1, 1), mode="replicate"), 3, stride=1)


@torch.no_grad()
def generate(model: nn.Module, n: int, seed: int = SAMPLE_SEED, batch: int = 250, labels=None) -> torch.Tensor:
    """``n`` images from an (un)conditional generator, in batches, on the CPU; labels are returned too if conditional."""
    g = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    z = torch.randn(n, model.config["z_dim"], generator=g)
    conditional = hasattr(model, "random_labels")
    if conditional and labels is None:
        labels = model.random_labels(n, generator=g)
    chunks = []
    for i in range(0, n, batch):
        args = (z[i:i + batch].to(device),) + ((labels[i:i + batch].to(device),) if conditional else ())
        chunks.append(model(*args).float().cpu())
    images = torch.cat(chunks).clamp(-1, 1)
    return (images, labels) if conditional else images


def _classifier_for(out: Path | None) -> nn.Module | None:
    """The face classifier: the one trained into ``out`` if there is one, else the shipped one."""
    if out is not None and (Path(out) / "face_classifier.safetensors").exists() and Path(out) != zoo.WEIGHTS_DIR:
        try:
            return zoo.load("face_classifier", device="cpu", weights_dir=out)
        except zoo.ZooError:
            pass
    try:
        return zoo.load("face_classifier", device="cpu")
    except zoo.ZooError:
        return None


@torch.no_grad()
def classifier_metrics(classifier: nn.Module, n: int) -> dict:
    """Held-out accuracy per categorical attribute, MAE per continuous one (faces from HELD_OUT_SEED)."""
    from gancourse.data import faces

    images, attributes = faces.face_batch(n, classifier.image_size, seed=HELD_OUT_SEED)
    predicted = torch.cat([classifier.predict(images[i:i + 500]) for i in range(0, n, 500)])
    metrics = {}
    for j, name in enumerate(classifier.attribute_names):
        if name in classifier.continuous:
            metrics[f"mae_{name}"] = round(float((predicted[:, j] - attributes[:, j]).abs().mean()), 4)
        else:
            metrics[f"accuracy_{name}"] = round(float((predicted[:, j] == attributes[:, j]).float().mean()), 4)
    accuracies = [v for k, v in metrics.items() if k.startswith("accuracy_")]
    metrics["accuracy_min"] = min(accuracies)
    metrics["accuracy_mean"] = round(sum(accuracies) / len(accuracies), 4)
    metrics["held_out_images"] = n
    return metrics


def fid_report(fake: torch.Tensor, real_a: torch.Tensor, real_b: torch.Tensor, extractor) -> dict:
    """FID of ``fake`` vs ``real_a``, next to the real-vs-real floor and the blurred-real baseline."""
    from gancourse import metrics

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
def attribute_accuracy(generator: nn.Module, classifier: nn.Module, n: int, seed: int = SAMPLE_SEED) -> dict:
    """How often the classifier reads the requested categorical attributes on generated faces."""
    images, labels = generate(generator, n, seed=seed)
    predicted = torch.cat([classifier.predict(images[i:i + 500]) for i in range(0, n, 500)])
    correct = []
    report = {}
    for j, name in enumerate(generator.class_names):
        hit = predicted[:, classifier.attribute_names.index(name)] == labels[:, j].float()
        correct.append(hit)
        report[f"attribute_accuracy_{name}"] = round(float(hit.float().mean()), 4)
    stacked = torch.stack(correct, 1)
    report["attribute_accuracy"] = round(float(stacked.float().mean()), 4)  # mean over attributes
    report["attribute_accuracy_all"] = round(float(stacked.all(1).float().mean()), 4)  # every one right
    return report


def faces_fid(generator: nn.Module, classifier: nn.Module, n: int) -> dict:
    from gancourse.data import faces

    size = generator.config["image_size"]
    real_a, _ = faces.face_batch(n, size, seed=REAL_SEED_A)
    real_b, _ = faces.face_batch(n, size, seed=REAL_SEED_B)
    fake = generate(generator, n)
    if isinstance(fake, tuple):
        fake = fake[0]
    return fid_report(fake, real_a, real_b, classifier.features)


def digits_fid(generator: nn.Module, n: int) -> dict:
    from gancourse.metrics import RandomFeatures
    from gancourse.zoo_train import digits_set

    real = digits_set(generator.config["image_size"])
    g = torch.Generator().manual_seed(REAL_SEED_A)
    order = torch.randperm(len(real), generator=g)
    half = min(n, len(real)) // 2
    real_a, real_b = real[order[:half]], real[order[half:2 * half]]
    extractor = RandomFeatures(channels=1, dim=64, size=generator.config["image_size"])
    report = fid_report(generate(generator, half), real_a, real_b, extractor)
    report["extractor"] = "RandomFeatures(channels=1, dim=64)"
    report["real_images_per_set"] = half
    return report


def evaluate(name: str, model: nn.Module, n: int, out: str | Path | None = None) -> dict:
    """The card metrics of zoo model ``name`` measured on ``n`` images."""
    model = model.cpu().eval()
    if name == "face_classifier":
        return classifier_metrics(model, n)
    if name == "digits_dcgan":
        return digits_fid(model, n)
    classifier = _classifier_for(Path(out) if out is not None else None)
    if classifier is None:
        return {"note": "no face_classifier available to measure with: train it first "
                        "(python -m gancourse.zoo train face_classifier)"}
    report = faces_fid(model, classifier, n)
    report["extractor"] = "face_classifier.features (128-d)"
    if hasattr(model, "random_labels"):
        report.update(attribute_accuracy(model, classifier, n))
    return report


@torch.no_grad()
def half_precision_error(entry: zoo.ZooEntry, model32: nn.Module, model16: nn.Module) -> float:
    """Largest absolute output difference between the float32 model and its float16-stored copy."""
    model32, model16 = model32.cpu().eval(), model16.cpu().eval()
    g = torch.Generator().manual_seed(0)
    if entry.kind == "classifier":
        x = torch.rand(8, model32.channels, model32.image_size, model32.image_size, generator=g) * 2 - 1
        return round(float((model32.features(x) - model16.features(x)).abs().max()), 5)
    z = torch.randn(8, model32.config["z_dim"], generator=g)
    args = (z, model32.random_labels(8, generator=g)) if entry.kind == "conditional_generator" else (z,)
    return round(float((model32(*args) - model16(*args)).abs().max()), 5)
