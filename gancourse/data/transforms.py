"""Preprocessing: torchvision transforms v2 pipelines, DiffAugment, your own image folder, and the
code path for public datasets (MNIST, CelebA) that never downloads.

The pipeline every image goes through before a GAN sees it::

    PIL / uint8  ->  resize (shorter side)  ->  crop (centre or random)  ->  float in [0, 1]
                 ->  normalise to [-1, 1]: x = (v - 0.5) / 0.5

[-1, 1] matches the generator's ``tanh`` output, so real and fake images live in the same range;
``denormalize`` maps back to [0, 1] for display.

- ``make_transform(size, crop="center", flip=False)``: the v2 pipeline above.
- ``normalize`` / ``denormalize``: [0, 1] <-> [-1, 1] (or any mean / std).
- ``DiffAugment(policy="color,translation,cutout")``: differentiable augmentation applied to
  *both* real and fake batches before the discriminator (Zhao et al., 2020, "Differentiable
  Augmentation for Data-Efficient GAN Training").
- ``ImageFolderDataset`` / ``image_folder(path, size)``: your own pictures through the same pipeline.
- ``mnist(root)``, ``celeba(root)``: torchvision datasets with ``download=False`` always; a clear
  error says where to put the files when they are missing.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError
from torch import nn
from torch.utils.data import Dataset
from torchvision.transforms import v2

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


def _check_size(size) -> int:
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError(f"size must be an int number of pixels, got {type(size).__name__}: {size!r}")
    if size <= 0:
        raise ValueError(f"size must be a positive number of pixels, got {size}")
    return size


# ---------------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------------
def normalize(x: torch.Tensor, mean=0.5, std=0.5) -> torch.Tensor:
    """[0, 1] -> [-1, 1] by default: x' = (x - mean) / std (mean / std per channel or scalar)."""
    mean, std = _stats(mean, x), _stats(std, x)
    return (x - mean) / std


def denormalize(x: torch.Tensor, mean=0.5, std=0.5, clamp: bool = True) -> torch.Tensor:
    """The inverse, for display: x = x' * std + mean, clamped to [0, 1] (a generator can overshoot)."""
    mean, std = _stats(mean, x), _stats(std, x)
    out = x * std + mean
    return out.clamp(0, 1) if clamp else out


def _stats(value, x: torch.Tensor) -> torch.Tensor:
    t = torch.as_tensor(value, dtype=x.dtype, device=x.device)
    if t.dim() == 1:  # per channel: broadcast over (..., C, H, W)
        t = t.view(-1, 1, 1)
    return t


def make_transform(size: int = 64, crop: str = "center", flip: bool = False, scale: bool = True) -> v2.Compose:
    """The course's v2 pipeline: PIL / uint8 tensor -> float (3, size, size) in [-1, 1].

    Resize the shorter side to ``size`` (antialiased), crop ``size`` x ``size`` (``"center"`` or
    ``"random"``), optionally flip left-right at random, convert to float in [0, 1], then
    normalise with mean 0.5 and std 0.5 to [-1, 1]. Grey or RGBA pictures become RGB.
    ``scale=False`` skips the resize (crop only).
    """
    size = _check_size(size)
    if crop not in ("center", "random"):
        raise ValueError(f"crop must be 'center' or 'random', got {crop!r}")
    steps = [v2.ToImage(), v2.RGB()]
    if scale:
        steps.append(v2.Resize(size, antialias=True))
    steps.append(v2.CenterCrop(size) if crop == "center" else v2.RandomCrop(size, pad_if_needed=True))
    if flip:
        steps.append(v2.RandomHorizontalFlip())
    steps += [v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.5] * 3, [0.5] * 3)]
    return v2.Compose(steps)


# ---------------------------------------------------------------------------------------------
# DiffAugment
# ---------------------------------------------------------------------------------------------
def _rand(shape, x, generator):
    return torch.rand(shape, generator=generator, device="cpu").to(device=x.device, dtype=x.dtype)


def _randint(low, high, shape, x, generator):
    return torch.randint(low, high, shape, generator=generator, device="cpu").to(x.device)


def aug_brightness(x, generator=None):
    """x + u, u ~ U(-0.5, 0.5) per image."""
    return x + (_rand((x.shape[0], 1, 1, 1), x, generator) - 0.5)


def aug_saturation(x, generator=None):
    """Scale the distance to the per-pixel channel mean by s ~ U(0, 2)."""
    mean = x.mean(dim=1, keepdim=True)
    return (x - mean) * (_rand((x.shape[0], 1, 1, 1), x, generator) * 2) + mean


def aug_contrast(x, generator=None):
    """Scale the distance to the image mean by c ~ U(0.5, 1.5)."""
    mean = x.mean(dim=[1, 2, 3], keepdim=True)
    return (x - mean) * (_rand((x.shape[0], 1, 1, 1), x, generator) + 0.5) + mean


def aug_translation(x, generator=None, ratio: float = 0.125):
    """Shift each image by up to ``ratio`` of its size, filling with zeros (grey in [-1, 1])."""
    b, _, h, w = x.shape
    sx, sy = int(h * ratio + 0.5), int(w * ratio + 0.5)
    tx = _randint(-sx, sx + 1, (b, 1, 1), x, generator)
    ty = _randint(-sy, sy + 1, (b, 1, 1), x, generator)
    gb, gx, gy = torch.meshgrid(
        torch.arange(b, device=x.device), torch.arange(h, device=x.device), torch.arange(w, device=x.device),
        indexing="ij",
    )
    gx = torch.clamp(gx + tx + 1, 0, h + 1)
    gy = torch.clamp(gy + ty + 1, 0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])
    return padded.permute(0, 2, 3, 1)[gb, gx, gy].permute(0, 3, 1, 2)


def aug_cutout(x, generator=None, ratio: float = 0.5):
    """Zero a random square of ``ratio`` times the image size in each image."""
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ox = _randint(0, h + (1 - ch % 2), (b, 1, 1), x, generator)
    oy = _randint(0, w + (1 - cw % 2), (b, 1, 1), x, generator)
    gb, gx, gy = torch.meshgrid(
        torch.arange(b, device=x.device), torch.arange(ch, device=x.device), torch.arange(cw, device=x.device),
        indexing="ij",
    )
    gx = torch.clamp(gx + ox - ch // 2, min=0, max=h - 1)
    gy = torch.clamp(gy + oy - cw // 2, min=0, max=w - 1)
    mask = torch.ones(b, h, w, dtype=x.dtype, device=x.device)
    mask[gb, gx, gy] = 0
    return x * mask.unsqueeze(1)


AUGMENT_FNS = {
    "color": [aug_brightness, aug_saturation, aug_contrast],
    "translation": [aug_translation],
    "cutout": [aug_cutout],
}


def diff_augment(x: torch.Tensor, policy: str = "color,translation,cutout", generator=None) -> torch.Tensor:
    """Apply the DiffAugment ``policy`` (comma-separated: color, translation, cutout) to a batch.

    Every operation is differentiable with respect to ``x``, so the generator's gradient flows
    through the augmentation. Each image gets its own random parameters.
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        raise ValueError(f"diff_augment needs a batch (B, C, H, W), got {getattr(x, 'shape', type(x).__name__)}")
    for name in _parse_policy(policy):
        for fn in AUGMENT_FNS[name]:
            x = fn(x, generator)
    return x.contiguous()


def _parse_policy(policy: str) -> list[str]:
    if not isinstance(policy, str):
        raise TypeError(f"policy must be a string like 'color,translation,cutout', got {type(policy).__name__}")
    names = [p.strip() for p in policy.split(",") if p.strip()]
    unknown = [p for p in names if p not in AUGMENT_FNS]
    if unknown:
        raise ValueError(f"unknown DiffAugment policy {unknown}; choose from {tuple(AUGMENT_FNS)} (comma-separated)")
    return names


class DiffAugment(nn.Module):
    """``DiffAugment("color,translation,cutout")(images)``: use the *same* module on real and fake
    batches before the discriminator (``D(aug(real))``, ``D(aug(G(z)))``), in both the D and the G
    step. It is differentiable, so G learns through it; D never sees un-augmented images, so it
    cannot memorise a small training set. ``enabled=False`` (or ``policy=""``) passes images through.
    """

    def __init__(self, policy: str = "color,translation,cutout", enabled: bool = True, seed: int | None = None):
        super().__init__()
        self.names = _parse_policy(policy)
        self.policy = ",".join(self.names)
        self.enabled = enabled
        self.generator = None if seed is None else torch.Generator().manual_seed(seed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.enabled or not self.names:
            return x
        return diff_augment(x, self.policy, self.generator)

    def extra_repr(self) -> str:
        return f"policy={self.policy!r}, enabled={self.enabled}"


# ---------------------------------------------------------------------------------------------
# Your own folder
# ---------------------------------------------------------------------------------------------
class ImageFolderError(ValueError):
    """A folder of images cannot be used as it is; the message says which file and why."""


def _open_rgb(path: Path) -> Image.Image:
    """Open and fully decode one image (catches truncated files), or raise ImageFolderError."""
    try:
        with Image.open(path) as pil:
            pil.load()
            return pil.convert("RGB")
    except UnidentifiedImageError:
        raise ImageFolderError(
            f"'{path}' is not an image PIL can read. Move it out of the folder (or pass skip_bad=True "
            f"to skip it with a warning). Supported: {', '.join(IMAGE_EXTENSIONS)}."
        ) from None
    except (OSError, SyntaxError) as error:
        raise ImageFolderError(
            f"'{path}' is damaged ({error}); it is probably truncated (an interrupted copy or download). "
            "Replace or delete it (or pass skip_bad=True to skip it with a warning)."
        ) from None


class ImageFolderDataset(Dataset):
    """Every image under ``root`` (searched recursively), through ``make_transform(size, ...)``.

    Item i is a float tensor (3, size, size) in [-1, 1]. Files are sorted by path, so the order is
    reproducible. Hidden files (names starting with '.', e.g. .DS_Store) are ignored; every other
    file must be a readable image: each file is decoded once when the dataset is made (``check``),
    so a non-image or a truncated file is reported at once, by name, not halfway through training.
    ``skip_bad=True`` skips such files with a warning that lists them.
    """

    def __init__(self, root, size: int = 64, crop: str = "center", flip: bool = False,
                 check: bool = True, skip_bad: bool = False, cache: bool = True):
        self.size = _check_size(size)
        self.root = Path(root).expanduser()
        if not self.root.exists():
            raise FileNotFoundError(f"image folder '{self.root}' does not exist. Create it and put .jpg/.png pictures in it.")
        if not self.root.is_dir():
            raise NotADirectoryError(f"'{self.root}' is a file, not a folder. Pass the folder that holds your pictures.")
        files = sorted(
            p for p in self.root.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(self.root).parts)
        )
        if not files:
            raise ImageFolderError(
                f"image folder '{self.root}' is empty. Put some pictures ({', '.join(IMAGE_EXTENSIONS)}) in it."
            )
        self.transform = make_transform(size, crop=crop, flip=flip)
        self._cache: dict[int, Image.Image] | None = {} if cache else None
        good, bad = [], []
        for path in files:
            if not check:
                good.append(path)
                continue
            try:
                pil = _open_rgb(path)
            except ImageFolderError as error:
                if not skip_bad:
                    raise
                bad.append((path, str(error)))
                continue
            if self._cache is not None:
                self._cache[len(good)] = _shrink(pil, size)
            good.append(path)
        if bad:
            warnings.warn(f"skipped {len(bad)} file(s) that are not readable images: "
                          + "; ".join(str(p) for p, _ in bad), stacklevel=2)
        if not good:
            raise ImageFolderError(f"image folder '{self.root}' holds no readable images (skipped {len(bad)}).")
        self.files = good
        self.skipped = [p for p, _ in bad]

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> torch.Tensor:
        if self._cache is not None and index in self._cache:
            pil = self._cache[index]
        else:
            pil = _open_rgb(self.files[index])
        return self.transform(pil)

    def all(self) -> torch.Tensor:
        """Every image as one batch (N, 3, size, size)."""
        return torch.stack([self[i] for i in range(len(self))])


def _shrink(pil: Image.Image, size: int) -> Image.Image:
    """Keep a smaller copy in memory (shorter side 2 x size) so big photos do not fill the RAM."""
    short = min(pil.size)
    if short > 2 * size:
        factor = 2 * size / short
        pil = pil.resize((max(1, round(pil.width * factor)), max(1, round(pil.height * factor))), Image.LANCZOS)
    return pil


def image_folder(path, size: int = 64, **kwargs) -> ImageFolderDataset:
    """Your own pictures as a dataset of (3, size, size) tensors in [-1, 1]: see ``ImageFolderDataset``."""
    return ImageFolderDataset(path, size=size, **kwargs)


# ---------------------------------------------------------------------------------------------
# Public datasets (the code path for when you have the files; never downloads)
# ---------------------------------------------------------------------------------------------
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
CELEBA_FILES = ("list_eval_partition.txt", "identity_CelebA.txt", "list_bbox_celeba.txt",
                "list_landmarks_align_celeba.txt", "list_attr_celeba.txt")


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
        steps.append(v2.Resize(_check_size(size), antialias=True))
    if channels == 3:
        steps.append(v2.RGB())
    steps += [v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.5] * channels, [0.5] * channels)]
    raw = Path(root).expanduser() / "MNIST" / "raw"
    try:
        return MNIST(str(Path(root).expanduser()), train=train, download=False, transform=v2.Compose(steps))
    except RuntimeError as error:
        missing = [f for f in MNIST_FILES if not (raw / f).exists()]
        raise FileNotFoundError(
            f"MNIST files not found under '{raw}' (missing: {', '.join(missing) or 'none, but they could not be read'}). "
            "This course never downloads; copy the four unpacked idx files there "
            "(gunzip the .gz files from the MNIST website or a torchvision cache)."
        ) from error


def celeba(root, split: str = "train", size: int = 64, verify: bool = True, target_type: str = "attr"):
    """torchvision's CelebA from files you already have: items (image (3, size, size) in [-1, 1], attrs).

    Never downloads. Expects ``root/celeba/img_align_celeba/*.jpg`` and the five text files
    ``list_eval_partition.txt``, ``identity_CelebA.txt``, ``list_bbox_celeba.txt``,
    ``list_landmarks_align_celeba.txt``, ``list_attr_celeba.txt`` in ``root/celeba/``.
    ``verify=True`` lets torchvision check the md5 sums of the text files (the real dataset);
    ``verify=False`` only checks that they are there (for your own files in the same layout, and
    for the tests, which write a tiny fake CelebA).
    """
    from torchvision.datasets import CelebA

    size = _check_size(size)
    if split not in ("train", "valid", "test", "all"):
        raise ValueError(f"split must be one of 'train', 'valid', 'test', 'all', got {split!r}")
    folder = Path(root).expanduser() / "celeba"
    missing = [f for f in CELEBA_FILES if not (folder / f).exists()]
    if not (folder / "img_align_celeba").is_dir():
        missing.append("img_align_celeba/ (the folder of aligned .jpg faces)")
    if missing:
        raise FileNotFoundError(
            f"CelebA files not found under '{folder}': missing {', '.join(missing)}. This course never "
            "downloads; copy the unpacked CelebA files there (from the CelebA website or a torchvision cache)."
        )
    transform = v2.Compose([v2.ToImage(), v2.RGB(), v2.Resize(size, antialias=True), v2.CenterCrop(size),
                            v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.5] * 3, [0.5] * 3)])

    class _CelebA(CelebA):
        def _check_integrity(self) -> bool:
            if verify:
                return super()._check_integrity()
            return all((folder / f).exists() for f in CELEBA_FILES) and (folder / "img_align_celeba").is_dir()

    try:
        return _CelebA(str(Path(root).expanduser()), split=split, target_type=target_type, transform=transform, download=False)
    except RuntimeError as error:
        raise FileNotFoundError(
            f"CelebA files under '{folder}' failed torchvision's md5 check: they are incomplete or not the "
            "original files. Copy the original files again, or pass verify=False for your own files in "
            "CelebA's layout."
        ) from error


def data_root() -> Path:
    """Where public datasets are looked for by default: ``$GANCOURSE_DATA`` or ``~/gancourse_data``."""
    return Path(os.environ.get("GANCOURSE_DATA", "~/gancourse_data")).expanduser()
