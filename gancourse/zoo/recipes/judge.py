"""Recipe of the style judge (lessons 08 and 09): a patch classifier, "photo" or one of the five
painting styles, trained through :func:`gancourse.train.fit` with its own step.

Data, all made here, nothing downloaded: training images (:func:`gancourse.data.pools.judge_images`:
procedural scenes, synthetic faces and crops of the bundled photos that the lessons do not
stylise) at several sizes; each image as it is ("photo") and through the paint filter in every
style, at a random seed and ``detail``; random 64-pixel patches of all of them, held as uint8.
Real-photo crops are over-represented in the "photo" class: a photo's grain and soft gradients
are what the judge must not mistake for brushwork.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gancourse.data import pools, styles
from gancourse.data.transforms import from_uint8, to_uint8
from gancourse.zoo.recipes.common import Recipe, Run, trained


def random_patches(images: torch.Tensor, per_image: int, patch: int, generator) -> torch.Tensor:
    """``per_image`` random ``patch`` x ``patch`` crops of each image: (N * per_image, 3, p, p)."""
    n, _, h, w = images.shape
    ys = torch.randint(h - patch + 1, (n, per_image), generator=generator)
    xs = torch.randint(w - patch + 1, (n, per_image), generator=generator)
    return torch.stack(
        [
            images[i, :, y : y + patch, x : x + patch]
            for i in range(n)
            for y, x in zip(ys[i].tolist(), xs[i].tolist())
        ]
    )


def judge_patches(run: Run, patch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The training patches (uint8) and their class indices (0 = photo, k = STYLE_NAMES[k - 1])."""
    s = run.settings
    g = torch.Generator().manual_seed(run.seed)
    low, high = s["detail_range"]
    # a short run (a test's) paints fewer images; a full run uses the settings' numbers
    n_images = min(s["images_per_size"], max(8, run.steps * run.batch_size // 40))
    n_photos = min(s["extra_photos_per_size"], max(4, n_images // 2))
    parts, labels = [], []

    def add(images: torch.Tensor, label: int, per_image: int) -> None:
        parts.append(to_uint8(random_patches(images, per_image, patch, g)))
        labels.extend([label] * (len(images) * per_image))

    for size in s["image_sizes"]:
        source = pools.judge_images(n_images, size, seed=run.seed * 1000 + size)
        add(source, 0, s["patches_per_image"])
        photos = pools.judge_images(n_photos, size, seed=run.seed + size, kinds=("photo",))
        add(photos, 0, 2 * s["patches_per_image"])
        for k, style in enumerate(styles.STYLE_NAMES, 1):
            painted = torch.cat(
                [
                    styles.paint_filter(
                        source[i : i + 8],
                        style,
                        seed=run.seed * 7919 + size * 31 + i + k,
                        detail=float(torch.empty(1).uniform_(low, high, generator=g)),
                    )
                    for i in range(0, len(source), 8)
                ]
            )
            add(painted, k, s["patches_per_image"])
        run.log(f"{size} px: {sum(len(p) for p in parts)} patches so far")
    return torch.cat(parts), torch.tensor(labels)


def train_style_judge(run: Run):
    """Cross-entropy over the six classes, AdamW, cosine learning rate, random horizontal flips."""
    s = run.settings
    model = run.entry.build().to(run.device)
    patches, labels = judge_patches(run, model.patch)
    counts = torch.bincount(labels, minlength=len(model.classes)).tolist()
    run.log(f"{len(patches)} patches; per class {dict(zip(model.classes, counts))}")
    draw = torch.Generator().manual_seed(run.seed + 1)
    opt = torch.optim.AdamW(model.parameters(), lr=s["lr"], weight_decay=s["weight_decay"])

    def batches(n: int):
        index = torch.randint(len(patches), (n,), generator=draw)
        x = from_uint8(patches[index])
        flip = torch.rand(n, generator=draw) < 0.5
        x[flip] = x[flip].flip(-1)
        return x, labels[index]

    def loss(state, batch):
        x, y = (t.to(run.device) for t in batch)
        return F.cross_entropy(model(x), y)

    state = run.fit_supervised(model, batches, opt, loss, log_every=250)
    return model.eval(), trained(state, train_patches=len(patches), patches_per_class=counts)


RECIPES = {
    "style_judge": Recipe(
        train_style_judge,
        steps=4000,
        batch_size=64,
        eval_samples=3,  # paintings of each test photo per style, at seeds 1..3
        seed=6,
        data="64-px patches of pools.judge_images (procedural scenes, synthetic faces, crops of "
        "bundled photos other than " + ", ".join(pools.JUDGE_TEST_PHOTOS) + ") and of their "
        "paint_filter in each style",
        settings={
            "image_sizes": [192, 256, 320],
            "images_per_size": 240,
            "extra_photos_per_size": 120,
            "patches_per_image": 8,
            "detail_range": [1.0, 2.2],
            "optimizer": "AdamW",
            "lr": 2e-3,
            "weight_decay": 1e-4,
            "lr_schedule": "cosine_lr: 50-step warm-up, cosine decay to 5%",
            "augment": "random horizontal flips",
        },
    ),
}
