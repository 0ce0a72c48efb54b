"""Recipes of the face and digit models: the attribute classifier, two DCGANs, the conditional GAN.

Trained by ``python -m gancourse.zoo train NAME``; the GANs are lessons 04 and 05's models at
full size, trained through :func:`gancourse.train.fit` like the lessons' own runs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gancourse.data import images
from gancourse.data.transforms import to_uint8
from gancourse.models.conditional import ProjectionDiscriminator
from gancourse.models.dcgan import Discriminator
from gancourse.zoo.recipes.common import (
    Recipe,
    Run,
    batch_source,
    face_set,
    recalibrate_batchnorm,
    trained,
)


def train_face_classifier(run: Run):
    """Supervised: MSE per continuous attribute + cross-entropy per categorical one, AdamW,
    cosine learning rate. Light augmentation (Gaussian pixel noise of random strength, a 3x3 blur
    on half the batches) makes it robust to the small artefacts of the generated images it must
    judge as well."""
    s = run.settings
    model = run.entry.build().to(run.device)
    n_train = min(s["max_train_images"], max(64, run.steps * run.batch_size))
    run.log(f"rendering {n_train} training faces at {model.image_size} px")
    faces_u8, attributes = face_set(n_train, model.image_size, seed=run.seed)
    noise = torch.Generator().manual_seed(run.seed + 2)
    opt = torch.optim.AdamW(model.parameters(), lr=s["lr"], weight_decay=s["weight_decay"])

    def loss(state, batch):
        x, a = batch
        x = x + torch.rand(x.shape[0], 1, 1, 1, generator=noise) * s["noise_sigma_max"] * (
            torch.randn(x.shape, generator=noise)
        )
        if state.step % 2:  # blur half of the batches a little
            x = F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, stride=1) * 0.5 + x * 0.5
        return model.loss(x.to(run.device), a.to(run.device))[0]

    state = run.fit_supervised(
        model, batch_source(faces_u8, attributes, seed=run.seed + 1), opt, loss, log_every=100
    )
    return model.eval(), trained(state, train_images=n_train)


def _adversarial(run: Run, G, D, data, labels: bool = False):
    """Train G against D through ``fit`` with the recipe's loss, Adam and EMA (with warm-up), then
    recompute the EMA generator's BatchNorm statistics for its averaged weights."""
    s = run.settings
    state = run.fit(
        G,
        D,
        data,
        labels=labels,
        loss=s["loss"],
        lr_g=s["lr"],
        lr_d=s["lr"],
        betas=tuple(s["betas"]),
        ema=s["ema"],
        ema_warmup=True,
    )
    G_ema, z_dim = state.G_ema, G.config["z_dim"]
    z_gen = torch.Generator().manual_seed(run.seed + 3)

    def inputs():
        z = torch.randn(256, z_dim, generator=z_gen).to(run.device)
        return (z, G_ema.random_labels(256, generator=z_gen).to(run.device)) if labels else (z,)

    recalibrate_batchnorm(G_ema, inputs, s["batchnorm_batches"])
    return G_ema.eval(), state


def _unconditional(run: Run, train_u8: torch.Tensor):
    """DCGAN. D is narrower than G (``d_width``): on a CPU, D's passes per step cost more than
    G's one, and a narrower D also keeps it from overpowering G early on."""
    s, G = run.settings, run.entry.build()
    D = Discriminator(
        image_size=G.config["image_size"],
        channels=G.config["channels"],
        width=s["d_width"],
        spectral_norm=s["spectral_norm"],
    )
    G_ema, state = _adversarial(run, G, D, batch_source(train_u8, seed=run.seed + 1))
    return G_ema, trained(state, discriminator=D.config, train_images=len(train_u8))


def train_faces_dcgan(run: Run):
    n_train = min(run.settings["max_train_images"], max(64, run.steps * run.batch_size))
    size = run.entry.config["image_size"]
    run.log(f"rendering {n_train} training faces at {size} px")
    return _unconditional(run, face_set(n_train, size, seed=run.seed)[0])


def train_digits_dcgan(run: Run):
    digits, _ = images.digits(size=run.entry.config["image_size"])
    return _unconditional(run, to_uint8(digits))


def train_faces_cgan(run: Run):
    """Conditional DCGAN with a projection discriminator (Miyato & Koyama, 2018), hinge loss,
    EMA; the fakes of a step use the real batch's labels."""
    s, G = run.settings, run.entry.build()
    cfg = G.config
    D = ProjectionDiscriminator(
        image_size=cfg["image_size"],
        channels=cfg["channels"],
        width=s["d_width"],
        classes=cfg["classes"],
    )
    n_train = min(s["max_train_images"], max(64, run.steps * run.batch_size))
    run.log(f"rendering {n_train} training faces at {cfg['image_size']} px")
    faces_u8, attributes = face_set(n_train, cfg["image_size"], seed=run.seed)
    labels = G.labels_from_attributes(attributes)  # (n, m) long
    data = batch_source(faces_u8, labels, seed=run.seed + 1)
    G_ema, state = _adversarial(run, G, D, data, labels=True)
    return G_ema, trained(state, discriminator=D.config, train_images=n_train)


FACES = "synthetic faces (gancourse.data.faces), 64x64, attributes from sample_attributes(seed)"
GAN_SETTINGS = {
    "lr": 2e-4,
    "ema": 0.999,
    "ema_warmup": "min(beta, (1 + t) / (10 + t))",
    "batchnorm_batches": 32,
    "max_train_images": 24000,
}
RECIPES = {
    "face_classifier": Recipe(
        train_face_classifier,
        steps=2500,
        batch_size=64,
        eval_samples=4000,
        seed=1,
        data=FACES + "; held-out evaluation faces drawn with seed 12345",
        settings={
            "optimizer": "AdamW",
            "lr": 2e-3,
            "weight_decay": 1e-4,
            "lr_schedule": "cosine_lr: 50-step warm-up, cosine decay to 5%",
            "noise_sigma_max": 0.08,
            "blur": "3x3 box blur mixed 50/50 on every 2nd batch",
            "max_train_images": 16000,
        },
    ),
    "faces_dcgan64": Recipe(
        train_faces_dcgan,
        steps=6000,
        batch_size=64,
        eval_samples=2000,
        seed=2,
        data=FACES,
        settings={
            **GAN_SETTINGS,
            "loss": "hinge",
            "betas": [0.0, 0.99],
            "d_width": 16,
            "spectral_norm": True,
        },
    ),  # BCE + a BatchNorm D collapsed early
    "faces_cgan64": Recipe(
        train_faces_cgan,
        steps=6000,
        batch_size=64,
        eval_samples=2000,
        seed=3,
        data=FACES + "; conditioned on the categorical attributes",
        settings={
            **GAN_SETTINGS,
            "loss": "hinge",
            "betas": [0.0, 0.99],
            "d_width": 16,
            "fake_labels": "the real batch's labels",
        },
    ),
    "digits_dcgan": Recipe(
        train_digits_dcgan,
        steps=3000,
        batch_size=64,
        eval_samples=1797,
        seed=4,
        data="scikit-learn load_digits (1797 8x8 digits), bilinear upsampling to 32x32",
        settings={
            **GAN_SETTINGS,
            "loss": "bce",
            "betas": [0.5, 0.999],
            "d_width": 32,
            "spectral_norm": False,
        },
    ),
}
