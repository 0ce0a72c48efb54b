"""Style models: AdaIN stylizer, style-based generator and mixing, pix2pix, CycleGAN; their
widgets."""

import math

import pytest
import torch
import torch.nn.functional as F

from gancourse import editing
from gancourse.models import adain, cyclegan, pix2pix, stylegan
from gancourse.style import mean_std


@pytest.fixture(scope="module")
def stylizer():
    torch.manual_seed(0)
    return adain.AdaINStylizer(width=8).eval()


@pytest.fixture(scope="module")
def G():
    torch.manual_seed(0)
    G = stylegan.StyleGenerator(z_dim=16, w_dim=16, image_size=16, channels=[16, 16, 8]).eval()
    for (
        module
    ) in G.modules():  # a fresh G ignores w (affine weights start at 0): make the styles matter
        if isinstance(module, stylegan.ModulatedConv):
            torch.nn.init.normal_(module.affine.weight, std=0.5)
    return G


# ---- AdaIN stylizer ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(32, 32), (48, 64), (64, 40)])
def test_stylizer_shapes(stylizer, size):
    c, s = torch.rand(2, 3, *size) * 2 - 1, torch.rand(1, 3, 32, 32) * 2 - 1
    feats = stylizer.encode(c)
    assert [f.shape[-2:] for f in feats] == [
        size,
        (size[0] // 2, size[1] // 2),
        (size[0] // 4, size[1] // 4),
    ]
    out = stylizer(c, s, alpha=0.7)
    assert out.shape == c.shape and out.abs().max() <= 1


def test_stylizer_alpha_0_decodes_the_content_features(stylizer):
    g = torch.Generator().manual_seed(0)
    c, s = (
        torch.rand(1, 3, 32, 32, generator=g) * 2 - 1,
        torch.rand(1, 3, 32, 32, generator=g) * 2 - 1,
    )
    with torch.no_grad():
        assert torch.allclose(stylizer(c, s, alpha=0.0), stylizer.decode(stylizer.encode(c)[-1]))
        t = stylizer.target(stylizer.encode(c)[-1], stylizer.encode(s)[-1], 1.0)
    mt, st = mean_std(t)
    ms, ss = mean_std(stylizer.encode(s)[-1])
    # std matches up to the eps in sqrt(var + eps), which matters only for near-constant channels
    assert torch.allclose(mt, ms, atol=1e-4) and torch.allclose(st, ss, atol=5e-3, rtol=5e-2)


def test_stylizer_interpolation_endpoints(stylizer):
    c, a, b = (torch.rand(1, 3, 32, 32) * 2 - 1 for _ in range(3))
    with torch.no_grad():
        assert torch.allclose(stylizer.interpolate(c, a, b, 0.0), stylizer(c, a), atol=1e-6)
        assert torch.allclose(stylizer.interpolate(c, a, b, 1.0), stylizer(c, b), atol=1e-6)


def test_stylizer_encoder_is_fixed_and_decoder_learns(stylizer):
    model = adain.AdaINStylizer(width=8)
    assert not any(p.requires_grad for p in model.encoder.parameters())
    enc_before = [p.clone() for p in model.encoder.parameters()]
    opt = torch.optim.Adam(model.decoder.parameters(), lr=1e-2)
    c, s = torch.rand(2, 3, 16, 16) * 2 - 1, torch.rand(2, 3, 16, 16) * 2 - 1
    first = None
    for _ in range(8):
        loss, terms = model.losses(c, s)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < first
    assert set(terms) == {"content", "style", "recon"}
    assert all(torch.equal(a, b) for a, b in zip(enc_before, model.encoder.parameters()))
    # same seed, same encoder: the shipped decoder fits the encoder rebuilt from the config
    assert all(
        torch.equal(a, b)
        for a, b in zip(adain.AdaINStylizer(width=8).encoder.parameters(), enc_before)
    )


def test_stylizer_bad_inputs(stylizer):
    with pytest.raises(ValueError, match="multiples of 4"):
        stylizer.encode(torch.zeros(1, 3, 30, 32))
    with pytest.raises(ValueError, match="prepare_photo"):
        stylizer.encode(torch.zeros(1, 4, 32, 32))


# ---- style-based generator -----------------------------------------------------------------------


def test_stylegan_shapes_and_layers(G):
    assert G.num_layers == 5 and G.layer_resolution == [4, 8, 8, 16, 16]
    z = torch.randn(3, 16)
    x = G(z, noise_seed=0)
    assert x.shape == (3, 3, 16, 16) and x.abs().max() <= 1
    ws = G.broadcast(G.map(z))
    assert ws.shape == (3, 5, 16)
    assert torch.allclose(G.synthesis(ws, noise_seed=0), x)
    big = stylegan.StyleGenerator(z_dim=8, w_dim=8, image_size=32, channels=[8, 8, 8, 8])
    assert big(torch.randn(2, 8)).shape == (2, 3, 32, 32)
    with pytest.raises(ValueError, match="one width per resolution"):
        stylegan.StyleGenerator(image_size=32, channels=[8, 8])


def test_modulated_conv_equals_weight_modulation_and_demodulation():
    torch.manual_seed(1)
    conv = stylegan.ModulatedConv(4, 5, w_dim=3)
    torch.nn.init.normal_(conv.affine.weight)
    x, w = torch.randn(2, 4, 6, 6), torch.randn(2, 3)
    out = conv(x, w)
    s = conv.affine(w)
    for b in range(2):
        wm = conv.weight * s[b].view(1, 4, 1, 1)  # modulate
        wd = wm / (wm.pow(2).sum((1, 2, 3), keepdim=True) + 1e-8).sqrt()  # demodulate
        assert torch.allclose(out[b : b + 1], F.conv2d(x[b : b + 1], wd, padding=1), atol=1e-5)


def test_mix_styles_uses_the_right_layers():
    wa, wb = torch.zeros(2, 4), torch.ones(2, 4)
    ws = stylegan.mix_styles(wa, wb, range(3, 7), 7)
    assert ws.shape == (2, 7, 4)
    assert torch.all(ws[:, :3] == 0) and torch.all(ws[:, 3:] == 1)
    with pytest.raises(ValueError, match="layer indices"):
        stylegan.mix_styles(wa, wb, [9], 7)


def test_style_mix_changes_only_what_the_layers_control(G):
    za, zb = torch.randn(1, 16), torch.randn(1, 16)
    with torch.no_grad():
        all_a = stylegan.style_mix(G, za, zb, crossover=G.num_layers)
        all_b = stylegan.style_mix(G, za, zb, crossover=0)
        mixed = stylegan.style_mix(G, za, zb, crossover=2)
    assert torch.allclose(all_a, G(za, noise_seed=0), atol=1e-6)
    assert torch.allclose(all_b, G(zb, noise_seed=0), atol=1e-6)
    assert not torch.allclose(mixed, all_a) and not torch.allclose(mixed, all_b)


def test_truncation(G):
    w = torch.randn(4, 16)
    avg = torch.full((16,), 0.5)
    assert torch.allclose(editing.truncate(w, 0.0, avg), avg.expand(4, 16))
    assert torch.allclose(editing.truncate(w, 1.0, avg), w)
    G.update_w_avg(n=64)
    z = torch.randn(3, 16)
    assert torch.allclose(G.map(z, 0.5), editing.truncate(G.map(z), 0.5, G.w_avg), atol=1e-6)
    z = torch.randn(5, 16)
    d1 = (G.map(z, 1.0) - G.w_avg).norm(dim=1)
    d5 = (G.map(z, 0.5) - G.w_avg).norm(dim=1)
    assert torch.allclose(d5, 0.5 * d1, atol=1e-5)


def test_stylegan_discriminator_shape():
    D = stylegan.StyleDiscriminator(image_size=16, width=8)
    assert D(torch.randn(3, 3, 16, 16)).shape == (3,)


# ---- style mixing measurement --------------------------------------------------------------------


def test_attribute_from_rules():
    from gancourse.style.mixing import attribute_from

    mix, a, b = (
        torch.tensor([1.0, 2.0, 0.0]),
        torch.tensor([1.0, 1.0, 0.0]),
        torch.tensor([2.0, 2.0, 0.0]),
    )
    assert attribute_from(mix, a, b, continuous=False).tolist() == [True, False, True]
    cont = attribute_from(
        torch.tensor([0.1, 0.5, 0.9]),
        torch.tensor([0.0, 0.0, 0.0]),
        torch.tensor([1.0, 1.0, 1.0]),
        continuous=True,
    )
    assert cont.tolist() == [True, True, False]  # 0.5 is a tie: counts for the right parent


def test_selection_rates_equal_one_mixing_rate_per_crossover():
    """The shared-A/B shortcut gives exactly what mixing_rate gives crossover by crossover
    (seed 1)."""
    from gancourse import zoo
    from gancourse.style import mixing

    G, classifier = (
        zoo.load("faces_stylegan", device="cpu"),
        zoo.load("face_classifier", device="cpu"),
    )
    rates = mixing.selection_rates(G, classifier, n=60)
    one_by_one = {
        c: mixing.mixing_rate(G, classifier, n=60, crossover=c, seed=1)["mixing_rate"]
        for c in range(1, G.num_layers)
    }
    assert rates == one_by_one
    assert len(set(rates.values())) > 1  # the crossover matters: not a constant


def test_score_mixes_names_wrong_shapes():
    from types import SimpleNamespace

    from gancourse.style.mixing import score_mixes

    classifier = SimpleNamespace(attribute_names=["hair_style", "hair_color"], continuous=[])
    good = torch.zeros(4, 2)
    with pytest.raises(ValueError, match=r"three \(N, 2\) tensors.*\(4, 3\)"):
        score_mixes(classifier, good, good, torch.zeros(4, 3))


# ---- pix2pix and CycleGAN ------------------------------------------------------------------------


@pytest.mark.parametrize("size", [32, 64])
def test_unet_and_patchgan_shapes(size):
    G = pix2pix.UNetGenerator(width=8, depth=4)
    x = torch.rand(2, 3, size, size) * 2 - 1
    y = G(x)
    assert y.shape == x.shape and y.abs().max() <= 1
    D = pix2pix.PatchDiscriminator(8)
    assert D(x, y).shape == (2, 1, size // 4 - 2, size // 4 - 2)
    with pytest.raises(ValueError, match="divisible by 16"):
        G(torch.zeros(1, 3, 40, 40))
    with pytest.raises(ValueError, match="conditional"):
        D(x)


def test_resize_upsampling_has_no_checkerboard_and_loads_by_config():
    """Odena et al. 2016: a transposed conv 4x4 stride 2 paints a 2-pixel pattern even on a flat
    input (its output pixels see 1 or 2 input pixels per axis); nearest x2 + conv 3x3 does not."""
    torch.manual_seed(0)
    flat = torch.ones(1, 8, 8, 8)
    for upsample, patterned in [("transpose", True), ("resize", False)]:
        up = torch.nn.Sequential(*pix2pix._upsampling_conv(8, 3, upsample, bias=False))
        inner = up(flat)[..., 2:-2, 2:-2]  # away from the zero padding
        spread = (inner - inner.mean((-2, -1), keepdim=True)).abs().max().item()
        assert (spread > 1e-3) == patterned, (upsample, spread)
    G = pix2pix.UNetGenerator(8, 3, upsample="resize")
    assert G.config == {"width": 8, "depth": 3, "upsample": "resize"}
    assert pix2pix.UNetGenerator(8, 3).config == {"width": 8, "depth": 3}  # old cards unchanged
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    assert G(x).shape == x.shape
    model = cyclegan.CycleGAN(8, 3, upsample="resize")
    assert cyclegan.CycleGAN(**model.config).state_dict().keys() == model.state_dict().keys()
    with pytest.raises(ValueError, match="'transpose' or 'resize'"):
        pix2pix.UNetGenerator(8, 3, upsample="bilinear")


def test_pix2pix_losses_closed_form():
    d_fake = torch.zeros(2, 1, 4, 4)  # logit 0: D says 50/50
    fake, target = torch.zeros(2, 3, 8, 8), torch.full((2, 3, 8, 8), 0.5)
    loss, terms = pix2pix.generator_loss(d_fake, fake, target, l1_weight=100.0)
    assert terms["adv"] == pytest.approx(math.log(2), rel=1e-5)
    assert terms["l1"] == pytest.approx(0.5)
    assert loss.item() == pytest.approx(math.log(2) + 100 * 0.5, rel=1e-5)
    assert pix2pix.discriminator_loss(d_fake, d_fake).item() == pytest.approx(
        2 * math.log(2), rel=1e-5
    )
    # the ablation's weights: L1 only, adversarial only
    l1_only, _ = pix2pix.generator_loss(d_fake, fake, target, l1_weight=100.0, adv_weight=0.0)
    adv_only, _ = pix2pix.generator_loss(d_fake, fake, target, l1_weight=0.0)
    assert l1_only.item() == pytest.approx(50.0, rel=1e-5)
    assert adv_only.item() == pytest.approx(math.log(2), rel=1e-5)


def test_pix2pix_train_step_moves_towards_the_target():
    torch.manual_seed(0)
    G, D = pix2pix.UNetGenerator(8, 3), pix2pix.PatchDiscriminator(8)
    opt_g, opt_d = torch.optim.Adam(G.parameters(), 2e-3), torch.optim.Adam(D.parameters(), 2e-4)
    x = torch.rand(4, 3, 16, 16) * 2 - 1
    y = -x
    first = F.l1_loss(G(x), y).item()
    for _ in range(10):
        out = pix2pix.train_step(G, D, opt_g, opt_d, x, y)
    assert out["l1"] < first


def test_pix2pix_without_the_adversarial_term_ignores_the_discriminator():
    """adv_weight = 0: G's update is the L1 gradient alone, whatever D says; D still trains."""
    x, y = torch.rand(2, 3, 16, 16) * 2 - 1, torch.rand(2, 3, 16, 16) * 2 - 1
    results = []
    for d_seed in (0, 1):
        torch.manual_seed(0)
        G = pix2pix.UNetGenerator(8, 3)
        torch.manual_seed(d_seed)
        D = pix2pix.PatchDiscriminator(8)
        opt_g, opt_d = torch.optim.SGD(G.parameters(), 0.1), torch.optim.SGD(D.parameters(), 0.1)
        before = [p.clone() for p in D.parameters()]
        pix2pix.train_step(G, D, opt_g, opt_d, x, y, adv_weight=0.0)
        assert any(not torch.equal(a, b) for a, b in zip(before, D.parameters()))
        results.append(G(x).detach())
    torch.testing.assert_close(results[0], results[1])  # two different D's, the same G


def test_cycle_and_identity_losses_closed_form():
    a, rec = torch.zeros(1, 3, 4, 4), torch.full((1, 3, 4, 4), 0.25)
    assert cyclegan.cycle_loss(a, rec).item() == pytest.approx(0.25)
    assert cyclegan.identity_loss(a, rec).item() == pytest.approx(0.25)
    assert cyclegan.ls_loss(torch.full((2, 1, 3, 3), 0.5), 1.0).item() == pytest.approx(0.25)
    with pytest.raises(ValueError, match="shape"):
        cyclegan.cycle_loss(a, torch.zeros(1, 3, 8, 8))


def test_cyclegan_generator_loss_terms_add_up():
    torch.manual_seed(0)
    model = cyclegan.CycleGAN(width=8, depth=2)
    D_a, D_b = cyclegan.make_discriminators(8)
    a, b = torch.rand(2, 3, 16, 16) * 2 - 1, torch.rand(2, 3, 16, 16) * 2 - 1
    loss, terms, (fake_b, fake_a) = cyclegan.generator_loss(
        model, D_a, D_b, a, b, lambda_cyc=10, lambda_id=5
    )
    assert loss.item() == pytest.approx(
        terms["adv"] + 10 * terms["cycle"] + 5 * terms["identity"], rel=1e-5
    )
    expected_cycle = F.l1_loss(model.G_ba(model.G_ab(a)), a) + F.l1_loss(
        model.G_ab(model.G_ba(b)), b
    )
    assert terms["cycle"] == pytest.approx(expected_cycle.item(), rel=1e-5)
    assert fake_b.shape == a.shape and torch.allclose(model(a), fake_b)
    out = cyclegan.train_step(
        model,
        D_a,
        D_b,
        torch.optim.Adam(model.parameters()),
        torch.optim.Adam(list(D_a.parameters()) + list(D_b.parameters())),
        a,
        b,
    )
    assert set(out) >= {"g_loss", "d_loss", "cycle", "identity"}


def test_cyclegan_noise_goes_into_the_round_trip_only():
    """With noise sigma the cycle term is |F(G(a) + sigma n) - a|: the same noise drawn by hand
    gives the same term; the adversarial term (of G(a) itself) does not change."""
    torch.manual_seed(0)
    model = cyclegan.CycleGAN(width=8, depth=2)
    D_a, D_b = cyclegan.make_discriminators(8)
    a, b = torch.rand(2, 3, 16, 16) * 2 - 1, torch.rand(2, 3, 16, 16) * 2 - 1
    _, clean, _ = cyclegan.generator_loss(model, D_a, D_b, a, b, 3.0, 0.0)
    torch.manual_seed(1)
    _, noisy, (fake_b, fake_a) = cyclegan.generator_loss(model, D_a, D_b, a, b, 3.0, 0.0, 0.5)
    torch.manual_seed(1)
    n_b, n_a = torch.randn_like(fake_b), torch.randn_like(fake_a)
    by_hand = F.l1_loss(model.G_ba(fake_b + 0.5 * n_b), a) + F.l1_loss(
        model.G_ab(fake_a + 0.5 * n_a), b
    )
    assert noisy["cycle"] == pytest.approx(by_hand.item(), rel=1e-5)
    assert noisy["cycle"] != pytest.approx(clean["cycle"], rel=1e-3)
    assert noisy["adv"] == pytest.approx(clean["adv"], rel=1e-6)
    with pytest.raises(ValueError, match="standard deviation"):
        cyclegan.generator_loss(model, D_a, D_b, a, b, noise=-0.1)


# ---- widgets: pure render callbacks --------------------------------------------------------------


def _png_size(data: bytes):
    from io import BytesIO

    from PIL import Image

    return Image.open(BytesIO(data)).size


def test_style_explorer_render_is_pure_and_alpha_matters(stylizer):
    from gancourse.widgets import StyleExplorer

    content = {"photo": torch.rand(3, 32, 32) * 2 - 1}
    styles = {"a": torch.rand(3, 32, 32) * 2 - 1, "b": torch.rand(3, 32, 32) * 2 - 1}
    ex = StyleExplorer(stylizer, content, styles)
    assert ex.controls["alpha"].description == "alpha"
    s0 = {"alpha": 0.0, "style": "a", "style 2": "(none)", "blend": 0.0, "content": "photo"}
    s1 = {**s0, "alpha": 1.0}
    assert ex.render(s1) == ex.render(s1)
    assert ex.render(s0) != ex.render(s1)
    assert ex.render(s1)[:3] == b"\xff\xd8\xff" and ex.image.format == "jpeg"  # photo-sized: JPEG
    assert _png_size(ex.render(s1)) == (32, 32)
    with torch.no_grad():
        assert torch.allclose(
            ex.stylized(s1), stylizer(content["photo"], styles["a"])[0], atol=1e-5
        )
        assert torch.allclose(
            ex.stylized({**s1, "style 2": "b", "blend": 1.0}),
            stylizer(content["photo"], styles["b"])[0],
            atol=1e-5,
        )
    assert ex.set(alpha=0.0) == ex.render(s0)
    with pytest.raises(KeyError, match="unknown controls"):
        ex.render({"strength": 1.0})
    with pytest.raises(ValueError, match="alpha"):
        ex.render({**s0, "alpha": 2.0})


def test_style_mixer_render(G):
    from gancourse.widgets import StyleMixer

    mixer = StyleMixer(G, seed_a=1, seed_b=2, scale=2)
    state = {"seed A": 1, "seed B": 2, "crossover": 3, "truncation": 1.0}
    assert mixer.render(state) == mixer.render(state)
    images = mixer.images(state)
    assert images.shape == (3, 3, 16, 16)
    all_a = mixer.images({**state, "crossover": G.num_layers})
    assert torch.allclose(all_a[2], all_a[0], atol=1e-6)  # crossover at the end: the mix is A
    assert mixer.render({**state, "crossover": 0}) != mixer.render(state)


def test_background_blender_render():
    from gancourse.widgets import BackgroundBlender

    photo, styled = torch.zeros(3, 16, 16), torch.ones(3, 16, 16)
    mask = torch.zeros(16, 16)
    mask[4:12, 4:12] = 1
    bb = BackgroundBlender(photo, {"s": styled}, mask)
    assert bb.controls["background"].description == "background"
    assert torch.equal(bb.blended({"background": 0.0, "style": "s"}), photo)
    full = bb.blended({"background": 1.0, "style": "s"})
    assert full[0, 0, 0] == 1 and full[0, 8, 8] == -1 + 1  # background restyled, subject kept
    assert bb.render({"background": 0.3, "style": "s"}) != bb.render(
        {"background": 0.9, "style": "s"}
    )
    assert (
        bb.render({"background": 0.3, "style": "s"})[:3] == b"\xff\xd8\xff"
        and bb.image.format == "jpeg"
    )
    with pytest.raises(ValueError, match="must match"):
        BackgroundBlender(photo, {"s": styled}, torch.ones(8, 8))
