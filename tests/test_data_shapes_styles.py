"""Shapes and painting styles: deterministic, in range, distinct, and the filter keeps the
picture."""

import pytest
import torch

from gancourse.data import faces, shapes, styles


def test_shapes_batch_and_labels():
    x, y = shapes.shape_batch(60, size=32, seed=0)
    assert x.shape == (60, 3, 32, 32) and y.shape == (60,) and y.dtype == torch.int64
    assert x.min() >= -1 and x.max() <= 1 and set(y.tolist()) == {0, 1, 2}
    assert torch.equal(x, shapes.shape_batch(60, size=32, seed=0)[0])
    assert not torch.equal(x, shapes.shape_batch(60, size=32, seed=1)[0])
    data = shapes.ShapesDataset(size=16, length=10, seed=3)
    assert len(data) == 10 and data[4][0].shape == (3, 16, 16)


def test_shapes_have_the_right_area():
    # Same size, centre and colour: circle area pi r^2 > square 2 r^2 > triangle (3 sqrt 3 / 4) r^2.
    x = shapes.render_shapes(torch.tensor([0, 1, 2]), size=64, radii=torch.full((3,), 0.6))
    area = ((x + 1) / 2)[:, 0].gt(0.5).float().mean((1, 2))  # orange is bright in red
    ratios = area / area[0]
    assert torch.allclose(
        ratios, torch.tensor([1.0, 2 / torch.pi, 3 * 3**0.5 / 4 / torch.pi]), atol=0.05
    )


def test_shapes_errors():
    with pytest.raises(ValueError, match="positive"):
        shapes.shape_batch(4, size=0)
    with pytest.raises(ValueError, match="labels must be 0..2"):
        shapes.render_shapes(torch.tensor([3]))


@pytest.mark.parametrize("name", styles.STYLE_NAMES)
def test_style_images_are_deterministic_and_distinct(name):
    a = styles.style_image(name, size=64, seed=1)
    assert a.shape == (3, 64, 64) and a.min() >= -1 and a.max() <= 1
    assert torch.equal(a, styles.style_image(name, size=64, seed=1))
    assert not torch.equal(a, styles.style_image(name, size=64, seed=2))
    a[:] = 0  # the cache hands out copies
    assert styles.style_image(name, size=64, seed=1).abs().sum() > 0


def test_styles_differ_from_each_other_and_from_the_scene():
    images = torch.stack(
        [styles.style_image(n, size=64, seed=0) for n in styles.STYLE_NAMES] + [styles.scene(64, 0)]
    )
    flat = images.flatten(1)
    dist = torch.cdist(flat, flat) / flat.shape[1] ** 0.5
    off = dist[~torch.eye(len(images), dtype=torch.bool)]
    assert off.min() > 0.1, "two styles look the same"


@pytest.mark.parametrize("name", styles.STYLE_NAMES)
def test_paint_filter_keeps_the_picture(name):
    x, _ = faces.face_batch(6, size=64, seed=0)
    y = styles.paint_filter(x, name)
    assert y.shape == x.shape and y.min() >= -1 and y.max() <= 1
    assert torch.equal(y, styles.paint_filter(x, name))
    assert (y - x).abs().mean() > 0.05, "the filter must change the look"

    # ... but keep the content: each painting's coarse light/dark layout correlates best with its
    # own photo.
    def layout(t):
        z = torch.nn.functional.avg_pool2d(t.mean(1, keepdim=True), 8).flatten(1)
        z = z - z.mean(1, keepdim=True)
        return z / z.norm(dim=1, keepdim=True)

    corr = layout(y) @ layout(x).T  # (6, 6)
    assert (corr.argmax(1) == torch.arange(6)).float().mean() >= 5 / 6, corr
    assert styles.paint_filter(x[0], name).shape == (3, 64, 64)


def test_style_errors():
    with pytest.raises(ValueError, match="unknown style.*brush"):
        styles.style_image("cubism")
    with pytest.raises(ValueError, match="positive"):
        styles.style_image("brush", size=-1)
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        styles.paint_filter(torch.zeros(2, 1, 32, 32))
