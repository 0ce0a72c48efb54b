"""Your own pictures and the public datasets' files, through lesson 02's pipeline.

Nothing downloads. Derived in lesson 02 ("bring your own image folder").

- ``open_image(path)`` / ``to_rgb(pil)``: the one loader of every user picture (a folder's files,
  ``style.prepare_photo``): EXIF orientation applied, 16-bit and float images scaled to 8 bits,
  CMYK/YCbCr/palette/grey converted, transparency composited on white, over-large files refused
  with their name.
- ``ImageFolderDataset`` / ``image_folder(path, size)``: every picture in a folder (symlinked
  subfolders followed) as (3, size, size) tensors in [-1, 1], each file checked once when the
  dataset is made.
- ``mnist(root)``, ``celeba(root)``: torchvision datasets with ``download=False`` always; a clear
  error says where to put the files when they are missing.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torch.utils.data import Dataset
from torchvision.transforms import v2

from ._checks import check_size
from .transforms import make_transform

IMAGE_EXTENSIONS = (
    ".jpg",
    ".jpeg",
    ".png",
    ".bmp",
    ".gif",
    ".tif",
    ".tiff",
    ".webp",
    ".ppm",
    ".pgm",
)


# ---------------------------------------------------------------------------------------------
# Your own folder
# ---------------------------------------------------------------------------------------------
class ImageFolderError(ValueError):
    """A folder of images cannot be used as it is; the message says which file and why."""


def to_rgb(pil: Image.Image, where: str = "the image") -> Image.Image:
    """Any PIL image as 8-bit RGB.

    - 16-bit grey (``I;16``, ``I``) is divided by 257 (65535 -> 255); a float image (``F``) is
      read as [0, 1] when its values stay there, else as [0, 255], else scaled by its maximum;
    - CMYK, YCbCr, palette and grey images are converted by PIL;
    - transparency (RGBA, LA, a palette's transparent colour) is composited on **white**;
    - LAB and HSV images are refused: their channels are not red, green and blue.
    """
    mode = pil.mode
    if mode in ("LAB", "HSV"):
        raise ValueError(
            f"{where} is in the {mode} colour space; convert it to RGB first "
            f"(e.g. skimage.color.{mode.lower()}2rgb on its array), it cannot be read as RGB."
        )
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(pil, dtype=np.float64)
        if mode == "F":
            top = float(np.nanmax(values)) if values.size else 0.0
            scale = 255.0 if top <= 1.0 else (1.0 if top <= 255.0 else 255.0 / top)
        else:
            scale = 1 / 257 if values.max(initial=0) > 255 or mode.startswith("I;16") else 1.0
        grey = np.clip(np.nan_to_num(values * scale), 0, 255).round().astype(np.uint8)
        return Image.fromarray(grey).convert("RGB")
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in pil.info):
        rgba = pil.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return pil.convert("RGB")


def open_image(path) -> Image.Image:
    """Open, fully decode and orient one picture file as 8-bit RGB (see :func:`to_rgb`).

    Raises :class:`ImageFolderError` naming the file when it is not an image, is damaged
    (truncated), or is larger than PIL's pixel limit (``PIL.Image.MAX_IMAGE_PIXELS``).
    """
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as pil:
                pil.load()
                return to_rgb(ImageOps.exif_transpose(pil), where=f"'{path}'")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageFolderError(
            f"'{path}' is too large to load safely ({error}). Shrink it first (most photo tools "
            "can), or raise PIL.Image.MAX_IMAGE_PIXELS if you trust the file; skip_bad=True "
            "skips it."
        ) from None
    except UnidentifiedImageError:
        raise ImageFolderError(
            f"'{path}' is not an image PIL can read. Move it out of the folder "
            "(or pass skip_bad=True to skip it with a warning). "
            f"Supported: {', '.join(IMAGE_EXTENSIONS)}."
        ) from None
    except ValueError as error:  # a colour space that is not RGB
        raise ImageFolderError(f"{error} (or pass skip_bad=True to skip it)") from None
    except (OSError, SyntaxError) as error:
        raise ImageFolderError(
            f"'{path}' is damaged ({error}); it is probably truncated "
            "(an interrupted copy or download). "
            "Replace or delete it (or pass skip_bad=True to skip it with a warning)."
        ) from None


def picture_files(root: Path) -> list[Path]:
    """Every non-hidden file under ``root``, sorted; symlinked folders are followed, each real
    folder visited once (a link back up the tree cannot loop)."""
    seen, files = set(), []
    for folder, subfolders, names in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            subfolders[:] = []
            continue
        seen.add(real)
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        files += [Path(folder) / n for n in names if not n.startswith(".")]
    return sorted(p for p in files if p.is_file())


class ImageFolderDataset(Dataset):
    """Every image under ``root`` (searched recursively), through ``make_transform(size, ...)``.

    Item i is a float tensor (3, size, size) in [-1, 1]. Files are sorted by path, so the order is
    reproducible. Hidden files (names starting with '.', e.g. .DS_Store) are ignored; every other
    file must be a readable image: each file is decoded once when the dataset is made (``check``),
    so a non-image or a truncated file is reported at once, by name, not halfway through training.
    ``skip_bad=True`` skips such files with a warning that lists them.
    """

    def __init__(
        self,
        root,
        size: int = 64,
        crop: str = "center",
        flip: bool = False,
        check: bool = True,
        skip_bad: bool = False,
        cache: bool = True,
    ):
        self.size = check_size(size)
        self.root = Path(root).expanduser()
        if not self.root.exists():
            raise FileNotFoundError(
                f"image folder '{self.root}' does not exist. "
                "Create it and put .jpg/.png pictures in it."
            )
        if not self.root.is_dir():
            raise NotADirectoryError(
                f"'{self.root}' is a file, not a folder. Pass the folder that holds your pictures."
            )
        files = picture_files(self.root)
        if not files:
            raise ImageFolderError(
                f"image folder '{self.root}' is empty. "
                f"Put some pictures ({', '.join(IMAGE_EXTENSIONS)}) in it."
            )
        self.transform = make_transform(size, crop=crop, flip=flip)
        self._cache: dict[int, Image.Image] | None = {} if cache else None
        good, bad = [], []
        for path in files:
            if not check:
                good.append(path)
                continue
            try:
                pil = open_image(path)
            except ImageFolderError as error:
                if not skip_bad:
                    raise
                bad.append((path, str(error)))
                continue
            if self._cache is not None:
                self._cache[len(good)] = _shrink(pil, size)
            good.append(path)
        if bad:
            warnings.warn(
                f"skipped {len(bad)} file(s) that are not readable images: "
                + "; ".join(str(p) for p, _ in bad),
                stacklevel=2,
            )
        if not good:
            raise ImageFolderError(
                f"image folder '{self.root}' holds no readable images (skipped {len(bad)})."
            )
        self.files = good
        self.skipped = [p for p, _ in bad]

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> torch.Tensor:
        if self._cache is not None and index in self._cache:
            pil = self._cache[index]
        else:
            pil = open_image(self.files[index])
        return self.transform(pil)

    def all(self) -> torch.Tensor:
        """Every image as one batch (N, 3, size, size)."""
        return torch.stack([self[i] for i in range(len(self))])


def _shrink(pil: Image.Image, size: int) -> Image.Image:
    """Keep a smaller copy in memory (shorter side 2 x size) so big photos do not fill the RAM."""
    short = min(pil.size)
    if short > 2 * size:
        factor = 2 * size / short
        pil = pil.resize(
            (max(1, round(pil.width * factor)), max(1, round(pil.height * factor))), Image.LANCZOS
        )
    return pil


def image_folder(path, size: int = 64, **kwargs) -> ImageFolderDataset:
    """Your own pictures as a dataset of (3, size, size) tensors in [-1, 1].

    See ``ImageFolderDataset``.
    """
    return ImageFolderDataset(path, size=size, **kwargs)


# ---------------------------------------------------------------------------------------------
# Public datasets (the code path for when you have the files; never downloads)
# ---------------------------------------------------------------------------------------------
MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
CELEBA_FILES = (
    "list_eval_partition.txt",
    "identity_CelebA.txt",
    "list_bbox_celeba.txt",
    "list_landmarks_align_celeba.txt",
    "list_attr_celeba.txt",
)


def mnist(root, train: bool = True, size: int | None = None, channels: int = 1):
    """torchvision's MNIST from files you already have: items (image (C, H, W) in [-1, 1], label).

    Never downloads. Expects the four unpacked idx files in ``root/MNIST/raw/``
    (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
    ``t10k-labels-idx1-ubyte``). ``size`` resizes (28 by default), ``channels=3`` repeats grey.
    """
    from torchvision.datasets import MNIST

    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    steps = [v2.ToImage()]
    if size is not None:
        steps.append(v2.Resize(check_size(size), antialias=True))
    if channels == 3:
        steps.append(v2.RGB())
    steps += [
        v2.ToDtype(torch.float32, scale=True),
        v2.Normalize([0.5] * channels, [0.5] * channels),
    ]
    raw = Path(root).expanduser() / "MNIST" / "raw"
    try:
        return MNIST(
            str(Path(root).expanduser()), train=train, download=False, transform=v2.Compose(steps)
        )
    except RuntimeError as error:
        missing = [f for f in MNIST_FILES if not (raw / f).exists()]
        raise FileNotFoundError(
            f"MNIST files not found under '{raw}' "
            f"(missing: {', '.join(missing) or 'none, but they could not be read'}). "
            "This course never downloads; copy the four unpacked idx files there "
            "(gunzip the .gz files from the MNIST website or a torchvision cache)."
        ) from error


def celeba(
    root, split: str = "train", size: int = 64, verify: bool = True, target_type: str = "attr"
):
    """torchvision's CelebA from files you already have.

    Items: (image (3, size, size) in [-1, 1], attrs).

    Never downloads. Expects ``root/celeba/img_align_celeba/*.jpg`` and the five text files
    ``list_eval_partition.txt``, ``identity_CelebA.txt``, ``list_bbox_celeba.txt``,
    ``list_landmarks_align_celeba.txt``, ``list_attr_celeba.txt`` in ``root/celeba/``.
    ``verify=True`` lets torchvision check the md5 sums of the text files (the real dataset);
    ``verify=False`` only checks that they are there (for your own files in the same layout, and
    for the tests, which write a tiny fake CelebA).
    """
    from torchvision.datasets import CelebA

    size = check_size(size)
    if split not in ("train", "valid", "test", "all"):
        raise ValueError(f"split must be one of 'train', 'valid', 'test', 'all', got {split!r}")
    folder = Path(root).expanduser() / "celeba"
    missing = [f for f in CELEBA_FILES if not (folder / f).exists()]
    if not (folder / "img_align_celeba").is_dir():
        missing.append("img_align_celeba/ (the folder of aligned .jpg faces)")
    if missing:
        raise FileNotFoundError(
            f"CelebA files not found under '{folder}': missing {', '.join(missing)}. "
            "This course never downloads; copy the unpacked CelebA files there "
            "(from the CelebA website or a torchvision cache)."
        )
    transform = v2.Compose(
        [
            v2.ToImage(),
            v2.RGB(),
            v2.Resize(size, antialias=True),
            v2.CenterCrop(size),
            v2.ToDtype(torch.float32, scale=True),
            v2.Normalize([0.5] * 3, [0.5] * 3),
        ]
    )

    class _CelebA(CelebA):
        def _check_integrity(self) -> bool:
            if verify:
                return super()._check_integrity()
            return (
                all((folder / f).exists() for f in CELEBA_FILES)
                and (folder / "img_align_celeba").is_dir()
            )

    try:
        return _CelebA(
            str(Path(root).expanduser()),
            split=split,
            target_type=target_type,
            transform=transform,
            download=False,
        )
    except RuntimeError as error:
        raise FileNotFoundError(
            f"CelebA files under '{folder}' failed torchvision's md5 check: "
            "they are incomplete or not the original files. "
            "Copy the original files again, or pass verify=False for your own files in "
            "CelebA's layout."
        ) from error


def data_root() -> Path:
    """Where public datasets are looked for by default.

    ``$GANCOURSE_DATA`` or ``~/gancourse_data``.
    """
    return Path(os.environ.get("GANCOURSE_DATA", "~/gancourse_data")).expanduser()
