"""The feed-forward painter (model, recipe pieces, explorer) and style transfer by optimisation."""

import pytest
import torch

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


def test_texture_statistics_match_the_formula():
    from gancourse.models.judge import StyleJudge
    from gancourse.zoo.recipes.painter import texture_statistics

    critic = StyleJudge(width=4).eval()
    x = torch.rand(1, 3, 128, 64) * 2 - 1
    with torch.no_grad():
        stats = texture_statistics(critic, x)
        first = critic.body[0](x[:, :, 64:, :])  # the second 64-px patch's first layer
    assert len(stats) == len(critic.body)
    mean, std, gram = stats[0]
    assert mean.shape == (2, 4) and gram.shape == (2, 4, 4)
    f = first.flatten(2)[0]  # (C, HW)
    assert torch.allclose(mean[1], f.mean(1), atol=1e-5)
    assert torch.allclose(std[1], f.std(1), atol=1e-5)
    assert torch.allclose(gram[1], f @ f.T / f.shape[1], atol=1e-5)


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
