"""Wrong value ranges are named, not silently turned into white images or meaningless scores.

Each case is one of issue 18's findings (8): a float image in [0, 255] where [-1, 1] is expected,
[0, 1] images given to FID, uint8 given to the stylizer, slerp between opposite latents.
"""

import pytest
import torch

from gancourse import editing, forensics, metrics
from gancourse.forensics.watermark import Watermark
from gancourse.models.adain import AdaINStylizer


def pixels_0_255(n=2, size=32):
    return torch.rand(n, 3, size, size) * 255


def test_jpeg_and_watermark_refuse_0_255_floats_with_the_fix():
    with pytest.raises(ValueError, match=r"must be in \[-1, 1\].*x / 127.5 - 1"):
        forensics.jpeg(pixels_0_255())
    with pytest.raises(ValueError, match=r"must be in \[-1, 1\].*x / 127.5 - 1"):
        Watermark(key=1).embed(pixels_0_255())
    good = torch.rand(2, 3, 32, 32) * 2 - 1
    assert forensics.jpeg(good).shape == good.shape


def test_metrics_warn_on_images_that_look_like_0_1():
    real = torch.rand(64, 3, 16, 16)  # [0, 1]
    with pytest.warns(UserWarning, match=r"no value is negative.*x \* 2 - 1"):
        metrics.check_images(real)
    with pytest.raises(ValueError, match=r"\[0, 255\] pixels: use x / 127.5 - 1"):
        metrics.check_images(real * 255)


def test_the_stylizer_refuses_uint8_out_of_range_and_nan():
    model = AdaINStylizer(width=8).eval()
    style = torch.rand(1, 3, 32, 32) * 2 - 1
    with pytest.raises(TypeError, match="uint8.*prepare_photo"):
        model(torch.randint(0, 256, (1, 3, 32, 32), dtype=torch.uint8), style)
    with pytest.raises(ValueError, match=r"\[-1, 1\], got \[0.*, 25.*prepare_photo"):
        model(torch.rand(1, 3, 32, 32) * 255, style)
    nan = style.clone()
    nan[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN or inf values in style"):
        model(style, nan)
    with torch.no_grad():
        assert model(style, style).shape == (1, 3, 32, 32)


def test_slerp_between_opposite_latents_is_an_error_not_zero():
    z = torch.randn(8)
    with pytest.raises(ValueError, match="opposite directions"):
        editing.slerp(z, -z, 0.5)
    mid = editing.slerp(z, torch.randn(8), 0.5)
    assert mid.norm() > 0.1


def _with_nan(x):
    x = x.clone()
    x.view(-1)[0] = float("nan")
    return x


def test_nan_inputs_are_named_not_passed_through():
    from gancourse.data import faces
    from gancourse.models.dcgan import Generator
    from gancourse.style import adain

    with pytest.raises(ValueError, match="mask holds NaN"):
        editing.check_mask(_with_nan(torch.rand(16, 16)), 16)
    G = Generator(z_dim=8, image_size=16, channels=3, width=4).eval()
    with pytest.raises(ValueError, match="image holds NaN"):
        editing.invert(G, _with_nan(torch.rand(3, 16, 16) * 2 - 1), steps=1)
    with pytest.raises(ValueError, match="content hold NaN"):
        adain(_with_nan(torch.rand(1, 4, 8, 8)), torch.rand(1, 4, 8, 8))
    attrs = faces.sample_attributes(2, 0)
    with pytest.raises(ValueError, match="attributes hold NaN"):
        faces.render_faces(_with_nan(attrs), size=32)
    feats = torch.randn(20, 5)
    with pytest.raises(ValueError, match="fake features hold NaN"):
        metrics.precision_recall(feats, _with_nan(feats))


# ---------------------------------------------------------------------------------------------
# Every public function that takes images: NaN names the argument; 0..255 floats name the range
# seen and the fix. One row per function; ``None`` as range means it takes any signal (spectra).
# ---------------------------------------------------------------------------------------------
def _image_entry_points():
    import tempfile

    from gancourse import plot
    from gancourse.data import styles, transforms
    from gancourse.forensics import detectors, perturb, provenance, spectra
    from gancourse.models.classifier import AttributeClassifier
    from gancourse.models.dcgan import Generator
    from gancourse.style import background, texture, transfer

    G = Generator(z_dim=8, image_size=32, channels=3, width=4).eval()
    stylizer = AdaINStylizer(width=8).eval()
    classifier = AttributeClassifier({"smile": 0}, image_size=32).eval()
    extractor = metrics.RandomFeatures()
    folder = tempfile.mkdtemp()
    ok = torch.rand(8, 3, 32, 32) * 2 - 1
    return {
        "paint_filter": (lambda x: styles.paint_filter(x, "brush"), "images", True),
        "to_uint8": (transforms.to_uint8, "images", True),
        "diff_augment": (transforms.diff_augment, "x", True),
        "invert": (lambda x: editing.invert(G, x[0], steps=1), "image", True),
        "best_of_k": (lambda x: editing.inversion.best_of_k(G, x, k=2), "image", True),
        "attribute_scores": (lambda x: editing.attribute_scores(classifier, x), "images", True),
        "AttributeClassifier.predict": (classifier.predict, "x", True),
        "detector_features": (detectors.detector_features, "images", True),
        "FeatureDetector.fit": (lambda x: detectors.FeatureDetector().fit(x, ok), "real", True),
        "CNNDetector.score": (detectors.CNNDetector().score, "images", True),
        "gaussian_blur": (lambda x: perturb.gaussian_blur(x, 1.0), "images", True),
        "jpeg": (perturb.jpeg, "images", True),
        "rescale": (lambda x: perturb.rescale(x, 0.5), "images", True),
        "crop": (lambda x: perturb.crop(x, 0, 0, 16, 16), "images", True),
        "pixel_sha256": (lambda x: provenance.pixel_sha256(x[0]), "image", True),
        "make_record": (lambda x: provenance.make_record(x[0], "G", 0), "image", True),
        "save_png": (lambda x: provenance.save_png(x[0], f"{folder}/a.png"), "image", True),
        "power_spectrum": (spectra.power_spectrum, "images", False),
        "spectrum_profile": (spectra.spectrum_profile, "images", False),
        "Watermark.embed": (Watermark(key=1).embed, "images", True),
        "Watermark.score": (Watermark(key=1).score, "images", True),
        "fid": (lambda x: metrics.fid(ok, x, extractor=extractor), "fake", True),
        "kid": (lambda x: metrics.kid(ok, x, extractor=extractor, subset_size=4), "fake", True),
        "precision_recall": (
            lambda x: metrics.precision_recall(x, ok, extractor=extractor),
            "real",
            True,
        ),
        "psnr": (lambda x: metrics.psnr(ok, x), "b", True),
        "stylize": (lambda x: stylizer.stylize(x, ok[:1]), "content", True),
        "alpha_sweep": (
            lambda x: transfer.alpha_sweep(stylizer, ok[:1], x[:1], [0, 1]),
            "style_image",
            True,
        ),
        "prepare_photo": (lambda x: transfer.prepare_photo(x[0]), "photo", True),
        "image_grid": (plot.image_grid, "images", True),
        "to_png_bytes": (lambda x: plot.to_png_bytes(x[0]), "image", True),
        "foreground_mask": (
            lambda x: background.foreground_mask(x[0], "grace_hopper"),
            "photo",
            True,
        ),
        "blend_background": (
            lambda x: background.blend_background(ok[0], x[0], torch.ones(32, 32)),
            "styled",
            True,
        ),
        "synthesize_texture": (
            lambda x: texture.synthesize_texture(x[0].repeat(1, 2, 2), steps=1, size=32),
            "target",
            True,
        ),
    }


ENTRY_POINTS = _image_entry_points()


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_every_image_function_names_nan_and_the_wrong_range(name):
    function, argument, pixels = ENTRY_POINTS[name]
    images = torch.rand(8, 3, 32, 32) * 2 - 1
    with pytest.raises(ValueError, match=rf"(?i)(NaN.*\b{argument}\b|\b{argument}\b.*NaN)"):
        function(_with_nan(images))
    if pixels:
        with pytest.raises(ValueError, match=r"\[-1, 1\].*25\d"):
            function((images + 1) * 127.5)
    else:  # spectra take residuals and other signals: any finite range
        function((images + 1) * 127.5)
    function(images)  # and a good batch goes through


@pytest.mark.parametrize("name", ["to_uint8", "diff_augment", "psnr", "image_grid", "save_png"])
def test_a_generators_small_overshoot_is_still_accepted(name):
    function, _, _ = ENTRY_POINTS[name]
    function((torch.rand(8, 3, 32, 32) * 2 - 1) * 1.2)  # [-1.2, 1.2]: clamped, not refused


def test_texture_synthesis_names_a_size_too_small_for_its_features():
    from gancourse.style import texture

    with pytest.raises(ValueError, match="at least 24 x 24 pixels"):
        texture.synthesize_texture(torch.rand(3, 64, 64) * 2 - 1, steps=1, size=16)


def test_nan_in_latents_directions_numbers_and_features_is_named():
    from gancourse.models.dcgan import Generator
    from gancourse.style import statistics
    from gancourse.train import generate

    z, n = torch.randn(4, 8), torch.randn(8)
    G = Generator(z_dim=8, image_size=16, channels=3, width=4).eval()
    cases = {
        "z0": lambda: editing.lerp(_with_nan(z), z, 0.5),
        "z1": lambda: editing.slerp(z, _with_nan(z), 0.5),
        "t": lambda: editing.slerp(z, z.flip(0), float("nan")),
        "z": lambda: editing.truncate(_with_nan(z), 0.7),
        "psi": lambda: editing.truncate(z, float("inf")),
        "direction": lambda: editing.edit(z, _with_nan(n), 1.0),
        "alpha": lambda: editing.edit(z, n, float("nan")),
        "v": lambda: editing.normalize(_with_nan(n)),
        "keep direction": lambda: editing.orthogonalize(n, _with_nan(n.flip(0))),
        "A": lambda: editing.sefa(_with_nan(torch.randn(16, 8))),
        "fake features": lambda: metrics.fid_from_features(z, _with_nan(z)),
        "real features": lambda: metrics.kid_from_features(_with_nan(z), z, subset_size=2),
        "feat_b": lambda: statistics.content_distance(
            torch.rand(1, 2, 4, 4), torch.full((1, 2, 4, 4), float("nan"))
        ),
    }
    for name, call in cases.items():
        with pytest.raises(
            ValueError, match=rf"(?i)(NaN|inf|finite).*{name}|{name}.*(NaN|inf|finite)"
        ):
            call()
    with pytest.raises(ValueError, match="NaN or inf values in z"):
        generate(G, _with_nan(z))
