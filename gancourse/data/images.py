"""Real photos and textures that ship inside installed packages (no download, ever). Lesson 02.

One function per image, each naming its source and licence. By default every function returns a
float32 tensor (3, H, W) in [-1, 1], the range the course's networks use; ``as_="uint8"`` gives a
uint8 tensor (C, H, W) and ``as_="pil"`` a ``PIL.Image``. ``size=N`` resizes the shorter side to N
and centre-crops to N x N (handy for grids). Grey images are repeated to 3 channels unless you
ask for ``channels=1``.

Some scikit-image images (eagle, lily, skin, kidney, ...) are *not* bundled with the package: they
need the optional ``pooch`` downloader. The course is offline, so asking for them raises a clear
``ImageNotBundledError`` instead of a download attempt or a pooch traceback.

- photos: ``astronaut``, ``chelsea``, ``coffee``, ``rocket``, ``hubble_deep_field``, ``camera``,
  ``immunohistochemistry``, ``retina``, ``coins``, ``clock``, ``moon``, ``china``, ``flower``,
  ``grace_hopper``
- textures: ``brick``, ``grass``, ``gravel``
- datasets: ``lfw_subset`` (100 real 25 x 25 faces + 100 non-face crops),
  ``digits`` (1,797 handwritten 8 x 8 digits)
- registry: ``REAL_IMAGES`` (name -> function), ``PHOTOS``, ``TEXTURES``, ``load(name)``
- credits: ``CREDITS`` (name -> who made it, its licence, the package that ships it), the one
  table the lessons' image credits follow; ``credits(names)`` prints them, one line each
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.transforms.v2 import functional as TF

FORMATS = ("tensor", "uint8", "pil")

# scikit-image sample images that need pooch (a download); we name them to explain the error.
NOT_BUNDLED = (
    "eagle",
    "lily",
    "skin",
    "kidney",
    "vortex",
    "nickel_solidification",
    "brain",
    "palisades_of_vogt",
    "cells3d",
    "human_mitosis",
    "protein_transport",
)


class ImageNotBundledError(FileNotFoundError):
    """The image is not inside the installed packages; getting it would need a download."""


def _convert(array: np.ndarray, as_: str, size: int | None, channels: int) -> torch.Tensor:
    """HWC / HW uint8 array -> the requested format, optionally resized and centre-cropped."""
    if as_ not in FORMATS:
        raise ValueError(f"as_ must be one of {FORMATS}, got {as_!r}")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    if array.ndim == 2:
        array = array[..., None]
    array = array[..., :3]  # drop alpha
    image = torch.from_numpy(np.array(array, copy=True)).permute(2, 0, 1)  # (C, H, W) uint8
    if channels == 3 and image.shape[0] == 1:
        image = image.expand(3, -1, -1).contiguous()
    elif channels == 1 and image.shape[0] == 3:
        image = TF.rgb_to_grayscale(image)
    if size is not None:
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise ValueError(f"size must be a positive int (pixels) or None, got {size!r}")
        image = TF.center_crop(TF.resize(image, size, antialias=True), [size, size])
    if as_ == "uint8":
        return image
    if as_ == "pil":
        return TF.to_pil_image(image)
    return image.float() / 127.5 - 1


@functools.lru_cache(maxsize=32)
def _skimage(name: str):
    """The raw array (cached: decoding the large JPEGs takes a moment)."""
    import skimage.data

    if name in NOT_BUNDLED:
        raise ImageNotBundledError(
            f"skimage.data.{name}() is not bundled with scikit-image: "
            "it needs the optional 'pooch' package to download it, "
            "and this course never downloads at run time. "
            f"Use one of the bundled images instead: {', '.join(REAL_IMAGES)}."
        )
    return getattr(skimage.data, name)()


def skimage_image(name: str, as_: str = "tensor", size: int | None = None, channels: int = 3):
    """Any scikit-image sample image by name, if it is bundled (else ``ImageNotBundledError``)."""
    return _convert(_skimage(name), as_, size, channels)


# --- photos ------------------------------------------------------------------------------------
def astronaut(as_="tensor", size=None, channels=3):
    """Eileen Collins, NASA astronaut, 512 x 512 RGB. scikit-image; NASA, public domain."""
    return skimage_image("astronaut", as_, size, channels)


def chelsea(as_="tensor", size=None, channels=3):
    """Chelsea the cat, 300 x 451 RGB. scikit-image; CC0 by Stefan van der Walt."""
    return skimage_image("chelsea", as_, size, channels)


def coffee(as_="tensor", size=None, channels=3):
    """A cup of coffee, 400 x 600 RGB. scikit-image; CC0 by Rachel Michetti."""
    return skimage_image("coffee", as_, size, channels)


def rocket(as_="tensor", size=None, channels=3):
    """A Falcon 9 launch, 427 x 640 RGB. scikit-image; SpaceX, public domain."""
    return skimage_image("rocket", as_, size, channels)


def hubble_deep_field(as_="tensor", size=None, channels=3):
    """Hubble eXtreme Deep Field, 872 x 1000 RGB. scikit-image; NASA, public domain."""
    return skimage_image("hubble_deep_field", as_, size, channels)


def camera(as_="tensor", size=None, channels=3):
    """A photographer with a camera, 512 x 512 grey. scikit-image; CC0 by Lav Varshney."""
    return skimage_image("camera", as_, size, channels)


def immunohistochemistry(as_="tensor", size=None, channels=3):
    """Stained tissue under a microscope, 512 x 512 RGB.

    scikit-image; no known copyright restrictions.
    """
    return skimage_image("immunohistochemistry", as_, size, channels)


def retina(as_="tensor", size=None, channels=3):
    """A human retina, 1411 x 1411 RGB. scikit-image; CC0 1.0 (Mikael Häggström, Wikimedia)."""
    return skimage_image("retina", as_, size, channels)


def coins(as_="tensor", size=None, channels=3):
    """Greek coins, 303 x 384 grey.

    scikit-image; Brooklyn Museum, no known copyright restrictions.
    """
    return skimage_image("coins", as_, size, channels)


def clock(as_="tensor", size=None, channels=3):
    """A motion-blurred wall clock, 300 x 400 grey.

    scikit-image; public domain (Stefan van der Walt).
    """
    return skimage_image("clock", as_, size, channels)


def moon(as_="tensor", size=None, channels=3):
    """The surface of the moon, 512 x 512 grey. scikit-image; public domain."""
    return skimage_image("moon", as_, size, channels)


@functools.lru_cache(maxsize=4)
def _sklearn(filename: str) -> np.ndarray:
    from sklearn.datasets import load_sample_image

    return load_sample_image(filename)


def china(as_="tensor", size=None, channels=3):
    """A Chinese temple, 427 x 640 RGB.

    scikit-learn ``load_sample_images``; CC BY 2.0, danielbuechele on Flickr.
    """
    return _convert(_sklearn("china.jpg"), as_, size, channels)


def flower(as_="tensor", size=None, channels=3):
    """A flower, 427 x 640 RGB.

    scikit-learn ``load_sample_images``; CC BY 2.0, vultilion on Flickr.
    """
    return _convert(_sklearn("flower.jpg"), as_, size, channels)


def grace_hopper(as_="tensor", size=None, channels=3):
    """Rear Admiral Grace Hopper, 600 x 512 RGB. matplotlib sample data; US Navy, public domain."""
    from matplotlib import cbook
    from PIL import Image

    with Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as pil:
        array = np.asarray(pil.convert("RGB"))
    return _convert(array, as_, size, channels)


# --- textures ----------------------------------------------------------------------------------
def brick(as_="tensor", size=None, channels=3):
    """Brick wall texture, 512 x 512 grey. scikit-image; CC0 (CC0Textures, Bricks25)."""
    return skimage_image("brick", as_, size, channels)


def grass(as_="tensor", size=None, channels=3):
    """Grass texture, 512 x 512 grey. scikit-image; CC0 (CC0Textures, Grass001)."""
    return skimage_image("grass", as_, size, channels)


def gravel(as_="tensor", size=None, channels=3):
    """Gravel texture, 512 x 512 grey. scikit-image; CC0 (CC0Textures, Gravel04)."""
    return skimage_image("gravel", as_, size, channels)


# --- small datasets ----------------------------------------------------------------------------
def lfw_subset(channels: int = 1, faces_only: bool = False, return_labels: bool = False):
    """scikit-image's subset of Labeled Faces in the Wild: (200, C, 25, 25) grey crops in [-1, 1].

    The first 100 crops are real faces, the last 100 are *non-faces* (background patches of the
    same photos). ``faces_only=True`` keeps the 100 faces; ``return_labels=True`` also returns
    ``is_face`` (N,) bool. Source: LFW (Huang et al., University of Massachusetts), research use;
    bundled with scikit-image.
    """
    import skimage.data

    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    array = torch.from_numpy(skimage.data.lfw_subset()).float()  # (200, 25, 25) in [0, 1]
    images = (array * 2 - 1).unsqueeze(1).repeat(1, channels, 1, 1)
    is_face = torch.arange(len(images)) < 100
    if faces_only:
        images, is_face = images[is_face], is_face[is_face]
    return (images, is_face) if return_labels else images


def digits(channels: int = 1, size: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Handwritten digits: images (1797, C, 8, 8) in [-1, 1] and labels (1797,) int64.

    scikit-learn ``load_digits`` (optical recognition of handwritten digits, from the UCI machine
    learning repository, CC BY 4.0).
    The 17 grey levels 0..16 map linearly to [-1, 1]; with ``size`` the images are upsampled
    (bilinear) to (1797, C, size, size), as the ``digits_dcgan`` zoo model was trained.
    """
    from sklearn.datasets import load_digits

    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    data = load_digits()
    images = torch.from_numpy(data.images).float().unsqueeze(1) / 8 - 1  # (1797, 1, 8, 8)
    if size is not None:
        images = F.interpolate(images, size=size, mode="bilinear", align_corners=False)
        images = images.clamp(-1, 1)  # (1797, 1, size, size)
    return images.repeat(1, channels, 1, 1), torch.from_numpy(data.target).long()


PHOTOS = {
    "astronaut": astronaut,
    "chelsea": chelsea,
    "coffee": coffee,
    "rocket": rocket,
    "hubble_deep_field": hubble_deep_field,
    "camera": camera,
    "immunohistochemistry": immunohistochemistry,
    "retina": retina,
    "coins": coins,
    "clock": clock,
    "moon": moon,
    "china": china,
    "flower": flower,
    "grace_hopper": grace_hopper,
}
TEXTURES = {"brick": brick, "grass": grass, "gravel": gravel}
REAL_IMAGES = {**PHOTOS, **TEXTURES}
COLOUR_PHOTOS = [n for n in PHOTOS if n not in ("camera", "coins", "clock", "moon")]


def load(name: str, as_: str = "tensor", size: int | None = None, channels: int = 3):
    """Load a bundled image by name (see ``REAL_IMAGES``).

    A clear error for unknown or download-only ones.
    """
    if name in REAL_IMAGES:
        return REAL_IMAGES[name](as_=as_, size=size, channels=channels)
    if name in NOT_BUNDLED:
        _skimage(name)  # raises ImageNotBundledError with the explanation
    raise ValueError(f"unknown image {name!r}; choose one of {', '.join(REAL_IMAGES)}")


class Credit(NamedTuple):
    """Who made a bundled image, under which licence, and which package ships it."""

    what: str
    author: str
    licence: str
    package: str

    def __str__(self) -> str:
        who = f"{self.author}, " if self.author else ""  # "" where the source names nobody
        return f"{self.what} ({who}{self.licence}; via {self.package})"


CREDITS = {
    "astronaut": Credit("Eileen Collins, NASA astronaut", "NASA", "public domain", "scikit-image"),
    "chelsea": Credit("Chelsea the cat", "Stefan van der Walt", "CC0", "scikit-image"),
    "coffee": Credit("a cup of coffee", "Rachel Michetti", "CC0", "scikit-image"),
    "rocket": Credit("a Falcon 9 launch", "SpaceX", "public domain", "scikit-image"),
    "hubble_deep_field": Credit(
        "the Hubble eXtreme Deep Field", "NASA", "public domain", "scikit-image"
    ),
    "camera": Credit("a photographer with a camera", "Lav Varshney", "CC0", "scikit-image"),
    "immunohistochemistry": Credit(
        "stained tissue", "", "no known copyright restrictions", "scikit-image"
    ),
    "retina": Credit("a human retina", "Mikael Häggström", "CC0", "scikit-image"),
    "coins": Credit(
        "Greek coins", "Brooklyn Museum", "no known copyright restrictions", "scikit-image"
    ),
    "clock": Credit("a wall clock", "Stefan van der Walt", "public domain", "scikit-image"),
    "moon": Credit("the surface of the moon", "", "public domain", "scikit-image"),
    "china": Credit("a Chinese temple", "danielbuechele on Flickr", "CC BY 2.0", "scikit-learn"),
    "flower": Credit("a flower", "vultilion on Flickr", "CC BY 2.0", "scikit-learn"),
    "grace_hopper": Credit("Rear Admiral Grace Hopper", "US Navy", "public domain", "matplotlib"),
    "brick": Credit("a brick wall", "CC0Textures, Bricks25", "CC0", "scikit-image"),
    "grass": Credit("grass", "CC0Textures, Grass001", "CC0", "scikit-image"),
    "gravel": Credit("gravel", "CC0Textures, Gravel04", "CC0", "scikit-image"),
    "lfw_subset": Credit(
        "faces from Labeled Faces in the Wild",
        "Huang et al., University of Massachusetts",
        "research use",
        "scikit-image",
    ),
    "digits": Credit(
        "handwritten digits", "UCI machine learning repository", "CC BY 4.0", "scikit-learn"
    ),
}


def credits(names=None) -> str:
    """One credit line per image (all of ``CREDITS`` by default), for a lesson to print."""
    names = list(CREDITS) if names is None else list(names)
    unknown = [n for n in names if n not in CREDITS]
    if unknown:
        raise ValueError(f"no credit for {unknown}; bundled images: {', '.join(CREDITS)}")
    return "\n".join(f"{name}: {CREDITS[name]}" for name in names)


def photo_batch(size: int = 64, names=None) -> torch.Tensor:
    """Every colour photo (or the ``names`` given) as one batch (B, 3, size, size) in [-1, 1]."""
    names = names or COLOUR_PHOTOS
    return torch.stack([load(n, size=size) for n in names])
