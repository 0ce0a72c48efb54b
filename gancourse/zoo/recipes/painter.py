"""Recipe of the feed-forward painter (lesson 08): one network, five styles, one forward pass.

The painter learns from pairs: training images (:func:`gancourse.data.pools.judge_images`, never
the lessons' test photos) and the paint filter's output for each of them in every style. A pixel
loss alone would learn the *average* painting, a blur, because the filter's strokes, dots and
cells fall at random places (lesson 03). So the loss compares what a person compares:

    L = w_tex   sum_l ( |mu_l(out) - mu_l(target)|^2 + |sigma_l(out) - sigma_l(target)|^2 )
      + w_gram  sum_l |G_l(out) - G_l(target)|^2                    texture, per 64-px patch
      + w_low   | blur(out) - blur(target) |_1                      colours and large shapes
      + w_rec   | decode(encode(photo)) - photo |_1                 alpha = 0 gives the photo

with mu_l, sigma_l and G_l the per-channel means, standard deviations and Gram matrix of the
features of layer l of a **critic**: a patch classifier with the style judge's architecture that
the recipe trains first, on the painter's own training images (its own seed). The critic is the
loss network; the zoo's ``style_judge``, trained apart and never shown the painter, is the one
that grades it, so the grade is not the loss in disguise.

Resumable: the critic is saved as ``painter_critic.safetensors`` in the output folder and the
painter checkpoints every ``checkpoint_every`` steps to ``painter_checkpoint.safetensors``; the
same command run again continues where it stopped.

Not registered yet: the zoo entry and ``RECIPES`` get it once a full run meets lesson 08's bar
(issue 19: the style judge labels >= 90 % of the test photos' paintings the target style, in
every style). Prototype runs of this loss (2-core CPU, 1500-2500 steps) reached it for three
styles of five.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from gancourse import checkpoint
from gancourse.data import pools, styles
from gancourse.data.brushwork import blur
from gancourse.data.transforms import from_uint8, to_uint8
from gancourse.models.judge import StyleJudge
from gancourse.zoo.recipes.common import Recipe, Run, trained
from gancourse.zoo.recipes.judge import random_patches


def painter_pairs(run: Run) -> torch.Tensor:
    """The training pool as uint8 (1 + S, N, 3, size, size): the photos, then each style."""
    s = run.settings
    # a short run (a test's) paints fewer images; a full run uses the settings' number
    n = min(s["images"], max(8, run.steps * run.batch_size // 10))
    g = torch.Generator().manual_seed(run.seed)
    low, high = s["detail_range"]
    photos = pools.judge_images(n, s["image_size"], seed=run.seed * 1000 + 101)
    pool = [to_uint8(photos)]
    for k, style in enumerate(styles.STYLE_NAMES):
        painted = [
            styles.paint_filter(
                photos[i : i + 8],
                style,
                seed=run.seed * 7919 + 1000 * k + i,
                detail=float(torch.empty(1).uniform_(low, high, generator=g)),
            )
            for i in range(0, n, 8)
        ]
        pool.append(to_uint8(torch.cat(painted)))
    run.log(f"painted {n} training images in {len(styles.STYLE_NAMES)} styles")
    return torch.stack(pool)


def train_critic(run: Run, pool: torch.Tensor) -> StyleJudge:
    """The loss network: a StyleJudge trained on 64-px patches of ``pool`` (class 0 = photo)."""
    s = run.settings
    path = None if run.out is None else run.out / "painter_critic.safetensors"
    critic = StyleJudge(width=s["critic_width"])
    if path is not None and path.exists():
        tensors, _ = checkpoint.read_weights(path, f"delete {path} to train the critic again")
        checkpoint.load_weights_into(critic, tensors)
        run.log(f"critic loaded from {path}")
        return critic.eval().requires_grad_(False)
    g = torch.Generator().manual_seed(run.seed + 11)
    patches = torch.cat([random_patches(p, 8, 64, g) for p in pool])  # uint8
    labels = torch.arange(len(pool)).repeat_interleave(len(patches) // len(pool))
    opt = torch.optim.AdamW(critic.parameters(), lr=2e-3, weight_decay=1e-4)
    steps = min(s["critic_steps"], max(20, run.steps))
    critic.train()
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = 2e-3 * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * step / steps)))
        index = torch.randint(len(patches), (64,), generator=g)
        loss = F.cross_entropy(critic(from_uint8(patches[index])), labels[index])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if (step + 1) % 500 == 0:
            run.log(f"critic step {step + 1}: cross-entropy {loss.item():.3f}")
    if path is not None:
        checkpoint.save_weights(critic, path, "gancourse.models.judge:StyleJudge", half=False)
    return critic.eval().requires_grad_(False)


def texture_statistics(critic: StyleJudge, images: torch.Tensor) -> list[tuple]:
    """(mean, std, Gram) of each critic layer's features F_l (P, C, H, W), per 64-px patch:
    ``mu = mean_xy F``, ``sigma = std_xy F``, ``G = F F^T / (H W)`` (F flattened to (P, C, HW))."""
    tiles = images.unfold(2, 64, 64).unfold(3, 64, 64)  # (B, 3, R, C, 64, 64)
    h = tiles.permute(0, 2, 3, 1, 4, 5).reshape(-1, 3, 64, 64)
    out = []
    for layer in critic.body:
        h = layer(h)  # (P, C_l, H_l, W_l)
        f = h.flatten(2)  # (P, C, HW)
        out.append((h.mean((2, 3)), h.std((2, 3)), f @ f.transpose(1, 2) / f.shape[-1]))
    return out


def train_painter(run: Run):
    """The loss of the module docstring on random ``crop`` x ``crop`` crops, a random style per
    sample; Adam, cosine learning rate; checkpoints for resuming."""
    s = run.settings
    pool = painter_pairs(run)
    critic = train_critic(run, pool)
    painter = run.entry.build().to(run.device)
    n_styles, n = pool.shape[0] - 1, pool.shape[1]
    size, crop = pool.shape[-1], s["crop"]
    draw = torch.Generator().manual_seed(run.seed + 1)

    def batches(b: int):
        i = torch.randint(n, (b,), generator=draw)
        k = torch.randint(n_styles, (b,), generator=draw)
        y, x = (torch.randint(size - crop + 1, (b,), generator=draw).tolist() for _ in "yx")
        cut = [(int(a), y[j], x[j]) for j, a in enumerate(i)]
        photo = torch.stack([pool[0, a, :, u : u + crop, v : v + crop] for a, u, v in cut])
        target = torch.stack(
            [
                pool[1 + int(k[j]), a, :, u : u + crop, v : v + crop]
                for j, (a, u, v) in enumerate(cut)
            ]
        )
        return from_uint8(photo), from_uint8(target), k

    def loss(state, batch):
        photo, target, k = (t.to(run.device) for t in batch)
        c = painter.encoder(photo)
        out = painter.decoder(painter.transform(c, k))
        tex = gram = 0.0
        for (m1, s1, g1), (m2, s2, g2) in zip(
            texture_statistics(critic, out), texture_statistics(critic, target)
        ):
            tex = tex + F.mse_loss(m1, m2) + F.mse_loss(s1, s2)
            gram = gram + F.mse_loss(g1, g2)
        low = F.l1_loss(blur(out, 2.0), blur(target, 2.0))
        rec = F.l1_loss(painter.decoder(c), photo)
        return s["w_tex"] * tex + s["w_gram"] * gram + s["w_low"] * low + s["w_rec"] * rec

    opt = torch.optim.Adam(painter.parameters(), lr=s["lr"], betas=tuple(s["betas"]))
    kwargs = {}
    if run.out is not None:
        path = run.out / "painter_checkpoint.safetensors"
        kwargs = {"checkpoint": path, "checkpoint_every": s["checkpoint_every"]}
        if path.exists():
            kwargs["resume"] = path
            run.log(f"resuming from {path}")
    state = run.fit_supervised(painter, batches, opt, loss, log_every=250, **kwargs)
    return painter.eval(), trained(
        state, train_images=n, critic={"architecture": "StyleJudge", **critic.config}
    )


RECIPES = {
    "painter": Recipe(
        train_painter,
        steps=3000,
        batch_size=8,
        eval_samples=1,
        seed=3,
        data="pools.judge_images at 256 px (procedural scenes, synthetic faces, crops of bundled "
        "photos other than " + ", ".join(pools.JUDGE_TEST_PHOTOS) + ") and their paint_filter "
        "in each style; random 128-px crops",
        settings={
            "images": 240,
            "image_size": 256,
            "crop": 128,
            "detail_range": [1.4, 1.8],
            "critic_width": 24,
            "critic_steps": 2000,
            "w_tex": 1.0,
            "w_gram": 1.0,
            "w_low": 1.0,
            "w_rec": 1.0,
            "lr": 1e-3,
            "betas": [0.5, 0.99],
            "lr_schedule": "cosine_lr: 50-step warm-up, cosine decay to 5%",
            "checkpoint_every": 250,
        },
    ),
}
