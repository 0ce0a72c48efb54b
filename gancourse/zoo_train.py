"""Training recipes of the reference model zoo: ``python -m gancourse.zoo train NAME``.

Each recipe builds the architecture the registry describes (``zoo.entry(NAME).build()``), trains it
on data the course generates itself, measures it (:mod:`gancourse.zoo_eval`) and writes
``NAME.safetensors`` plus its model card ``NAME.json`` into ``--out`` (default: the package's
``zoo_weights`` folder). Everything a recipe needs (steps, batch size, seed, number of evaluation
images) has a full-size default and can be made tiny for tests::

    python -m gancourse.zoo train faces_dcgan64 --steps 2 --batch-size 4 --eval-samples 32 --out /tmp/z

Full-size runs are sized for a 2-core CPU (< 90 minutes each); a GPU is used when present.
"""

from __future__ import annotations

import math
import os
import platform
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gancourse import runtime, zoo


@dataclass(frozen=True)
class Recipe:
    """Full-size defaults of one training recipe and a one-line description of its data."""

    fn: object  # fn(entry, steps, batch_size, seed, device, log, max_seconds) -> (model, notes)
    steps: int
    batch_size: int
    eval_samples: int
    seed: int
    data: str
    half: bool = True  # store float16 weights


# Set by SIGUSR1 (``kill -USR1 PID``): the running recipe stops after its current step and the
# checkpoint and card are still written, recording the steps actually done.
STOP = threading.Event()


def _stop_requested(start: float, max_seconds: float | None) -> bool:
    return STOP.is_set() or (max_seconds is not None and time.perf_counter() - start > max_seconds)


def _log(message: str) -> None:
    print(time.strftime("%H:%M:%S"), message, flush=True)


# --------------------------------------------------------------------------------------------------
# data, made by the course's own code


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] floats -> uint8 (4x less memory for a training set held in RAM)."""
    return ((images + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)


def from_uint8(images: torch.Tensor) -> torch.Tensor:
    """uint8 -> float32 in [-1, 1]."""
    return images.float().div_(127.5).sub_(1)


def face_set(n: int, size: int = 64, seed: int = 0, chunk: int = 512) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` synthetic faces as uint8 (n, 3, size, size) and their attributes (n, A), from ``seed``."""
    from gancourse.data import faces

    attributes = faces.sample_attributes(n, seed)
    images = torch.empty(n, 3, size, size, dtype=torch.uint8)
    for start in range(0, n, chunk):
        images[start:start + chunk] = to_uint8(faces.render_faces(attributes[start:start + chunk], size=size))
    return images, attributes


def digits_set(size: int = 32) -> torch.Tensor:
    """scikit-learn's 1797 handwritten 8x8 digits, upsampled (bilinear) to (1797, 1, size, size) in [-1, 1]."""
    from sklearn.datasets import load_digits

    pixels = torch.tensor(load_digits().images, dtype=torch.float32) / 16.0  # (1797, 8, 8) in [0, 1]
    images = F.interpolate(pixels[:, None], size=size, mode="bilinear", align_corners=False)
    return (images * 2 - 1).clamp(-1, 1)  # (1797, 1, size, size)


def _batch_source(images_u8: torch.Tensor, *others: torch.Tensor, seed: int):
    """A callable ``source(batch_size)`` drawing random rows (images as float in [-1, 1], + the others)."""
    generator = torch.Generator().manual_seed(seed)

    def source(batch_size: int):
        index = torch.randint(images_u8.shape[0], (batch_size,), generator=generator)
        return (from_uint8(images_u8[index]), *(o[index] for o in others))

    return source


# --------------------------------------------------------------------------------------------------
# shared training pieces


def cosine_lr(step: int, steps: int, warmup: int = 50) -> float:
    """Learning-rate factor: linear warm-up, then cosine decay to 5%: 0.05 + 0.95 (1 + cos(pi t)) / 2."""
    if step < warmup:
        return (step + 1) / warmup
    t = (step - warmup) / max(1, steps - warmup)
    return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, t)))


@torch.no_grad()
def recalibrate_batchnorm(G: nn.Module, sample_inputs, batches: int = 32) -> None:
    """Recompute G's BatchNorm running statistics for its *current* weights.

    An EMA generator averages weights but its BatchNorm statistics were copied from the live G, so
    they do not quite match. Running fresh batches in train mode with ``momentum=None`` (a plain
    cumulative average) gives eval-mode statistics that fit the averaged weights.
    """
    norms = [m for m in G.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    G.train()
    for _ in range(batches):
        G(*sample_inputs())
    for m, momentum in zip(norms, saved):
        m.momentum = momentum
    G.eval()


# --------------------------------------------------------------------------------------------------
# recipes


def train_face_classifier(entry, steps, batch_size, seed, device, log, max_seconds=None):
    """Supervised: MSE per continuous attribute + cross-entropy per categorical one, AdamW, cosine LR.

    Light augmentation (Gaussian pixel noise of random strength, random blur) makes the classifier
    robust to the small artefacts of generated images, which it must judge as well.
    """
    from gancourse.models.classifier import AttributeClassifier

    model: AttributeClassifier = entry.build().to(device)
    size = model.image_size
    n_train = min(16000, max(64, steps * batch_size))
    log(f"rendering {n_train} training faces at {size} px")
    images, attributes = face_set(n_train, size, seed=seed)
    source = _batch_source(images, attributes, seed=seed + 1)
    noise_gen = torch.Generator().manual_seed(seed + 2)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    model.train()
    start, done = time.perf_counter(), 0
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = 2e-3 * cosine_lr(step, steps)
        x, a = source(batch_size)
        strength = torch.rand(x.shape[0], 1, 1, 1, generator=noise_gen) * 0.08
        x = x + strength * torch.randn(x.shape, generator=noise_gen)
        if step % 2:  # blur half of the batches a little
            x = F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, stride=1) * 0.5 + x * 0.5
        loss, terms = model.loss(x.to(device), a.to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        done = step + 1
        if step % 100 == 0 or step == steps - 1:
            log(f"step {step + 1}/{steps} loss {loss.item():.4f}")
        if _stop_requested(start, max_seconds):
            log(f"stopping after {done} steps (time budget or SIGUSR1)")
            break
    return model.eval(), {"steps_done": done, "train_images": n_train, "optimizer": "AdamW lr 2e-3 cosine, wd 1e-4",
                          "augmentation": "pixel noise sigma<=0.08, 3x3 blur on half the batches"}


class _WithLabels(nn.Module):
    """``D(x, labels)`` seen as ``D(x)``: the labels of the current batch are set before each step.

    This lets the conditional recipe reuse :func:`gancourse.train.d_step` / ``g_step`` unchanged.
    """

    def __init__(self, D: nn.Module):
        super().__init__()
        self.D = D
        self.labels = None

    def forward(self, x):
        return self.D(x, self.labels)


def gan_loop(G, D, sample_real, steps, *, loss, lr, betas, ema_beta, seed, device, log,
             max_seconds=None, conditional=False):
    """The alternating game with gancourse.train's ``d_step`` / ``g_step`` and an :class:`EMA` of G.

    The EMA's β warms up as ``min(β, (1 + t) / (10 + t))`` so the random initial weights are
    forgotten within the first few hundred steps.

    ``sample_real()`` returns a real batch (and, when ``conditional``, its labels; the fakes of a
    step use the same labels). Stops after ``steps`` steps or ``max_seconds``, whichever is first.
    Returns ``(G_ema, steps_done, seconds)``.
    """
    from gancourse.train import EMA, d_step, g_step

    G.to(device).train()
    D.to(device).train()
    D_step = _WithLabels(D) if conditional else D
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
    ema = EMA(G, ema_beta)
    generator = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    done = 0
    for step in range(steps):
        batch = sample_real()
        real = batch[0].to(device)
        z = torch.randn(real.shape[0], G.z_dim, generator=generator).to(device)
        if conditional:
            labels = batch[1].to(device)
            D_step.labels = labels
            fake = G(z, labels)
        else:
            fake = G(z)
        d_out = d_step(G, D_step, real, None, opt_d, loss, fake=fake)
        g_out = g_step(G, D_step, None, opt_g, loss, fake=fake)
        ema.beta = min(ema_beta, (1 + step) / (10 + step))  # warm-up: forget the random init fast
        ema.update(G)
        done = step + 1
        d_loss, g_loss = d_out["d_loss"].item(), g_out["g_loss"].item()
        if not (math.isfinite(d_loss) and math.isfinite(g_loss)):
            raise FloatingPointError(f"step {done}: a loss became NaN/inf (D {d_loss}, G {g_loss})")
        if step % 200 == 0 or done == steps:
            log(f"step {done}/{steps} D loss {d_loss:.3f} G loss {g_loss:.3f} "
                f"D(x) {d_out['d_real'].item():.2f} D(G(z)) {d_out['d_fake'].item():.2f}")
        if _stop_requested(start, max_seconds):
            log(f"stopping after {done} steps (time budget or SIGUSR1)")
            break
    return ema.model, done, time.perf_counter() - start


def _train_unconditional(entry, steps, batch_size, seed, device, log, images, max_seconds, d_width,
                         sn_hinge=False):
    """DCGAN: non-saturating BCE loss, Adam(2e-4, (0.5, 0.999)), EMA of G, BatchNorm recalibrated.

    D is narrower than G (``d_width``): on a CPU, D's three passes per step cost more than G's one,
    and a narrower D also keeps it from overpowering G early on.
    """
    from gancourse.models.dcgan import Discriminator

    runtime.seed_everything(seed)
    G = entry.build()
    cfg = G.config
    D = Discriminator(image_size=cfg["image_size"], channels=cfg["channels"], width=d_width,
                      spectral_norm=sn_hinge)
    source = _batch_source(images, seed=seed + 1)
    ema_beta = 0.999 if steps >= 2000 else 0.9
    loss, betas = ("hinge", (0.0, 0.99)) if sn_hinge else ("bce", (0.5, 0.999))
    G_ema, done, seconds = gan_loop(G, D, lambda: source(batch_size), steps, loss=loss, lr=2e-4,
                                    betas=betas, ema_beta=ema_beta, seed=seed + 2, device=device,
                                    log=log, max_seconds=max_seconds)
    z_gen = torch.Generator().manual_seed(seed + 3)
    recalibrate_batchnorm(G_ema, lambda: (torch.randn(256, cfg["z_dim"], generator=z_gen).to(device),))
    return G_ema.eval(), {"steps_done": done, "train_seconds": round(seconds, 1), "discriminator": D.config,
                          "loss": f"{loss} (gancourse.losses)", "ema_beta": ema_beta,
                          "optimizer": f"Adam lr 2e-4 betas {betas}, G and D",
                          "batchnorm": "EMA generator's BatchNorm statistics recomputed on 32x256 samples"}


def train_faces_dcgan(entry, steps, batch_size, seed, device, log, max_seconds=None):
    size = entry.config["image_size"]
    n_train = min(24000, max(64, steps * batch_size))
    log(f"rendering {n_train} training faces at {size} px")
    images, _ = face_set(n_train, size, seed=seed)
    model, notes = _train_unconditional(entry, steps, batch_size, seed, device, log, images, max_seconds,
                                        d_width=16, sn_hinge=True)  # BCE + BatchNorm D collapsed early
    return model, {**notes, "train_images": n_train}


def train_digits_dcgan(entry, steps, batch_size, seed, device, log, max_seconds=None):
    images = to_uint8(digits_set(entry.config["image_size"]))
    model, notes = _train_unconditional(entry, steps, batch_size, seed, device, log, images, max_seconds,
                                        d_width=32)
    return model, {**notes, "train_images": images.shape[0]}


def train_faces_cgan(entry, steps, batch_size, seed, device, log, max_seconds=None):
    """Conditional DCGAN with a projection discriminator (Miyato & Koyama, 2018), hinge loss, EMA."""
    from gancourse.models.conditional import ConditionalGenerator, ProjectionDiscriminator

    runtime.seed_everything(seed)
    G: ConditionalGenerator = entry.build()
    cfg = G.config
    D = ProjectionDiscriminator(image_size=cfg["image_size"], channels=cfg["channels"], width=16,
                                classes=cfg["classes"])  # narrower than G: cheaper on a CPU
    size = cfg["image_size"]
    n_train = min(24000, max(64, steps * batch_size))
    log(f"rendering {n_train} training faces at {size} px")
    images, attributes = face_set(n_train, size, seed=seed)
    labels = G.labels_from_attributes(attributes)  # (n, m) long
    source = _batch_source(images, labels, seed=seed + 1)
    ema_beta = 0.999 if steps >= 2000 else 0.9
    G_ema, done, seconds = gan_loop(G, D, lambda: source(batch_size), steps, loss="hinge", lr=2e-4,
                                    betas=(0.0, 0.99), ema_beta=ema_beta, seed=seed + 2, device=device,
                                    log=log, max_seconds=max_seconds, conditional=True)
    z_gen = torch.Generator().manual_seed(seed + 3)
    recalibrate_batchnorm(G_ema, lambda: (torch.randn(256, cfg["z_dim"], generator=z_gen).to(device),
                                          G_ema.random_labels(256, generator=z_gen).to(device)))
    return G_ema.eval(), {"steps_done": done, "train_seconds": round(seconds, 1), "discriminator": D.config,
                          "loss": "hinge (gancourse.losses)", "ema_beta": ema_beta,
                          "optimizer": "Adam lr 2e-4 betas (0.0, 0.99), G and D", "train_images": n_train,
                          "fake labels": "the real batch's labels",
                          "batchnorm": "EMA generator's BatchNorm statistics recomputed on 32x256 samples"}


FACES_DATA = "synthetic faces (gancourse.data.faces), 64x64, attributes from sample_attributes(seed)"
RECIPES: dict[str, Recipe] = {
    "face_classifier": Recipe(train_face_classifier, steps=2500, batch_size=64, eval_samples=4000, seed=1,
                              data=FACES_DATA + "; held-out evaluation faces drawn with seed 12345"),
    "faces_dcgan64": Recipe(train_faces_dcgan, steps=6000, batch_size=64, eval_samples=2000, seed=2,
                            data=FACES_DATA),
    "faces_cgan64": Recipe(train_faces_cgan, steps=6000, batch_size=64, eval_samples=2000, seed=3,
                           data=FACES_DATA + "; conditioned on the categorical attributes"),
    "digits_dcgan": Recipe(train_digits_dcgan, steps=3000, batch_size=64, eval_samples=1797, seed=4,
                           data="scikit-learn load_digits (1797 8x8 digits), bilinear upsampling to 32x32"),
}


# --------------------------------------------------------------------------------------------------
# the command


def machine_description(device: torch.device) -> dict:
    """Where a model was trained: CPU model and cores, GPU name, PyTorch version and threads."""
    info = {"device": str(device), "cpu": runtime.cpu_name(), "cpu_cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__, "python": platform.python_version(), "os": platform.platform()}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def _command(name: str, steps: int, recipe: Recipe, batch_size: int, eval_samples: int, seed: int,
             max_minutes: float | None, module: str = "gancourse.zoo") -> str:
    parts = [f"python -m {module} train", name, f"--steps {steps}"]
    if max_minutes is not None:
        parts.append(f"--max-minutes {max_minutes:g}")
    if batch_size != recipe.batch_size:
        parts.append(f"--batch-size {batch_size}")
    if eval_samples != recipe.eval_samples:
        parts.append(f"--eval-samples {eval_samples}")
    if seed != recipe.seed:
        parts.append(f"--seed {seed}")
    return " ".join(parts)


def _measure(entry: zoo.ZooEntry, model: nn.Module, reloaded: nn.Module, eval_samples: int, out: Path) -> dict:
    """The metrics of this module's recipes (gancourse.zoo_eval) plus the float16 storage error."""
    from gancourse import zoo_eval

    metrics = zoo_eval.evaluate(entry.name, reloaded, eval_samples, out=out)
    metrics["float16_max_abs_diff"] = zoo_eval.half_precision_error(entry, model, reloaded)
    return metrics


def train(name: str, steps: int | None = None, out: str | Path | None = None, batch_size: int | None = None,
          eval_samples: int | None = None, seed: int | None = None, device=None, threads: int | None = None,
          max_minutes: float | None = None, log=_log, *, recipes: dict | None = None, measure=_measure,
          module: str = "gancourse.zoo") -> dict:
    """Train the zoo model ``name``, measure it, write ``NAME.safetensors`` and ``NAME.json`` into ``out``.

    ``max_minutes`` caps the training time: the run stops after ``steps`` or that many minutes,
    whichever comes first, and the card records the steps actually done. ``recipes``,
    ``measure(entry, model, reloaded, eval_samples, out) -> metrics`` and ``module`` (the command
    the card names) let :mod:`gancourse.zoo_style` drive its own recipes through the same steps.
    """
    recipes = RECIPES if recipes is None else recipes
    entry = zoo.entry(name)
    if name not in recipes:
        raise zoo.ZooError(f"{name!r} is registered but has no training recipe in {module}; "
                           f"recipes: {', '.join(recipes)}")
    recipe = recipes[name]
    steps = recipe.steps if steps is None else steps
    batch_size = recipe.batch_size if batch_size is None else batch_size
    eval_samples = recipe.eval_samples if eval_samples is None else eval_samples
    seed = recipe.seed if seed is None else seed
    for label, value, least in (("steps", steps, 1), ("batch size", batch_size, 1), ("eval samples", eval_samples, 0)):
        if not isinstance(value, int) or value < least:
            raise ValueError(f"{label} must be an int >= {least}, got {value!r}")
    if threads is not None:
        runtime.set_threads(threads)
    device = runtime.get_device(device)
    out = zoo.WEIGHTS_DIR if out is None else Path(out)
    out.mkdir(parents=True, exist_ok=True)

    log(f"training {name} for {steps} steps, batch {batch_size}, seed {seed}, on {device}")
    start = time.perf_counter()
    max_seconds = None if max_minutes is None else 60.0 * max_minutes
    STOP.clear()
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGUSR1"):
        signal.signal(signal.SIGUSR1, lambda *_: STOP.set())
    model, notes = recipe.fn(entry, steps, batch_size, seed, device, log, max_seconds)
    steps_done = notes.pop("steps_done", steps)
    train_seconds = time.perf_counter() - start
    model = model.cpu().eval()

    path = out / entry.filename
    sha = zoo.save_checkpoint(model, path, entry.architecture, half=recipe.half)
    reloaded = _reload(entry, path)
    log(f"measuring {name} on {eval_samples} images")
    metrics = measure(entry, model, reloaded, eval_samples, out)
    wall = time.perf_counter() - start
    card = {
        "name": name,
        "summary": entry.summary,
        "command": _command(name, steps, recipe, batch_size, eval_samples, seed, max_minutes, module),
        "seed": seed,
        "data": recipe.data,
        "steps": steps_done,
        "steps_requested": steps,
        "batch_size": batch_size,
        "eval_samples": eval_samples,
        "wall_time_s": round(wall, 1),
        "train_time_s": round(train_seconds, 1),
        "machine": machine_description(device),
        "trained_on_gpu": device.type == "cuda",
        "metrics": metrics,
        "training": notes,
        "architecture": entry.architecture,
        "config": entry.config,
        "file": entry.filename,
        "dtype": "float16" if recipe.half else "float32",
        "size_bytes": path.stat().st_size,
        "sha256": sha,
        "created_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
    }
    zoo.write_card(out / entry.card_filename, card)
    log(f"done in {wall:.0f} s: {path} sha256 {sha}")
    return {"path": path, "sha256": sha, "size_bytes": card["size_bytes"], "metrics": metrics, "card": card}


def _reload(entry: zoo.ZooEntry, path: Path) -> nn.Module:
    """The saved file read back exactly as ``zoo.load`` would (float16 -> float32), without hash pinning."""
    tensors, metadata = zoo._read_safetensors(path, entry.name)
    model = entry.build()
    zoo.check_architecture(model, tensors, entry.name, path, metadata)
    reference = model.state_dict()
    model.load_state_dict({k: v.to(reference[k].dtype) for k, v in tensors.items()})
    return model.eval().requires_grad_(False)
