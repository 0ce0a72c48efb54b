"""Image pools and random crops for the style models: photos, style images, (photo, painting) pairs.

Derived in lesson 08 (``style_pool`` and ``random_crops`` feed the AdaIN decoder's live training)
and lesson 09 (``painting_pairs`` and ``paired_crops`` feed pix2pix and CycleGAN). The zoo's style
recipes train on the same pools.

- :func:`photo_pool`: the course's colour photos (scikit-image, scikit-learn, matplotlib);
- :func:`style_pool`: every procedural painting style at several seeds, plus real textures;
- :func:`random_crops`: ``n`` random square crops (and horizontal flips) of a pool;
- :func:`painting_pairs`: training images (never the test photos) with their ``paint_filter``
  painting (style :data:`PAINT_STYLE`): paired data, nothing downloaded;
- :func:`paired_crops`: the same random crop (and flip) of a photo and its painting;
- :data:`JUDGE_TEST_PHOTOS` and :func:`judge_images`: what the style judge may and may not see in
  training (lessons 08 and 09 measure style on the test photos, so it never sees them).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from . import faces, images, styles

# The painting style pix2pix and CycleGAN learn (lesson 09). The woodblock print is (almost) a
# function of the photo: two paint seeds differ by an L1 of 0.02 (brush: 0.08, stained glass: 0.32),
# so a paired model can learn it rather than a blur of strokes it cannot predict.
PAINT_STYLE = "woodblock"
# The photos lessons 08 and 09 stylise: the style judge is measured on them, never trained on them.
JUDGE_TEST_PHOTOS = ("grace_hopper", "astronaut", "chelsea", "coffee")


def photo_pool(size: int = 256) -> torch.Tensor:
    """The course's colour photos (N, 3, size, size) in [-1, 1], resized and centre-cropped."""
    return images.photo_batch(size=size)


def style_pool(size: int = 256, seeds=(0, 1, 2, 3)) -> torch.Tensor:
    """Every procedural painting style at several seeds, plus the scikit-image textures:
    (N, 3, size, size)."""
    pool = [styles.style_image(name, size, seed) for name in styles.STYLE_NAMES for seed in seeds]
    pool += [images.load(name, size=size) for name in images.TEXTURES]
    return torch.stack(pool)


def random_crops(
    pool: torch.Tensor, n: int, crop: int, generator: torch.Generator, flip: bool = True
) -> torch.Tensor:
    """``n`` random ``crop`` x ``crop`` crops (with random horizontal flips) of images in
    ``pool``."""
    size = pool.shape[-1]
    idx = torch.randint(len(pool), (n,), generator=generator)
    ys = torch.randint(size - crop + 1, (n,), generator=generator)
    xs = torch.randint(size - crop + 1, (n,), generator=generator)
    out = torch.stack(
        [
            pool[i, :, y : y + crop, x : x + crop]
            for i, y, x in zip(idx.tolist(), ys.tolist(), xs.tolist())
        ]
    )
    if flip:
        mask = torch.rand(n, generator=generator) < 0.5
        out[mask] = out[mask].flip(-1)
    return out


def painting_pairs(
    seed: int = 0, n: int = 48, style: str = PAINT_STYLE
) -> tuple[torch.Tensor, torch.Tensor]:
    """(photos, paintings) (n, 3, 256, 256): training images from :func:`judge_images` (procedural
    scenes, synthetic faces and crops of bundled photos, never :data:`JUDGE_TEST_PHOTOS`) and the
    ``paint_filter`` of each in ``style``."""
    photos = judge_images(n, 256, seed=seed)
    paintings = torch.cat(
        [
            styles.paint_filter(photos[i : i + 8], style, seed=seed + i)
            for i in range(0, len(photos), 8)
        ]
    )
    return photos, paintings


def paired_crops(x: torch.Tensor, y: torch.Tensor, n: int, crop: int, generator: torch.Generator):
    """The same random crop (and flip) of ``x`` and ``y``: (n, 3, crop, crop) twice."""
    both = random_crops(torch.cat([x, y], 1), n, crop, generator)
    return both[:, :3], both[:, 3:]


def judge_images(
    n: int, size: int, seed: int = 0, kinds=("scene", "face", "photo")
) -> torch.Tensor:
    """``n`` training images (n, 3, size, size) for the style judge, taking turns over ``kinds``:

    - ``"scene"``: a procedural landscape (:func:`gancourse.data.styles.scene`);
    - ``"face"``: a synthetic face (:mod:`gancourse.data.faces`);
    - ``"photo"``: a random crop, at a random scale (1x to 2x the size), of a bundled photo or
      texture that is *not* in :data:`JUDGE_TEST_PHOTOS`.
    """
    unknown = set(kinds) - {"scene", "face", "photo"}
    if not kinds or unknown:
        raise ValueError(f"kinds must be among 'scene', 'face', 'photo', got {kinds}")
    g = torch.Generator().manual_seed(seed)
    names = [name for name in images.REAL_IMAGES if name not in JUDGE_TEST_PHOTOS]
    out = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        if kind == "scene":
            out.append(styles.scene(size, seed * 100_003 + i))
        elif kind == "face":
            out.append(faces.face_batch(1, size, seed=seed * 100_003 + i)[0][0])
        else:
            photo = images.load(
                names[int(torch.randint(len(names), (1,), generator=g))], size=2 * size
            )
            side = int(torch.randint(size, 2 * size + 1, (1,), generator=g))
            photo = F.interpolate(
                photo[None], size=(side, side), mode="bilinear", antialias=True, align_corners=False
            )[0]
            y, x = (int(v) for v in torch.randint(side - size + 1, (2,), generator=g))
            out.append(photo[:, y : y + size, x : x + size].clamp(-1, 1))
    return torch.stack(out)
