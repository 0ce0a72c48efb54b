"""The feed-forward painter (model, recipe pieces, explorer) and style transfer by optimisation."""

import pytest
import torch
import torch.nn.functional as F

from gancourse import style
from gancourse.data import styles
from gancourse.models.painter import Painter


@pytest.fixture(scope="module")
def painter():
    torch.manual_seed(0)
    return Painter(width=4, blocks=2).eval()


@pytest.mark.parametrize("size", [(32, 32), (48, 64), (64, 40)])
def test_painter_keeps_the_size_and_range(painter, size):
    x = torch.rand(2, 3, *size) * 2 - 1
    with torch.no_grad():
        out = painter(x, "brush")
    assert out.shape == x.shape and out.abs().max() <= 1


def test_painter_styles_differ_and_alpha_blends_features(painter):
    # a fresh model's CIN tables are all equal: make each style's scale and shift its own
    torch.manual_seed(1)
    model = Painter(width=8, blocks=2).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(("gamma", "beta")):
                p.copy_(torch.randn_like(p))
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        brush, hatch = model(x, "brush"), model(x, "hatching")
        c = model.encode(x)
        assert not torch.allclose(model.transform(c, "brush"), model.transform(c, "hatching"))
        assert not torch.allclose(brush, hatch)
        assert torch.allclose(model(x, "brush", alpha=0.0), model.decode(c))
        t = model.transform(c, "brush")
        assert torch.allclose(model.mix(c, t, 0.25), 0.25 * t + 0.75 * c)
        both = model(torch.cat([x, x]), ["brush", "hatching"])
        assert torch.allclose(both, torch.cat([brush, hatch]), atol=1e-6)


def test_painter_checks_its_inputs(painter):
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    with pytest.raises(ValueError, match="style must be one of"):
        painter(x, "watercolour")
    with pytest.raises(ValueError, match="alpha"):
        painter(x, "brush", alpha=1.5)
    with pytest.raises(ValueError, match="photo"):
        painter(torch.rand(1, 1, 32, 32), "brush")
    with pytest.raises(ValueError, match="styles must be distinct"):
        Painter(styles=("a", "a"))
    assert Painter(**painter.config).config == painter.config


def test_the_canvas_is_cropped_for_crops_and_resized_for_other_sizes():
    torch.manual_seed(0)
    model = Painter(width=4, blocks=0, canvas=3).eval()  # no blocks: t = c + conv1x1(canvas)
    k = model.styles.index("hatching")
    with torch.no_grad():
        c = torch.randn(2, 16 + 48, 8, 8)  # 4w features, then the 48 folded pixel channels
        t = model.transform(c, "hatching", at=[(0, 0), (5, 17)])
        crops = torch.stack([model.canvas[k, :, :8, :8], model.canvas[k, :, 5:13, 17:25]])
        assert torch.allclose(t[:, :16], c[:, :16] + model.canvas_in(crops))
        assert torch.equal(t[:, 16:], c[:, 16:])  # the pixels pass untouched
        whole = model.transform(torch.zeros(1, 64, 64, 64), "hatching")  # a 256-px photo
        assert torch.allclose(whole[:, :16], model.canvas_in(model.canvas[k : k + 1]))
        half = model.transform(torch.zeros(1, 64, 32, 32), "hatching")  # a 128-px photo
        assert half.shape == (1, 64, 32, 32)
        small = F.interpolate(model.canvas[k : k + 1], size=(32, 32), mode="bilinear")
        assert torch.allclose(half[:, :16], model.canvas_in(small), atol=1e-6)  # resized
        assert not torch.allclose(t[:1], model.transform(c[:1], "brush", at=[(0, 0)]))


def test_the_fine_canvas_enters_the_decoder_with_weight_alpha():
    torch.manual_seed(0)
    model = Painter(width=4, blocks=1, canvas=2, fine_canvas=2).eval()
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    k = model.styles.index("brush")
    with torch.no_grad():
        c = model.encode(x)
        t = model.transform(c, "brush")
        assert torch.allclose(model(x, "brush", 0.0), model.decode(c))  # alpha 0: no canvas
        fine = F.interpolate(model.fine_canvas[k : k + 1], size=(32, 32), mode="bilinear")
        half = model.head(model.draw(model.mix(c, t, 0.5)) + 0.5 * model.fine_in(fine))
        assert torch.allclose(model(x, "brush", 0.5), half, atol=1e-6)
        crop = model.fine_canvas[k : k + 1, :, 8:40, 12:44]  # at (2, 3) in feature pixels
        ref = model.head(model.draw(t) + model.fine_in(crop))
        assert torch.allclose(model.decode(t, "brush", at=[(2, 3)]), ref, atol=1e-6)


@pytest.mark.parametrize("name", styles.STYLE_NAMES)
def test_one_seed_gives_one_stroke_layout_whatever_the_photo(name):
    # the recipe's premise: where the filter puts its strokes depends on the seed, not the photo
    red = torch.tensor([0.8, -0.6, -0.6]).view(3, 1, 1).expand(3, 64, 64)
    blue = torch.tensor([-0.6, -0.4, 0.8]).view(3, 1, 1).expand(3, 64, 64)

    def layout(x, seed):  # the painting of a flat colour, minus its mean: the strokes alone
        grey = styles.paint_filter(x, name, seed=seed).mean(0)
        return (grey - grey.mean()).flatten()

    same = torch.corrcoef(torch.stack([layout(red, 5), layout(blue, 5)]))[0, 1]
    other = torch.corrcoef(torch.stack([layout(red, 5), layout(red, 6)]))[0, 1]
    assert same > 0.95 and abs(other) < 0.2, (same, other)


def test_painter_explorer_caches_and_alpha_matters(painter):
    from gancourse.widgets import PainterExplorer

    photo = torch.rand(3, 32, 32) * 2 - 1
    ex = PainterExplorer(painter, {"photo": photo}, alpha=0.5)
    s1 = {"alpha": 1.0, "style": "brush", "photo": "photo"}
    s0 = {**s1, "alpha": 0.0}
    assert ex.render(s1) == ex.render(s1) and ex.render(s1)[:3] == b"\xff\xd8\xff"
    assert ex.render(s0) != ex.render(s1)
    with torch.no_grad():
        assert torch.allclose(ex.painted(s1), painter(photo[None], "brush")[0], atol=1e-5)
        assert torch.allclose(ex.painted(s0), painter.decode(painter.encode(photo[None]))[0])
    assert ex.set(alpha=0.0) == ex.render(s0)
    with pytest.raises(KeyError, match="unknown controls"):
        ex.render({"strength": 1.0})
    with pytest.raises(TypeError, match="feed-forward painter"):
        PainterExplorer(torch.nn.Linear(2, 2), {"photo": photo})


def test_painter_explorer_takes_one_painter_per_style(painter):
    from gancourse.widgets import PainterExplorer

    torch.manual_seed(1)
    solo = Painter(styles=("woodblock",), width=4, blocks=2).eval()
    photo = torch.rand(3, 32, 32) * 2 - 1
    ex = PainterExplorer({"brush": painter, "woodblock": solo}, {"photo": photo})
    assert list(ex.controls["style"].options) == ["brush", "woodblock"]
    with torch.no_grad():
        for name, model in (("brush", painter), ("woodblock", solo)):
            state = {"alpha": 1.0, "style": name, "photo": "photo"}
            assert torch.allclose(ex.painted(state), model(photo[None], name)[0], atol=1e-5)
        half = {"alpha": 0.5, "style": "woodblock", "photo": "photo"}
        assert torch.allclose(ex.painted(half), solo(photo[None], "woodblock", 0.5)[0], atol=1e-5)
    with pytest.raises(ValueError, match="paints only"):
        PainterExplorer({"brush": solo}, {"photo": photo})
    with pytest.raises(ValueError, match="style must be one of"):
        ex.painted({"style": "hatching"})


def test_transfer_by_optimisation_moves_style_and_keeps_the_photo_near():
    torch.manual_seed(0)
    photo = torch.rand(3, 48, 48) * 1.6 - 0.8
    target = styles.style_image("hatching", 48)
    features = style.RandomMultiScaleFeatures(channels=16, scales=(1, 2, 4))
    out, history = style.transfer_by_optimisation(photo, target, features, steps=40)
    assert out.shape == (1, 3, 48, 48) and out.abs().max() <= 1
    assert history["style"][-1] < 0.3 * history["style"][0]
    assert history["content"][0] == 0.0  # it starts from the photo
    with pytest.raises(ValueError, match="one RGB image"):
        style.transfer_by_optimisation(torch.rand(2, 3, 48, 48), target, features)
