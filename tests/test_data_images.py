"""Real images from installed packages: shapes, ranges, formats, clear errors for download-only
ones."""

import pytest
import torch
from PIL import Image

from gancourse.data import images


@pytest.mark.parametrize("name", list(images.REAL_IMAGES))
def test_every_bundled_image_loads_in_range(name):
    x = images.load(name, size=32)
    assert x.shape == (3, 32, 32) and x.dtype == torch.float32
    assert -1 <= x.min() < x.max() <= 1
    assert x.std() > 0.02, f"{name} is (almost) flat"
    assert images.REAL_IMAGES[name].__doc__ and any(
        word in images.REAL_IMAGES[name].__doc__ for word in ("public domain", "CC", "copyright")
    ), f"{name}: name its licence in the docstring"


def test_formats_and_channels():
    full = images.astronaut()
    assert full.shape == (3, 512, 512)
    u8 = images.astronaut(as_="uint8")
    assert u8.dtype == torch.uint8 and torch.allclose(u8.float() / 127.5 - 1, full)
    assert isinstance(images.chelsea(as_="pil"), Image.Image)
    assert images.camera(channels=1).shape == (1, 512, 512)
    grey3 = images.camera()
    assert torch.equal(grey3[0], grey3[1])  # grey repeated to 3 channels
    assert images.coffee(size=48).shape == (3, 48, 48)  # non-square photo: resize + centre crop


def test_lfw_and_digits():
    faces = images.lfw_subset()
    assert faces.shape == (200, 1, 25, 25) and faces.min() >= -1 and faces.max() <= 1
    only, labels = images.lfw_subset(faces_only=True, return_labels=True)
    assert only.shape[0] == 100 and labels.all()
    x, y = images.digits()
    assert x.shape == (1797, 1, 8, 8) and y.shape == (1797,) and set(y.tolist()) == set(range(10))
    assert x.min() == -1 and x.max() == 1


def test_download_only_image_is_a_clear_error():
    with pytest.raises(images.ImageNotBundledError, match="not bundled.*never downloads"):
        images.load("eagle")
    with pytest.raises(images.ImageNotBundledError, match="astronaut"):
        images.skimage_image("lily")


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"name": "nope"}, "unknown image"),
        ({"name": "astronaut", "size": 0}, "positive"),
        ({"name": "astronaut", "as_": "jpeg"}, "as_ must be"),
        ({"name": "astronaut", "channels": 2}, "channels"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        images.load(**kwargs)


def test_photo_batch():
    batch = images.photo_batch(16)
    assert batch.dim() == 4 and batch.shape[1:] == (3, 16, 16) and len(batch) >= 8
