"""One loader for every user picture: the files people really have load as they look.

Each test writes the kind of file that went wrong before (issue 18, finding 5 and 6) and checks
the picture comes out as a person would see it, or that the error names the file and the fix.
"""

import os
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from gancourse.data import folders
from gancourse.style import prepare_photo


def _gradient(h=32, w=32):
    return np.tile(np.linspace(0, 1, w), (h, 1))  # left dark, right bright


def _mean(dataset):
    return dataset.all().mean().item()  # in [-1, 1]


def test_a_16_bit_png_keeps_its_tones(tmp_path):
    (tmp_path / "pics").mkdir()
    values = (_gradient() * 65535).astype(np.uint16)
    Image.fromarray(values).save(tmp_path / "pics" / "deep.png")  # mode I;16
    x = folders.image_folder(tmp_path / "pics", size=32).all()
    assert -0.2 < x.mean().item() < 0.2, "a mid-grey gradient must not come out white"
    assert x[0, 0, :, 0].mean() < -0.8 and x[0, 0, :, -1].mean() > 0.8


def test_a_float_tiff_is_not_black(tmp_path):
    (tmp_path / "pics").mkdir()
    Image.fromarray(_gradient().astype(np.float32)).save(tmp_path / "pics" / "f.tif")
    x = folders.image_folder(tmp_path / "pics", size=32).all()
    assert -0.2 < x.mean().item() < 0.2 and x.max() > 0.8


def test_a_phone_jpeg_is_turned_upright_by_its_exif_orientation(tmp_path):
    (tmp_path / "pics").mkdir()
    img = np.zeros((40, 80, 3), np.uint8)
    img[:, :40] = 255  # stored: white on the left, black on the right
    pil = Image.fromarray(img)
    exif = pil.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    pil.save(tmp_path / "pics" / "phone.jpg", exif=exif, quality=95)
    shown = folders.open_image(tmp_path / "pics" / "phone.jpg")
    assert shown.size == (40, 80), "displayed upright: 40 wide, 80 high"
    top = np.asarray(shown)[:20].mean()
    assert top > 200, "after the rotation the white half is on top"


def test_transparent_pixels_become_white_not_black(tmp_path):
    (tmp_path / "pics").mkdir()
    rgba = np.zeros((32, 32, 4), np.uint8)
    rgba[..., 3] = 0  # fully transparent (and black underneath)
    Image.fromarray(rgba).save(tmp_path / "pics" / "clear.png")
    assert _mean(folders.image_folder(tmp_path / "pics", size=16)) > 0.99


def test_symlinked_subfolders_are_followed_and_loops_end(tmp_path):
    real, pics = tmp_path / "elsewhere", tmp_path / "pics"
    real.mkdir()
    pics.mkdir()
    Image.new("RGB", (20, 20), "red").save(real / "a.png")
    Image.new("RGB", (20, 20), "blue").save(pics / "b.png")
    os.symlink(real, pics / "linked")
    os.symlink(pics, pics / "linked_back_up")  # a loop
    data = folders.image_folder(pics, size=16)
    assert [p.name for p in data.files] == ["b.png", "a.png"]


def test_a_picture_over_the_pixel_limit_names_the_file_and_can_be_skipped(tmp_path, monkeypatch):
    (tmp_path / "pics").mkdir()
    Image.new("RGB", (64, 64), "green").save(tmp_path / "pics" / "huge.png")
    Image.new("RGB", (8, 8), "red").save(tmp_path / "pics" / "small.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 64 x 64 = 4096 > 2 x 1000
    with pytest.raises(folders.ImageFolderError, match="huge.png.*too large.*MAX_IMAGE_PIXELS"):
        folders.image_folder(tmp_path / "pics", size=8)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 3000)  # over 1x: PIL only warns
    with pytest.warns(UserWarning, match="skipped 1"):
        data = folders.image_folder(tmp_path / "pics", size=8, skip_bad=True)
    assert [p.name for p in data.files] == ["small.png"]


def test_prepare_photo_reads_cmyk_ycbcr_and_paths_as_they_look(tmp_path):
    red = Image.new("RGB", (32, 32), (220, 30, 30))
    for converted in (red.convert("CMYK"), red.convert("YCbCr")):
        x = prepare_photo(converted)
        assert x[0].mean() > 0.6 and x[1].mean() < -0.6, f"{converted.mode} must stay red"
    red.convert("CMYK").save(tmp_path / "red.jpg")
    assert prepare_photo(tmp_path / "red.jpg")[0].mean() > 0.5
    assert prepare_photo(str(tmp_path / "red.jpg")).shape == (3, 32, 32)


def test_prepare_photo_refuses_lab_hsv_and_nan_with_the_fix():
    with pytest.raises(ValueError, match="LAB colour space.*convert it to RGB"):
        prepare_photo(Image.new("LAB", (32, 32)))
    with pytest.raises(ValueError, match="HSV colour space"):
        prepare_photo(Image.new("HSV", (32, 32)))
    bad = torch.rand(3, 32, 32)
    bad[0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        prepare_photo(bad)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert prepare_photo(torch.rand(3, 32, 32)).shape == (3, 32, 32)
