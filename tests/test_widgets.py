"""gancourse.widgets: render callbacks are pure and deterministic, sliders change the picture,
controls carry the descriptions the browser tests look for, bad inputs are clear errors."""

import io

import pytest
import torch
from PIL import Image
from torch import nn

from gancourse import editing, widgets
from gancourse.data import faces
from gancourse.models.conditional import ConditionalGenerator
from gancourse.models.dcgan import Generator
from gancourse.plot import to_png_bytes


def _pixels(png: bytes) -> torch.Tensor:
    return torch.from_numpy(__import__("numpy").asarray(Image.open(io.BytesIO(png))).copy()).float()


@pytest.fixture(scope="module")
def G():
    torch.manual_seed(0)
    G = Generator(z_dim=16, image_size=32, width=8)
    for module in G.modules():
        if isinstance(module, nn.ConvTranspose2d):
            nn.init.normal_(module.weight, 0.0, 0.2)
    return G.eval().requires_grad_(False)


@pytest.fixture(scope="module")
def directions(G):
    return editing.sefa(G, k=3)[0]


def test_latent_explorer_controls_and_purity(G, directions):
    explorer = widgets.LatentExplorer(G, directions, seed=1)
    descriptions = [c.description for c in explorer.controls.values()]
    assert descriptions[:2] == ["seed", "truncation"]
    assert descriptions[2:] == ["direction 1", "direction 2", "direction 3"]
    state = {"seed": 3, "truncation": 0.7, "direction 1": 1.5}
    first = explorer.render(state)
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert explorer.render(dict(state)) == first  # pure: same state, same bytes
    fresh = widgets.LatentExplorer(G, directions)
    assert fresh.render(state) == first  # nothing hidden in the explorer's own state
    assert explorer.render({**state, "direction 1": -1.5}) != first
    assert explorer.render({**state, "seed": 4}) != first
    assert explorer.render({**state, "truncation": 0.2}) != first


def test_latent_explorer_slider_move_updates_the_image(G, directions):
    explorer = widgets.LatentExplorer(G, directions, seed=0)
    before = explorer.image.value
    explorer.controls["direction 1"].value = 2.0
    assert explorer.image.value != before
    assert explorer.image.value == explorer.render(explorer.state())
    explorer.controls["seed"].value = 5
    assert explorer.image.value == explorer.render(
        {"seed": 5, "truncation": 1.0, "direction 1": 2.0}
    )


def test_latent_explorer_truncation_zero_ignores_the_seed(G, directions):
    explorer = widgets.LatentExplorer(G, directions)
    assert explorer.render({"seed": 1, "truncation": 0.0}) == explorer.render(
        {"seed": 2, "truncation": 0.0}
    )


def test_latent_explorer_image_size_follows_scale(G, directions):
    explorer = widgets.LatentExplorer(G, directions, scale=3)
    assert Image.open(io.BytesIO(explorer.render({"seed": 0}))).size == (96, 96)


def test_latent_explorer_bad_inputs(G, directions):
    with pytest.raises(ValueError, match=r"\(k, 16\)"):
        widgets.LatentExplorer(G, torch.randn(3, 10))
    explorer = widgets.LatentExplorer(G, directions)
    with pytest.raises(KeyError, match="direction 9"):
        explorer.render({"direction 9": 1.0})
    with pytest.raises(TypeError, match="seed must be an int"):
        widgets.seed_latent("three", 16)


@pytest.fixture(scope="module")
def edit_setup(G):
    g = torch.Generator().manual_seed(0)
    dirs = {
        "smile": editing.normalize(torch.randn(16, generator=g)),
        "eye_size": editing.normalize(torch.randn(16, generator=g)),
    }
    mask = faces.attribute_region("smile", 32)
    inverted = torch.randn(16, generator=g)
    return dirs, mask, inverted


def test_edit_explorer_sliders_are_named_by_attribute(G, edit_setup):
    dirs, mask, inverted = edit_setup
    explorer = widgets.EditExplorer(G, dirs, sources={"my face": inverted}, regions={"mouth": mask})
    names = [c.description for c in explorer.controls.values()]
    assert names == ["start from", "seed", "smile", "eye_size", "region"]
    assert list(explorer.controls["start from"].options) == [explorer.SAMPLE, "my face"]


def test_edit_explorer_is_pure_and_sliders_change_bytes(G, edit_setup):
    dirs, mask, inverted = edit_setup
    explorer = widgets.EditExplorer(G, dirs, sources={"my face": inverted}, regions={"mouth": mask})
    state = {"seed": 2, "smile": 2.0}
    assert explorer.render(state) == explorer.render(dict(state))
    assert explorer.render(state) != explorer.render({"seed": 2, "smile": -2.0})
    assert explorer.render(state) != explorer.render({"seed": 2, "eye_size": 2.0, "smile": 2.0})
    from_inverted = explorer.render({"start from": "my face", "smile": 0.0})
    expected = to_png_bytes(G(inverted[None])[0], scale=explorer.scale)
    assert from_inverted == expected
    before = explorer.image.value
    explorer.controls["smile"].value = 3.0
    assert explorer.image.value != before and explorer.image.value == explorer.render(
        explorer.state()
    )


def test_edit_explorer_region_keeps_the_outside(G, edit_setup):
    dirs, mask, _ = edit_setup
    explorer = widgets.EditExplorer(G, dirs, regions={"mouth": mask}, scale=1)
    base = _pixels(explorer.render({"seed": 4}))
    whole = _pixels(explorer.render({"seed": 4, "smile": 3.0}))
    local = _pixels(explorer.render({"seed": 4, "smile": 3.0, "region": "mouth"}))
    far = editing.soften_mask(mask) < 1e-3  # well outside the (softened) mouth box
    inside = mask > 0.5
    assert (whole - base).abs()[far].max() > 0  # a global edit changes pixels outside the mouth
    assert (local - base).abs()[far].max() <= 1  # the masked edit does not (PNG rounding only)
    assert (local - base).abs()[inside].max() > 0


def test_edit_explorer_in_a_feature_space_with_units(G):
    fs = editing.FeatureSpace(G)
    g = torch.Generator().manual_seed(5)
    n = editing.normalize(torch.randn(fs.z_dim, generator=g))
    explorer = widgets.EditExplorer(fs, {"eye_size": n}, units={"eye_size": 2.5}, scale=1)
    h = fs.features(
        torch.randn(1, G.z_dim, generator=torch.Generator().manual_seed(3))
    )  # seed 3's face
    assert explorer.render({"seed": 3}) == to_png_bytes(
        G(torch.randn(1, G.z_dim, generator=torch.Generator().manual_seed(3)))[0], scale=1
    )
    assert explorer.render({"seed": 3, "eye_size": 2.0}) == to_png_bytes(
        fs(h + 5.0 * n)[0], scale=1
    )  # 2 units of 2.5
    with pytest.raises(ValueError, match="units"):
        widgets.EditExplorer(fs, {"eye_size": n}, units={"smile": 1.0})
    with pytest.raises(ValueError, match="units"):
        widgets.EditExplorer(fs, {"eye_size": n}, units={"eye_size": 0.0})


def test_edit_explorer_bad_inputs(G, edit_setup):
    dirs, mask, _ = edit_setup
    with pytest.raises(ValueError, match=r"mask must have shape \(32, 32\)"):
        widgets.EditExplorer(G, dirs, regions={"mouth": torch.ones(64, 64)})
    with pytest.raises(ValueError, match="d = 16"):
        widgets.EditExplorer(G, {"smile": torch.randn(10)})
    explorer = widgets.EditExplorer(G, dirs)
    with pytest.raises(KeyError, match="attributes with a slider"):
        explorer.render({"smiles": 1.0})
    with pytest.raises(KeyError, match="unknown start"):
        explorer.render({"start from": "nobody"})


@pytest.fixture(scope="module")
def cG():
    torch.manual_seed(0)
    G = ConditionalGenerator(
        z_dim=8, image_size=16, width=8, classes={"glasses": 2, "hair_color": 4}, embed_dim=4
    )
    for module in G.modules():
        if isinstance(module, nn.ConvTranspose2d):
            nn.init.normal_(module.weight, 0.0, 0.2)
    return G.eval().requires_grad_(False)


def test_attribute_toggles(cG):
    toggles = widgets.AttributeToggles(cG, n=3)
    assert [c.description for c in toggles.controls.values()] == ["seed", "glasses", "hair_color"]
    assert list(toggles.controls["glasses"].options) == ["no", "yes"]
    state = {"seed": 0, "glasses": "no", "hair_color": "black"}
    assert toggles.render(state) == toggles.render(dict(state))
    assert toggles.render(state) != toggles.render({**state, "glasses": "yes"})
    before = toggles.image.value
    toggles.controls["hair_color"].value = "red"
    assert toggles.image.value != before
    assert toggles.labels({"glasses": "yes", "hair_color": "red"}).tolist() == [[1, 3]] * 3
    with pytest.raises(ValueError, match="one of"):
        toggles.render({"glasses": "maybe"})
    with pytest.raises(TypeError, match="not a conditional generator"):
        widgets.AttributeToggles(Generator(z_dim=8, image_size=16, width=8))
