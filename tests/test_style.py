"""gancourse.style: Gram matrix, mean/std, AdaIN, distances, random features, texture synthesis;
photo preparation (style.transfer), masks and blending (style.background)."""

import numpy as np
import pytest
import torch

from gancourse import style


def test_gram_matrix_matches_the_formula_and_is_normalised():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 4, 5, 6, generator=g)
    G = style.gram_matrix(x)
    expected = torch.einsum("bchw,bdhw->bcd", x, x) / (4 * 5 * 6)
    assert G.shape == (2, 4, 4)
    assert torch.allclose(G, expected, atol=1e-6)
    assert torch.allclose(G, G.transpose(1, 2))
    # normalised: tiling the image (more positions) leaves the Gram matrix unchanged
    assert torch.allclose(style.gram_matrix(x.repeat(1, 1, 2, 3)), G, atol=1e-5)


def test_gram_matrix_rejects_non_4d():
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        style.gram_matrix(torch.zeros(3, 4, 4))


def test_mean_std_per_channel_with_eps():
    x = torch.zeros(1, 2, 3, 3)
    x[0, 1] = torch.arange(9.0).view(3, 3)
    mean, std = style.mean_std(x, eps=1e-5)
    assert mean.shape == std.shape == (1, 2, 1, 1)
    assert torch.allclose(mean.flatten(), torch.tensor([0.0, 4.0]))
    assert std[0, 0].item() == pytest.approx(1e-5**0.5)  # flat channel: sqrt(eps), never 0
    assert std[0, 1].item() == pytest.approx(
        (torch.arange(9.0).var(unbiased=False) + 1e-5).sqrt().item()
    )


def test_adain_alpha_0_is_content_and_alpha_1_has_style_statistics():
    g = torch.Generator().manual_seed(1)
    c = torch.randn(2, 8, 6, 6, generator=g) * 3 + 1
    s = torch.randn(2, 8, 10, 10, generator=g) * 0.5 - 2
    assert torch.allclose(style.adain(c, s, alpha=0.0), c)
    out = style.adain(c, s, alpha=1.0)
    mo, so = style.mean_std(out)
    ms, ss = style.mean_std(s)
    assert torch.allclose(mo, ms, atol=1e-4) and torch.allclose(so, ss, atol=1e-3)
    half = style.adain(c, s, alpha=0.5)
    assert torch.allclose(half, 0.5 * out + 0.5 * c, atol=1e-6)


def test_adain_checks_its_inputs():
    with pytest.raises(ValueError, match="same channels"):
        style.adain(torch.zeros(1, 3, 4, 4), torch.zeros(1, 4, 4, 4))
    with pytest.raises(ValueError, match="alpha"):
        style.adain(torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4), alpha=1.5)


def test_distances_are_zero_on_equal_inputs_and_positive_otherwise():
    g = torch.Generator().manual_seed(2)
    a = [torch.randn(1, 4, 8, 8, generator=g)]
    b = [torch.randn(1, 4, 8, 8, generator=g) * 2 + 1]
    assert style.style_distance(a, a).item() == pytest.approx(0.0, abs=1e-10)
    assert style.style_distance(a, b).item() > 0.1
    assert style.gram_distance(a, b).item() > 0
    assert style.content_distance(a[0], b[0]).item() > 0


def test_random_multiscale_features_shapes_and_determinism():
    f1, f2 = (
        style.RandomMultiScaleFeatures(channels=8, seed=3),
        style.RandomMultiScaleFeatures(channels=8, seed=3),
    )
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    out = f1(x)
    assert [tuple(o.shape) for o in out] == [
        (1, 8, 32, 32),
        (1, 8, 16, 16),
        (1, 8, 8, 8),
        (1, 8, 4, 4),
    ]
    assert all(torch.equal(a, b) for a, b in zip(out, f2(x)))
    assert not any(p.requires_grad for p in f1.parameters())


def test_texture_synthesis_lowers_the_gram_distance():
    torch.manual_seed(0)
    target = torch.rand(3, 32, 32) * 2 - 1
    target[:, ::4] = -1  # stripes: a structured texture
    features = style.RandomMultiScaleFeatures(channels=16, scales=(1, 2))
    texture, history = style.synthesize_texture(target, features, size=32, steps=30, lr=0.05)
    assert texture.shape == (1, 3, 32, 32) and texture.abs().max() <= 1
    assert history[-1] < 0.2 * history[0]


# ---- transfer, background ------------------------------------------------------------------------


def test_prepare_photo_handles_grey_rgba_uint8_channels_last_and_large():
    grey = np.full((40, 60), 128, dtype=np.uint8)
    x = style.prepare_photo(grey)
    assert x.shape == (3, 40, 60) and x.dtype == torch.float32
    assert torch.allclose(x[0], x[1]) and abs(x.mean().item()) < 0.01
    rgba = np.zeros((32, 32, 4), dtype=np.uint8)
    rgba[..., 0] = 255
    rgba[..., 3] = 0  # fully transparent: composited on white
    assert torch.allclose(style.prepare_photo(rgba), torch.ones(3, 32, 32))
    with pytest.warns(UserWarning, match="resized"):
        big = style.prepare_photo(torch.rand(3, 1200, 900))
    assert max(big.shape[-2:]) <= style.MAX_SIZE and big.shape[-1] % 4 == 0
    assert style.prepare_photo(torch.rand(3, 100, 150), size=64).shape == (3, 64, 64)


def test_prepare_photo_errors_are_clear():
    with pytest.raises(ValueError, match="channels"):
        style.prepare_photo(torch.rand(5, 32, 32))
    with pytest.raises(ValueError, match=r"\[0, 1\] or \[-1, 1\]"):
        style.prepare_photo(torch.rand(3, 32, 32) * 255)
    with pytest.raises(ValueError, match="16 x 16"):
        style.prepare_photo(torch.rand(3, 8, 8))


def test_mask_shape_mismatch_is_a_clear_error():
    photo = torch.zeros(3, 32, 32)
    with pytest.raises(ValueError, match="must match"):
        style.blend_background(photo, photo, torch.ones(16, 16))


def test_blend_background_keeps_foreground_and_restyles_background():
    photo, styled = torch.zeros(3, 8, 8), torch.ones(3, 8, 8)
    mask = torch.zeros(8, 8)
    mask[:, :4] = 1
    out = style.blend_background(photo, styled, mask, strength=0.5)
    assert torch.all(out[:, :, :4] == 0) and torch.allclose(
        out[:, :, 4:], torch.full((3, 8, 4), 0.5)
    )
    assert torch.equal(style.blend_background(photo, styled, mask, 0.0), photo)


def test_feather_softens_edges_but_keeps_inside():
    mask = torch.zeros(32, 32)
    mask[8:24, 8:24] = 1
    soft = style.feather(mask, sigma=2.0)
    assert soft.shape == (1, 32, 32)
    assert soft[0, 16, 16] > 0.99 and soft[0, 0, 0] < 0.01
    assert 0.2 < soft[0, 16, 8] < 0.8  # the edge is soft


def test_foreground_mask_of_a_course_portrait_refines_the_outline():
    from gancourse.data import images

    photo = style.prepare_photo(images.load("grace_hopper"), size=128)
    rough = style.outline_mask("grace_hopper", (128, 128))
    mask = style.foreground_mask(photo, "grace_hopper", work_size=96)
    assert mask.shape == (128, 128) and mask.dtype == torch.bool
    agreement = (mask == rough).float().mean().item()
    assert 0.85 < agreement < 1.0  # close to the outline, but moved to the photo's edges
    assert mask[100, 64] and not mask[10, 5]  # body in, flag corner out
    with pytest.raises(ValueError, match="no course outline"):
        style.outline_mask("chelsea", (32, 32))


def test_foreground_mask_recovers_synthetic_people_from_a_hand_drawn_quality_outline():
    """Issue 19: the mask measured where the truth is known. The renderer gives the exact person
    mask; a rough outline (a 4-px polygon of it, each point moved up to 1 % of the image, as a
    person would draw it) is refined by the random walker to IoU >= 0.95 on every face."""
    import numpy as np
    from skimage import measure

    from gancourse.data import faces

    attributes = faces.sample_attributes(6, 12345)
    photos, truth = faces.render_faces(attributes, size=256), faces.person_mask(attributes, 256)
    assert 0.2 < truth.float().mean() < 0.6
    g = torch.Generator().manual_seed(0)
    for photo, person in zip(photos, truth):
        padded = np.pad(person.numpy().astype(float), 1)
        contour = max(measure.find_contours(padded, 0.5), key=len) - 1
        poly = measure.approximate_polygon(contour, tolerance=4)
        jitter = (torch.rand(len(poly), 2, generator=g) * 2 - 1) * 0.01
        outline = [
            (min(1.0, max(0.0, x / 255 + float(dx))), min(1.0, max(0.0, y / 255 + float(dy))))
            for (y, x), (dx, dy) in zip(poly, jitter)
        ]
        mask = style.foreground_mask(photo, outline)
        iou = ((mask & person).sum() / (mask | person).sum()).item()
        assert iou >= 0.95, iou
