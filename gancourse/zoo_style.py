"""Zoo entries and training recipes of the style models (lessons 08-09).

Registered into :mod:`gancourse.zoo` when it is imported, so ``zoo.load("faces_stylegan")`` works
like any other reference model. Train (and write the model card) with::

    python -m gancourse.zoo_style train faces_stylegan [--steps N] [--out DIR] [--max-minutes M]

(``python -m gancourse.zoo train NAME`` forwards these names here.) Recipes:

- ``adain_decoder``    :class:`gancourse.models.adain.AdaINStylizer`: fixed random encoder + trained
  decoder (reconstruction + content + style losses) on crops of the course photos, faces and styles;
- ``faces_stylegan``   :class:`gancourse.models.stylegan.StyleGenerator` on 32x32 synthetic faces,
  non-saturating loss + lazy R1, mixing regularisation; card metric: the measured style-mixing rate;
- ``pix2pix_painter``  :class:`gancourse.models.pix2pix.UNetGenerator` photo -> ``paint_filter`` pairs;
- ``cyclegan_painter`` :class:`gancourse.models.cyclegan.CycleGAN` (both generators), unpaired.
"""

from __future__ import annotations

import copy
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gancourse import runtime, zoo
from gancourse.zoo_train import Recipe

# sha256 of the shipped files (pinned here, see gancourse/zoo.py); "pending" until trained.
SHA256 = {
    "adain_decoder": "97c2d346a22e7ae3548d2231bf62787d4d9b2a023e8281b056dbfaf035647601",
    "faces_stylegan": "8e50e22c3b1a7fc8d356ef076f929509d97d575ec87bca4b61e9a6e48d5e6f34",
    "pix2pix_painter": "38879576f9e2b73553f487b728ea6854c44d81d9cf17ac080f794a5b0cfe0c30",
    "cyclegan_painter": "b0b21dba1f7864bd5291a866269850cf03fe208b32c499e5fa61d78f2be044f1",
}

ENTRIES = {
    "adain_decoder": zoo.ZooEntry(
        name="adain_decoder", architecture="gancourse.models.adain:AdaINStylizer",
        config={"width": 32, "seed": 0}, sha256=SHA256["adain_decoder"],
        summary="AdaIN stylizer: fixed random multi-scale encoder (no download) + decoder trained by the project",
        kind="stylizer"),
    "faces_stylegan": zoo.ZooEntry(
        name="faces_stylegan", architecture="gancourse.models.stylegan:StyleGenerator",
        config={"z_dim": 64, "w_dim": 64, "image_size": 32, "channels": [64, 64, 32, 32],
                "mapping_depth": 4, "noise": True},
        sha256=SHA256["faces_stylegan"],
        summary="style-based generator (mapping net, modulated convs, style mixing) on 32x32 synthetic faces",
        kind="style_generator"),
    "pix2pix_painter": zoo.ZooEntry(
        name="pix2pix_painter", architecture="gancourse.models.pix2pix:UNetGenerator",
        config={"width": 32, "depth": 4}, sha256=SHA256["pix2pix_painter"],
        summary="pix2pix U-Net: photo -> 'brush' painting (paired, adversarial + L1) on 64x64 crops",
        kind="translator"),
    "cyclegan_painter": zoo.ZooEntry(
        name="cyclegan_painter", architecture="gancourse.models.cyclegan:CycleGAN",
        config={"width": 32, "depth": 3}, sha256=SHA256["cyclegan_painter"],
        summary="CycleGAN photo <-> 'brush' painting (unpaired, cycle + identity losses) on 64x64 crops",
        kind="translator"),
}


def register_all() -> None:
    for e in ENTRIES.values():
        zoo.register(e)


register_all()


INIT_ENV = "GANCOURSE_ZOO_INIT"


def _warm_start(model: nn.Module, log) -> str | None:
    """Start from the weights in ``$GANCOURSE_ZOO_INIT`` (a safetensors file of the same architecture), if set.

    Used to continue a run that stopped at its time budget; the card's notes record it.
    """
    import os

    path = os.environ.get(INIT_ENV)
    if not path:
        return None
    from safetensors.torch import load_file

    state = model.state_dict()
    model.load_state_dict({k: v.to(state[k].dtype) for k, v in load_file(path).items()})
    log(f"warm start from {path}")
    return Path(path).name


def _log(message: str) -> None:
    print(time.strftime("%H:%M:%S"), message, flush=True)


# --------------------------------------------------------------------------------------------------
# faces_stylegan


SNAPSHOT_EVERY = 500  # steps between checks of the EMA generator's mixing rate (second half of a run)


def _selection_rate(G: nn.Module, classifier: nn.Module) -> float:
    """Best mixing rate over crossovers on the selection pairs (seed 1)."""
    from gancourse import style_mixing

    return max(style_mixing.selection_rates(G.eval(), classifier).values())


def train_faces_stylegan(entry, steps, batch_size, seed, device, log, max_seconds=None):
    """Non-saturating GAN loss, lazy R1 (gamma 1, every 8 D steps), Adam(2e-3, (0, 0.99)), mapping
    lr x0.1, style mixing regularisation (90% of batches mix two w at a random crossover), EMA of G.

    **Snapshot selection.** Every ``SNAPSHOT_EVERY`` steps of the second half the EMA generator's
    mixing rate is measured on the *selection* pairs (seed 1); the best snapshot is kept and the card
    lists every check. The card reports the chosen one on fresh pairs (seed 2024), so the choice does
    not flatter the figure. Measured on the 2-core CPU: within a run the rate barely moves after
    half-way (seed 5, 14,000 steps: 0.26-0.32), while runs differ a lot (0.24 to 0.71), so this
    records the trajectory more than it rescues a run.
    """
    from gancourse.models.stylegan import StyleDiscriminator, StyleGenerator
    from gancourse.train import EMA
    from gancourse.zoo_train import face_set, from_uint8

    runtime.seed_everything(seed)
    G: StyleGenerator = entry.build().to(device)
    try:
        classifier = zoo.load("face_classifier", device="cpu").eval()
    except zoo.ZooError as error:
        classifier = None
        log(f"no face_classifier ({type(error).__name__}): no snapshot selection, the last EMA is kept")
    size = G.image_size
    D = StyleDiscriminator(image_size=size, width=16).to(device)
    n_train = min(20000, max(256, steps * batch_size))
    log(f"rendering {n_train} training faces at {size} px")
    images, _ = face_set(n_train, size, seed=seed)
    lr = 2e-3
    opt_g = torch.optim.Adam([{"params": G.mapping.parameters(), "lr": lr * 0.1},
                              {"params": [p for n, p in G.named_parameters() if not n.startswith("mapping.")]}],
                             lr=lr, betas=(0.0, 0.99))
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.0, 0.99))
    ema = EMA(G, 0.995)
    gen = torch.Generator().manual_seed(seed + 1)
    r1_every, gamma = 8, 1.0

    def fake_batch(n):
        z1 = torch.randn(n, G.z_dim, generator=gen).to(device)
        w1 = G.mapping(z1)
        ws = G.broadcast(w1)
        if torch.rand(1, generator=gen).item() < 0.9:
            z2 = torch.randn(n, G.z_dim, generator=gen).to(device)
            cross = int(torch.randint(1, G.num_layers, (1,), generator=gen))
            ws = torch.cat([ws[:, :cross], G.broadcast(G.mapping(z2))[:, cross:]], 1)
        return G.synthesis(ws)

    start, done = time.perf_counter(), 0
    first_check = steps // 2
    checked: list[tuple[int, float]] = []  # (step, selection rate)
    best: tuple[float, int, dict] | None = None

    def check_snapshot(step_count: int) -> None:
        nonlocal best
        snapshot = copy.deepcopy(ema.model).cpu()
        rate = _selection_rate(snapshot, classifier)
        checked.append((step_count, rate))
        log(f"step {step_count}: mixing rate on the selection pairs {rate:.3f}")
        if best is None or rate > best[0]:
            best = (rate, step_count, snapshot.state_dict())

    G.train()
    D.train()
    for step in range(steps):
        idx = torch.randint(n_train, (batch_size,), generator=gen)
        real = from_uint8(images[idx]).to(device)
        # D step
        with torch.no_grad():
            fake = fake_batch(batch_size)
        d_loss = F.softplus(D(fake)).mean() + F.softplus(-D(real)).mean()
        if step % r1_every == 0:
            real.requires_grad_(True)
            out = D(real)
            (grad,) = torch.autograd.grad(out.sum(), real, create_graph=True)
            d_loss = d_loss + gamma / 2 * grad.pow(2).sum((1, 2, 3)).mean() * r1_every
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        # G step
        for p in D.parameters():
            p.requires_grad_(False)
        g_loss = F.softplus(-D(fake_batch(batch_size))).mean()
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        for p in D.parameters():
            p.requires_grad_(True)
        ema.beta = min(0.995, (1 + step) / (10 + step))
        ema.update(G)
        done = step + 1
        if not (math.isfinite(d_loss.item()) and math.isfinite(g_loss.item())):
            raise FloatingPointError(f"step {done}: loss is NaN/inf")
        if step % 200 == 0 or done == steps:
            log(f"step {done}/{steps} D {d_loss.item():.3f} G {g_loss.item():.3f} "
                f"({time.perf_counter() - start:.0f} s)")
        out_of_time = max_seconds is not None and time.perf_counter() - start > max_seconds
        if classifier is not None and (done == steps or out_of_time
                                       or (done >= first_check and done % SNAPSHOT_EVERY == 0)):
            check_snapshot(done)
        if out_of_time:
            log(f"time budget reached after {done} steps")
            break
    if best is not None:
        ema.model.load_state_dict(best[2])
        log(f"kept the snapshot of step {best[1]} (selection rate {best[0]:.3f})")
    G_ema = ema.model.eval()
    G_ema.update_w_avg()
    return G_ema, {"steps_done": done, "train_seconds": round(time.perf_counter() - start, 1),
                   "train_images": n_train, "discriminator": D.config,
                   "loss": "non-saturating logistic + lazy R1 (gamma 1, every 8 steps)",
                   "optimizer": "Adam lr 2e-3 betas (0, 0.99); mapping network lr x0.1", "ema_beta": 0.995,
                   "mixing_regularisation": 0.9,
                   "snapshot_selection": None if best is None else {
                       "every_steps": SNAPSHOT_EVERY, "from_step": first_check,
                       "selection_pairs": "seed 1, 250 pairs per crossover (card reports seed 2024)",
                       "chosen_step": best[1], "checked": [[k, r] for k, r in checked]}}


# --------------------------------------------------------------------------------------------------
# image pools and crops (adain, pix2pix, cyclegan)


def photo_pool(size: int = 256) -> torch.Tensor:
    """The course's colour photos (N, 3, size, size) in [-1, 1], resized and centre-cropped."""
    from gancourse.data import images

    return images.photo_batch(size=size)


def style_pool(size: int = 256, seeds=(0, 1, 2, 3)) -> torch.Tensor:
    """Every procedural painting style at several seeds, plus the scikit-image textures: (N, 3, size, size)."""
    from gancourse.data import images, styles

    pool = [styles.style_image(name, size, seed) for name in styles.STYLE_NAMES for seed in seeds]
    pool += [images.load(name, size=size) for name in images.TEXTURES]
    return torch.stack(pool)


def random_crops(pool: torch.Tensor, n: int, crop: int, generator: torch.Generator, flip: bool = True) -> torch.Tensor:
    """``n`` random ``crop`` x ``crop`` crops (with random horizontal flips) of images in ``pool``."""
    size = pool.shape[-1]
    idx = torch.randint(len(pool), (n,), generator=generator)
    ys = torch.randint(size - crop + 1, (n,), generator=generator)
    xs = torch.randint(size - crop + 1, (n,), generator=generator)
    out = torch.stack([pool[i, :, y:y + crop, x:x + crop] for i, y, x in zip(idx.tolist(), ys.tolist(), xs.tolist())])
    if flip:
        mask = torch.rand(n, generator=generator) < 0.5
        out[mask] = out[mask].flip(-1)
    return out


# --------------------------------------------------------------------------------------------------
# adain_decoder


STYLE_WEIGHT = 5.0


def train_adain(entry, steps, batch_size, seed, device, log, max_seconds=None):
    """Decoder only (the encoder is fixed): content + 2 x style + 1 x reconstruction loss, Adam 1e-3 cosine."""
    from gancourse.data import faces
    from gancourse.zoo_train import cosine_lr

    runtime.seed_everything(seed)
    model = entry.build().to(device)
    warm = _warm_start(model, log)
    photos = torch.cat([photo_pool(256), photo_pool(128).repeat(1, 1, 2, 2)[:, :, :256, :256]])
    face_imgs, _ = faces.face_batch(16, 128, seed=seed)
    face_imgs = F.interpolate(face_imgs, size=256, mode="bilinear", align_corners=False)
    contents = torch.cat([photos, face_imgs])
    style_images = style_pool(256)
    log(f"{len(contents)} content images, {len(style_images)} style images")
    opt = torch.optim.Adam(model.decoder.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed + 1)
    crop = 64
    start, done, terms = time.perf_counter(), 0, {}
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = 1e-3 * cosine_lr(step, steps)
        c = random_crops(contents, batch_size, crop, gen).to(device)
        s = random_crops(style_images, batch_size, crop, gen).to(device)
        loss, terms = model.losses(c, s, style_weight=STYLE_WEIGHT)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        done = step + 1
        if step % 200 == 0 or done == steps:
            log(f"step {done}/{steps} loss {loss.item():.4f} {terms} ({time.perf_counter() - start:.0f} s)")
        if max_seconds is not None and time.perf_counter() - start > max_seconds:
            log(f"time budget reached after {done} steps")
            break
    return model.eval(), {"steps_done": done, "train_seconds": round(time.perf_counter() - start, 1),
                          "crop": crop, "final_terms": terms, "encoder": "fixed random (He init, seed in config)",
                          "warm_start": warm,
                          "loss": f"content MSE + {STYLE_WEIGHT} x mean/std style loss (3 levels) + 1 x L1 reconstruction",
                          "optimizer": "Adam lr 1e-3, cosine decay, decoder only"}


# --------------------------------------------------------------------------------------------------
# pix2pix_painter, cyclegan_painter

PAINT_STYLE = "brush"


def painting_pairs(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(photos, paintings) (N, 3, 256, 256): course photos + synthetic faces, and paint_filter of each."""
    from gancourse.data import faces, styles

    face_imgs, _ = faces.face_batch(8, 256, seed=seed)
    photos = torch.cat([photo_pool(256), face_imgs])
    paintings = torch.cat([styles.paint_filter(photos[i:i + 4], PAINT_STYLE, seed=seed + i)
                           for i in range(0, len(photos), 4)])
    return photos, paintings


def paired_crops(x: torch.Tensor, y: torch.Tensor, n: int, crop: int, generator: torch.Generator):
    """The same random crop (and flip) of ``x`` and ``y``: (n, 3, crop, crop) twice."""
    both = random_crops(torch.cat([x, y], 1), n, crop, generator)
    return both[:, :3], both[:, 3:]


def _translation_loop(step_fn, steps, log, max_seconds):
    start, done, out = time.perf_counter(), 0, {}
    for step in range(steps):
        out = step_fn(step)
        done = step + 1
        if step % 100 == 0 or done == steps:
            terms = " ".join(f"{k} {v:.3f}" for k, v in out.items())
            log(f"step {done}/{steps} {terms} ({time.perf_counter() - start:.0f} s)")
        if max_seconds is not None and time.perf_counter() - start > max_seconds:
            log(f"time budget reached after {done} steps")
            break
    return done, time.perf_counter() - start, out


def train_pix2pix(entry, steps, batch_size, seed, device, log, max_seconds=None):
    """pix2pix: BCE PatchGAN + 100 x L1, Adam 2e-4 (0.5, 0.999), 64x64 paired crops."""
    from gancourse.models import pix2pix

    runtime.seed_everything(seed)
    G = entry.build().to(device)
    warm = _warm_start(G, log)
    D = pix2pix.PatchDiscriminator(32).to(device)
    photos, paintings = painting_pairs(seed)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    gen = torch.Generator().manual_seed(seed + 1)

    def step_fn(step):
        x, y = paired_crops(photos, paintings, batch_size, 64, gen)
        return pix2pix.train_step(G, D, opt_g, opt_d, x.to(device), y.to(device), 100.0)

    done, seconds, last = _translation_loop(step_fn, steps, log, max_seconds)
    return G.eval(), {"steps_done": done, "train_seconds": round(seconds, 1), "discriminator": D.config,
                      "loss": "BCE PatchGAN + 100 x L1", "final_terms": last, "style": PAINT_STYLE,
                      "optimizer": "Adam lr 2e-4 betas (0.5, 0.999)", "train_pairs": len(photos),
                      "warm_start": warm}


def train_cyclegan(entry, steps, batch_size, seed, device, log, max_seconds=None):
    """CycleGAN: LSGAN + 10 x cycle + 5 x identity, Adam 2e-4 (0.5, 0.999), unpaired 64x64 crops.

    The photos and the paintings come from *disjoint* halves of the image pool, so no pair exists.
    """
    from gancourse.models import cyclegan

    runtime.seed_everything(seed)
    model = entry.build().to(device)
    warm = _warm_start(model, log)
    D_a, D_b = (d.to(device) for d in cyclegan.make_discriminators(32))
    photos, paintings = painting_pairs(seed)
    order = torch.randperm(len(photos), generator=torch.Generator().manual_seed(seed))
    half = len(photos) // 2
    domain_a, domain_b = photos[order[:half]], paintings[order[half:]]
    opt_g = torch.optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(list(D_a.parameters()) + list(D_b.parameters()), lr=2e-4, betas=(0.5, 0.999))
    gen = torch.Generator().manual_seed(seed + 1)

    def step_fn(step):
        a = random_crops(domain_a, batch_size, 64, gen).to(device)
        b = random_crops(domain_b, batch_size, 64, gen).to(device)
        return cyclegan.train_step(model, D_a, D_b, opt_g, opt_d, a, b)

    done, seconds, last = _translation_loop(step_fn, steps, log, max_seconds)
    return model.eval(), {"steps_done": done, "train_seconds": round(seconds, 1), "style": PAINT_STYLE,
                          "loss": "LSGAN + 10 x cycle L1 + 5 x identity L1", "final_terms": last,
                          "optimizer": "Adam lr 2e-4 betas (0.5, 0.999)",
                          "unpaired": f"{half} photos vs {len(photos) - half} paintings of other images",
                          "warm_start": warm}


# --------------------------------------------------------------------------------------------------
# the recipes and their measures (the driver is gancourse.zoo_train.train)


FACES32 = "synthetic faces (gancourse.data.faces) rendered at 32x32, attributes from sample_attributes(seed)"
PAINT_DATA = ("64x64 random crops of the course photos (scikit-image, scikit-learn, matplotlib) and synthetic "
              "faces; targets gancourse.data.styles.paint_filter(x, 'brush')")
RECIPES: dict[str, Recipe] = {
    "pix2pix_painter": Recipe(train_pix2pix, steps=2000, batch_size=8, eval_samples=0, seed=7, data=PAINT_DATA),
    "cyclegan_painter": Recipe(train_cyclegan, steps=2000, batch_size=4, eval_samples=0, seed=8, data=PAINT_DATA),
    "adain_decoder": Recipe(train_adain, steps=4000, batch_size=8, eval_samples=0, seed=6,
                            data="64x64 random crops: course photos and faces (content); procedural styles "
                                 "and scikit-image textures (style)"),
    "faces_stylegan": Recipe(train_faces_stylegan, steps=5000, batch_size=12, eval_samples=500, seed=5,
                             data=FACES32),
}


def evaluate(name: str, model: nn.Module, n: int) -> dict:
    """Card metrics of the style models."""
    model = model.cpu().eval()
    if name == "faces_stylegan":
        from gancourse import style_mixing

        try:
            classifier = zoo.load("face_classifier", device="cpu")
        except zoo.ZooError as error:
            return {"note": f"no face_classifier to measure with ({type(error).__name__})"}
        return style_mixing.mixing_report(model, classifier, n=n)
    if name in EVALUATORS:
        return EVALUATORS[name](model, n)
    return {}


@torch.no_grad()
def evaluate_adain(model: nn.Module, n: int = 0) -> dict:
    """The alpha sweep on Grace Hopper (128 px) for every style: are the curves monotonic?"""
    from gancourse import style
    from gancourse.data import images, styles
    from gancourse.style_transfer import prepare_photo

    content = prepare_photo(images.grace_hopper(), size=128)
    alphas = torch.linspace(0, 1, 11).tolist()
    report = {}
    for name in styles.STYLE_NAMES:
        r = style.alpha_sweep(model, content, styles.style_image(name, 256), alphas)
        report[f"{name}_style_falls"] = style.is_monotonic(r["style"], increasing=False)
        report[f"{name}_content_rises"] = style.is_monotonic(r["content"])
        report[f"{name}_structure_rises"] = style.is_monotonic(r["structure"])
        report[f"{name}_style_distance_alpha0_alpha1"] = [round(r["style"][0], 5), round(r["style"][-1], 5)]
    recon = model.decode(model.encode(content)[-1])
    report["reconstruction_l1_alpha0"] = round(float((recon - content[None]).abs().mean()), 4)
    return report


@torch.no_grad()
def evaluate_painter(model: nn.Module, n: int = 0) -> dict:
    """L1 to the real paint_filter on held-out photos (chelsea, coffee at 128 px), with baselines."""
    from gancourse.data import images, styles

    test = torch.stack([images.load(name, size=128) for name in ("chelsea", "coffee")])
    truth = styles.paint_filter(test, PAINT_STYLE, seed=1)
    blurred = F.avg_pool2d(F.pad(test, (2, 2, 2, 2), mode="replicate"), 5, stride=1)
    return {"l1_to_filter": round(float((model(test) - truth).abs().mean()), 4),
            "l1_photo_baseline": round(float((test - truth).abs().mean()), 4),
            "l1_blurred_photo_baseline": round(float((blurred - truth).abs().mean()), 4),
            "held_out": "chelsea, coffee at 128 px (not in the training pool's crops of these sizes)"}


EVALUATORS: dict = {"adain_decoder": evaluate_adain, "pix2pix_painter": evaluate_painter,
                    "cyclegan_painter": evaluate_painter}


def measure(name: str, folder) -> dict:
    """Re-measure a trained file in ``folder`` and write the metrics into its card (e.g. once the
    face classifier exists)."""
    from gancourse.zoo_train import _reload

    entry = zoo.entry(name)
    folder = Path(folder)
    model = _reload(entry, folder / entry.filename)
    metrics = evaluate(name, model, RECIPES[name].eval_samples or 500)
    card = zoo.card(name, folder)
    card["metrics"] = metrics
    zoo.write_card(folder / entry.card_filename, card)
    return metrics


def _measure(entry: zoo.ZooEntry, model: nn.Module, reloaded: nn.Module, eval_samples: int, out) -> dict:
    return evaluate(entry.name, reloaded, eval_samples)


def train(name: str, steps: int | None = None, out=None, batch_size: int | None = None,
          eval_samples: int | None = None, seed: int | None = None, device=None, threads: int | None = None,
          max_minutes: float | None = None, log=_log) -> dict:
    """Train style model ``name``, measure it, write ``NAME.safetensors`` and its card ``NAME.json``
    (the steps of :func:`gancourse.zoo_train.train`, with this module's recipes and measures)."""
    from gancourse import zoo_train

    return zoo_train.train(name, steps, out, batch_size, eval_samples, seed, device, threads, max_minutes, log,
                           recipes=RECIPES, measure=_measure, module="gancourse.zoo_style")


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m gancourse.zoo_style")
    commands = parser.add_subparsers(dest="command", required=True)
    m = commands.add_parser("measure", help="re-measure a trained file and update its card")
    m.add_argument("name")
    m.add_argument("--dir", default=str(zoo.WEIGHTS_DIR))
    t = commands.add_parser("train")
    t.add_argument("name")
    t.add_argument("--steps", type=int)
    t.add_argument("--out")
    t.add_argument("--batch-size", type=int)
    t.add_argument("--eval-samples", type=int)
    t.add_argument("--seed", type=int)
    t.add_argument("--device")
    t.add_argument("--threads", type=int)
    t.add_argument("--max-minutes", type=float)
    args = parser.parse_args(argv)
    if args.command == "measure":
        print(measure(args.name, args.dir))
        return 0
    result = train(args.name, steps=args.steps, out=args.out, batch_size=args.batch_size,
                   eval_samples=args.eval_samples, seed=args.seed, device=args.device, threads=args.threads,
                   max_minutes=args.max_minutes)
    print(f"wrote {result['path']} ({result['size_bytes'] / 1e6:.2f} MB), sha256 {result['sha256']}")
    print("metrics:", result["metrics"])
    return 0


if __name__ == "__main__":
    from gancourse.zoo_style import main as _main

    raise SystemExit(_main())
