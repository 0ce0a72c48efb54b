import matplotlib
import pytest
import torch
from PIL import Image

from gancourse import plot


def test_image_grid_maps_range_and_tiles():
    images = torch.full((6, 3, 8, 8), -1.0)
    images[0] = 1.0
    grid = plot.image_grid(images, nrow=3, padding=2)
    assert grid.shape == (3, 2 * 8 + 3 * 2, 3 * 8 + 4 * 2)
    assert grid.min() == 0.0 and grid.max() == 1.0
    assert grid[:, 2:10, 2:10].eq(1.0).all() and grid[:, 2:10, 12:20].eq(0.0).all()


def test_show_grid_has_title():
    ax = plot.show_grid(torch.rand(4, 1, 8, 8) * 2 - 1, title="noise")
    assert ax.get_title() == "noise"


def test_bad_shapes_are_explained():
    with pytest.raises(ValueError, match="permute"):
        plot.show_grid(torch.rand(2, 8, 8, 3))
    with pytest.raises(TypeError):
        plot.image_grid([1, 2, 3])


def test_plot_losses_labels_and_smoothing():
    ax = plot.plot_losses({"D": [1.0] * 20, "G": list(range(20))}, smooth=5)
    assert [line.get_label() for line in ax.get_lines()] == ["D", "G"]
    assert len(ax.get_lines()[1].get_xdata()) == 16
    assert ax.get_xlabel() == "step"


def test_png_bytes_round_trip():
    import io

    image = torch.linspace(-1, 1, 16).view(1, 1, 16).expand(3, 4, 16)
    data = plot.to_png_bytes(image, scale=2)
    pil = Image.open(io.BytesIO(data))
    assert pil.size == (32, 8)
    assert pil.getpixel((0, 0)) == (0, 0, 0) and pil.getpixel((31, 0)) == (255, 255, 255)


def test_jpeg_bytes_are_close_and_checked():
    import io

    import numpy as np

    image = torch.linspace(-1, 1, 64).view(1, 1, 64).expand(3, 64, 64)
    data = plot.to_jpeg_bytes(image, quality=90)
    pil = Image.open(io.BytesIO(data))
    assert pil.format == "JPEG" and pil.size == (64, 64)
    expected = np.linspace(0, 255, 64)[None, :, None]
    assert np.abs(np.asarray(pil, dtype=float) - expected).mean() < 3  # lossy, but close
    assert Image.open(io.BytesIO(plot.to_jpeg_bytes(image, scale=2))).size == (128, 128)
    with pytest.raises(ValueError, match="quality"):
        plot.to_jpeg_bytes(image, quality=100)
    with pytest.raises(ValueError, match="to_jpeg_bytes takes one image"):
        plot.to_jpeg_bytes(torch.zeros(2, 3, 8, 8))


def test_backend_is_headless():
    assert matplotlib.get_backend().lower() == "agg"
