"""Quality of the reference model zoo, measured again and printed next to the figures in each card.

For every shipped model:

- generators: FID on the course extractor (the face classifier's 128-d features; RandomFeatures for
  the 1-channel digits) next to the real-vs-real floor and a blurred-real baseline;
- the conditional generator: attribute accuracy (the classifier reads the requested categorical
  attributes on generated faces), per attribute and on average;
- the classifier: held-out accuracy per categorical attribute, MAE per continuous one;
- the style models: the style-based generator's mixing rate, the AdaIN decoder's reconstruction
  error;
- the translators (pix2pix, its ablations, CycleGAN) on the test photos at 256 px: the share the
  style judge labels woodblock, structure, L1 and texture distance to the filter's output, next to
  the photo's and a blur's; CycleGAN's cycle error;
- the style judge: held-out accuracy on the paint filter's outputs of the test photos (patches and
  whole images, worst class), and the structure score the filter keeps per style;
- the feed-forward painter: per style, the share of the test photos' 256-px paintings (alpha = 1)
  that the style judge labels that style, and the structure score it keeps.

    python benchmarks/zoo_quality.py [--samples N] [--models name ...]

Thresholds (exit status 1 when one is missed): classifier accuracy >= 0.98 on every categorical
attribute; conditional attribute accuracy >= 0.95; style-mixing rate >= 0.80; the style judge's
held-out patch accuracy >= 0.95 and its worst class's image accuracy >= 0.95; for each style, the
painter lesson 08 uses for it (``zoo.painter_for``: a one-style painter where there is one, else the
five-style one) judged >= 0.90 and a structure score >= 0.50 (the filter's own lowest is 0.53);
pix2pix (adversarial + L1) judged woodblock more often than the blurred photo; CycleGAN judged
woodblock on >= 0.80 of the test photos.
FIDs are printed for reading, next to their floor and blurred baseline (a good generator lands
between the two, near the floor).
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

from gancourse import zoo
from gancourse.data.styles import STYLE_NAMES
from gancourse.models.judge import JUDGE_CLASSES
from gancourse.zoo.evaluate import evaluate

THRESHOLDS = {
    "accuracy_min": 0.98,
    "attribute_accuracy": 0.95,
    "mixing_rate": 0.80,
    "patch_accuracy": 0.95,
    "image_accuracy_min": 0.95,
    "judged_min": 0.90,
    "structure_min": 0.50,
}
CYCLEGAN_JUDGED = 0.80
SHOWN = (
    "fid",
    "fid_real_floor",
    "fid_blurred_real",
    "precision",
    "recall",
    "attribute_accuracy",
    "attribute_accuracy_all",
    "accuracy_min",
    "accuracy_mean",
    "mae_smile",
    "mae_eye_size",
    "mae_skin_tone",
    "mae_head_tilt",
    "mixing_rate",
    "reconstruction_l1_alpha0",
    *(
        f"{who}{measure}"
        for measure in ("judged", "patches", "structure", "l1", "texture")
        for who in ("", "photo_", "blurred_")
    ),
    "cycle_l1",
    "patch_accuracy",
    "patch_accuracy_min",
    "image_accuracy_min",
    *(f"patch_accuracy_{name}" for name in JUDGE_CLASSES),
    *(f"filter_structure_{name}" for name in STYLE_NAMES),
    *(f"judged_{name}" for name in STYLE_NAMES),
    *(f"structure_{name}" for name in STYLE_NAMES),
    "judged_min",
    "structure_min",
)


def translator_failure(name: str, measured: dict) -> str | None:
    """pix2pix must be judged woodblock more often than the blurred photo; CycleGAN on >= 0.80."""
    if name == "pix2pix_woodblock" and not measured["judged"] > measured["blurred_judged"]:
        return (
            f"judged {measured['judged']:.4f} <= the blurred photo's {measured['blurred_judged']}"
        )
    if name == "cyclegan_woodblock" and measured["judged"] < CYCLEGAN_JUDGED:
        return f"judged = {measured['judged']:.4f} < {CYCLEGAN_JUDGED}"
    return None


def painter_verdict(name: str, styles, measured: dict) -> bool:
    """The painter's bars (judged >= 0.90, structure >= 0.50) for each style lesson 08 paints with
    this model (``zoo.painter_for``); the other styles are printed for reading."""
    ok = True
    for style in styles:
        if zoo.painter_for(style) != name:
            print(f"   {style}: lesson 08 paints it with {zoo.painter_for(style)} (not held here)")
            continue
        for key, bar in (
            ("judged", THRESHOLDS["judged_min"]),
            ("structure", THRESHOLDS["structure_min"]),
        ):
            value = measured[f"{key}_{style}"]
            if value < bar:
                print(f"   FAIL: {key}_{style} = {value:.4f} < {bar}")
                ok = False
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000, help="images per set (default 2000)")
    parser.add_argument("--models", nargs="*", default=None, help="which models (default: all)")
    args = parser.parse_args(argv)
    torch.set_num_threads(min(torch.get_num_threads(), 4))
    ok = True
    for name in args.models or zoo.names():
        start = time.perf_counter()
        model = zoo.load(name, device="cpu")
        entry = zoo.entry(name)
        # measured like their cards: mixing on <= 500 pairs;
        # stylizers and translators on fixed images
        n, unit = {
            "style_generator": (min(args.samples, 500), "face pairs"),
            "stylizer": (0, ""),
            "translator": (0, ""),
            "painter": (0, ""),
            "judge": (3, "paint seeds per test photo and style"),
        }.get(entry.kind, (args.samples, "images"))
        measured = evaluate(entry, model, n)
        on = f"on {n} {unit}" if n and unit else "on the card's fixed test images"
        card = zoo.card(name)["metrics"]
        seconds = time.perf_counter() - start
        print(f"\n== {name}  ({zoo.entry(name).summary}; measured in {seconds:.0f} s {on})")
        print(f"   {'metric':<32} {'now':>10} {'card':>10}")
        for key in SHOWN:
            if key in measured:
                now, then = measured[key], card.get(key, float("nan"))
                print(f"   {key:<32} {now:>10.4f} {then:>10.4f}")
        for key, threshold in THRESHOLDS.items():
            if entry.kind == "painter" and key in ("judged_min", "structure_min"):
                continue  # a painter is held to the bar only for the styles it paints in lesson 08
            if key in measured and measured[key] < threshold:
                print(f"   FAIL: {key} = {measured[key]:.4f} < {threshold}")
                ok = False
        if entry.kind == "painter":
            ok = painter_verdict(name, model.styles, measured) and ok
        failure = translator_failure(name, measured)
        if failure:
            print(f"   FAIL: {failure}")
            ok = False
    total = sum((zoo.WEIGHTS_DIR / zoo.entry(n).filename).stat().st_size for n in zoo.names()) / 1e6
    print(f"\nzoo size: {total:.2f} MB of 40 MB")
    return 0 if ok and total <= 40 else 1


if __name__ == "__main__":
    sys.exit(main())
