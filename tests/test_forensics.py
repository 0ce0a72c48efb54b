"""Spectra, detectors, perturbations, the watermark and provenance records (gancourse.forensics)."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gancourse import forensics as fz
from gancourse.data import faces
from gancourse.forensics import provenance
from gancourse.forensics.watermark import Watermark
from gancourse.metrics import psnr


def cosine_image(n=32, fy=0, fx=5, channels=1):
    u = torch.arange(n, dtype=torch.float64)
    img = torch.cos(2 * math.pi * (fy * u[:, None] + fx * u[None, :]) / n).float()
    return img.expand(1, channels, n, n).clone()


@pytest.fixture(scope="module")
def face_sets():
    """Real renders vs 'fakes' upsampled from half resolution (nearest): an easy, known artefact."""

    def upsampled(seed, n):
        x, _ = faces.face_batch(n, 32, seed=seed)
        return F.interpolate(F.avg_pool2d(x, 2), scale_factor=2, mode="nearest")

    return {
        "real_train": faces.face_batch(96, 32, seed=1)[0],
        "fake_train": upsampled(2, 96),
        "real_test": faces.face_batch(64, 32, seed=3)[0],
        "fake_test": upsampled(4, 64),
    }


# ----------------------------------------------------------------------------- spectrum
def test_radius_map_is_zero_at_the_centre_and_symmetric():
    r = fz.radius_map(8, 8)
    assert r[4, 4] == 0 and r[4, 7] == 3 and r[0, 4] == 4 and r[0, 0] == round(math.sqrt(32))
    assert torch.equal(r[1:, 1:], r[1:, 1:].flip(0)) and torch.equal(r[1:, 1:], r[1:, 1:].T)


@pytest.mark.parametrize("fy,fx", [(0, 5), (3, 0), (3, 4), (0, 16)])
def test_a_pure_sinusoid_peaks_at_its_radius(fy, fx):
    profile = fz.spectrum_profile(cosine_image(32, fy, fx))
    assert profile.shape == (1, 17)
    assert profile[0].argmax().item() == round(math.hypot(fy, fx))
    assert profile[0].max() - profile[0].median() > 5  # orders of magnitude above the rest


def test_power_spectrum_obeys_parseval_and_is_centred():
    x = torch.randn(2, 3, 16, 16)
    power = fz.power_spectrum(x)
    gray = fz.to_gray(x)
    assert torch.allclose(power.sum((1, 2)), gray.square().sum((1, 2)), rtol=1e-4)
    const = torch.full((1, 1, 16, 16), 0.5)
    p = fz.power_spectrum(const)[0]
    assert p[8, 8] > 0 and p.sum() == pytest.approx(p[8, 8].item())  # all power at the centre (DC)


def test_profile_averages_rings_rather_than_summing():
    white = torch.randn(64, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    profile = fz.spectrum_profile(white).mean(0)
    # white noise: flat on average, whatever the number of pixels per ring (a sum would grow with r)
    assert (profile[1:].max() - profile[1:].min()).item() < 0.3


def test_log_of_zero_is_avoided():
    profile = fz.spectrum_profile(torch.zeros(1, 3, 16, 16))
    assert torch.isfinite(profile).all() and torch.allclose(
        profile, torch.full_like(profile, -10.0)
    )
    with pytest.raises(ValueError, match="eps"):
        fz.spectrum_profile(torch.zeros(1, 1, 16, 16), eps=0)


def test_to_gray_uses_luma_weights():
    x = torch.zeros(1, 3, 4, 4)
    x[:, 1] = 1.0
    assert torch.allclose(fz.to_gray(x), torch.full((1, 4, 4), 0.587))


def test_nearest_upsampling_leaves_a_high_frequency_gap(face_sets):
    real = fz.spectrum_profile(face_sets["real_test"]).mean(0)
    fake = fz.spectrum_profile(face_sets["fake_test"]).mean(0)
    # Averaging 2x2 blocks removes power near Nyquist; nearest upsampling puts mirrored copies back,
    # but not where the real renders have it: the profiles differ most at high frequencies.
    assert (real - fake)[:4].abs().max() < 0.5
    assert (real - fake)[-4:].abs().max() > 0.5


@pytest.mark.parametrize(
    "bad,error,match",
    [
        (np.zeros((1, 8, 8, 3), dtype=np.float32), TypeError, "torch.Tensor"),
        (torch.zeros(1, 8, 8, 3), ValueError, "permute"),
        (torch.zeros(1, 3, 8, 8, dtype=torch.uint8), TypeError, "uint8"),
        (torch.full((1, 3, 8, 8), float("nan")), ValueError, "NaN"),
        (torch.zeros(0, 3, 8, 8), ValueError, "empty"),
    ],
)
def test_bad_images_raise_clear_errors(bad, error, match):
    with pytest.raises(error, match=match):
        fz.spectrum_profile(bad)


# ----------------------------------------------------------------------------- perturbations
def test_perturbations_keep_shape_and_range(face_sets):
    x = face_sets["real_test"][:4]
    for name, f in fz.perturbations().items():
        y = f(x)
        assert y.shape == x.shape and y.min() >= -1 and y.max() <= 1, name
    assert (fz.jpeg(x, 95) - x).abs().mean() < 0.06  # close (chroma subsampling costs the most)
    assert (fz.jpeg(x, 10) - x).abs().mean() > (fz.jpeg(x, 90) - x).abs().mean()
    # blur removes high frequencies
    assert (
        fz.spectrum_profile(fz.gaussian_blur(x, 1.0))[:, -4:] < fz.spectrum_profile(x)[:, -4:] - 0.5
    ).all()
    assert fz.crop(x, 2, 3, 16, 20).shape == (4, 3, 16, 20)


def test_perturbation_errors():
    x = torch.zeros(1, 3, 16, 16)
    with pytest.raises(ValueError, match="quality"):
        fz.jpeg(x, 100)
    with pytest.raises(ValueError, match="does not fit"):
        fz.crop(x, 8, 0, 16, 16)
    with pytest.raises(ValueError, match="sigma"):
        fz.gaussian_blur(x, -1)
    with pytest.raises(ValueError, match="factor"):
        fz.rescale(x, 0)


# ----------------------------------------------------------------------------- detectors & metrics
def test_metrics_separate_ranking_from_calibration():
    labels = np.array([0, 0, 1, 1])
    perfect = fz.detection_metrics([0.1, 0.2, 0.8, 0.9], labels)
    assert perfect["accuracy"] == 1 and perfect["average_precision"] == 1
    # perfectly ranked but every score below 0.5: the threshold is wrong, not the ranking
    shy = fz.detection_metrics([0.01, 0.02, 0.2, 0.3], labels)
    assert shy["accuracy"] == 0.5 and shy["average_precision"] == 1 and shy["fake_accuracy"] == 0
    inverted = fz.detection_metrics([0.9, 0.8, 0.2, 0.1], labels)
    assert inverted["accuracy"] == 0 and inverted["average_precision"] < 0.6


def test_metrics_errors():
    with pytest.raises(ValueError, match="both present"):
        fz.detection_metrics([0.1, 0.2], [1, 1])
    with pytest.raises(ValueError, match="one score per label"):
        fz.detection_metrics([0.1, 0.2, 0.3], [0, 1])


@pytest.mark.parametrize("kind", ["spectrum", "both"])
def test_feature_detector_beats_chance(face_sets, kind):
    s = face_sets
    detector = fz.FeatureDetector(kind).fit(s["real_train"], s["fake_train"])
    result = fz.evaluate_detector(detector, s["real_test"], s["fake_test"])
    assert result["accuracy"] > 0.9 and result["average_precision"] > 0.9, result
    assert result["n"] == 128


def test_feature_detector_errors(face_sets):
    with pytest.raises(RuntimeError, match="fit"):
        fz.FeatureDetector().score(face_sets["real_test"])
    with pytest.raises(ValueError, match="kind"):
        fz.FeatureDetector("colour")
    with pytest.raises(ValueError, match="same"):
        fz.FeatureDetector().fit(face_sets["real_train"], face_sets["fake_train"][:, :, :16, :16])


def test_cnn_detector_learns_the_artefact(face_sets):
    s = face_sets
    detector = fz.train_cnn_detector(
        s["real_train"], s["fake_train"], steps=40, batch_size=32, width=4
    )
    result = fz.evaluate_detector(detector, s["real_test"], s["fake_test"])
    assert result["average_precision"] > 0.9, result
    scores = detector.score(s["real_test"][:3])
    assert scores.shape == (3,) and ((scores >= 0) & (scores <= 1)).all()


# ----------------------------------------------------------------------------- watermark
@pytest.fixture(scope="module")
def marked():
    images = faces.face_batch(48, 64, seed=10)[0]
    clean = faces.face_batch(40, 64, seed=11)[0]
    wm = Watermark("test-key", strength=0.03)
    wm.calibrate(clean, fpr=0.01, n_keys=4)  # 200 null scores
    return wm, images, wm.embed(images), clean


def test_watermark_is_invisible_and_detected(marked):
    wm, images, images_w, _ = marked
    assert psnr(images, images_w).min() > 35
    assert wm.detect(images_w).float().mean() > 0.95
    assert (
        wm.detect(images).float().mean() <= 0.05
    )  # unmarked, unseen images: near the calibrated 1 %


def test_watermark_needs_the_right_key(marked):
    wm, _, images_w, clean = marked
    other = Watermark("another-key", strength=0.03)
    other.calibrate(clean, fpr=0.01, n_keys=4)
    assert other.detect(images_w).float().mean() <= 0.05


def test_watermark_survives_mild_jpeg_and_blur(marked):
    wm, _, images_w, _ = marked
    assert wm.detect(fz.jpeg(images_w, 90)).float().mean() > 0.9
    assert wm.detect(fz.gaussian_blur(images_w, 0.7)).float().mean() > 0.8


def test_watermark_found_in_a_crop_by_searching_shifts(marked):
    wm, images, images_w, clean = marked
    cropped = fz.crop(images_w, 5, 9, 48, 48)
    assert wm.score(cropped).mean() < 2  # misaligned tiles: the plain score misses it
    search = Watermark("test-key", strength=0.03)
    search.calibrate(fz.crop(clean, 5, 9, 48, 48), fpr=0.01, n_keys=4, search_shifts=True)
    assert (
        search.detect(cropped).float().mean() > 0.6
    )  # 9 whole tiles left: weaker evidence, still found
    assert search.detect(fz.crop(images, 5, 9, 48, 48)).float().mean() <= 0.05


def test_watermark_errors():
    wm = Watermark(1)
    with pytest.raises(RuntimeError, match="calibrate"):
        wm.detect(torch.zeros(1, 3, 32, 32))
    with pytest.raises(ValueError, match="tile"):
        wm.embed(torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError, match="strength"):
        Watermark(1, strength=0)
    with pytest.raises(TypeError, match="key"):
        Watermark(1.5)
    with pytest.raises(ValueError, match="at least"):
        wm.calibrate(torch.zeros(2, 3, 32, 32), fpr=0.01, n_keys=2)


# ----------------------------------------------------------------------------- provenance
def test_provenance_png_round_trip_and_tamper_evidence(tmp_path):
    image = faces.face_batch(1, 32, seed=5)[0][0]
    record = provenance.make_record(image, "faces_dcgan64", seed=5, key="secret", edit="none")
    path = provenance.save_png(image, tmp_path / "face.png", record)
    loaded, loaded_record = provenance.load_image(path)
    assert loaded_record == record
    assert torch.allclose(loaded, image, atol=1 / 127.5)
    assert provenance.verify(loaded, loaded_record, key="secret") == {
        "has_record": True,
        "pixels_match": True,
        "signature_ok": True,
    }
    touched = loaded.clone()
    touched[0, 0, 0] += 0.5
    assert not provenance.verify(touched, loaded_record)["pixels_match"]
    forged = {**loaded_record, "generator": "a camera"}
    assert provenance.verify(loaded, forged, key="secret")["signature_ok"] is False
    assert provenance.verify(loaded, loaded_record, key="wrong")["signature_ok"] is False


def test_jpeg_strips_the_record_but_a_sidecar_keeps_it(tmp_path):
    from PIL import Image

    image = faces.face_batch(1, 32, seed=6)[0][0]
    record = provenance.make_record(image, "faces_dcgan64", seed=6)
    png = provenance.save_png(image, tmp_path / "face.png", record)
    jpg = tmp_path / "face.jpg"
    Image.open(png).convert("RGB").save(jpg, quality=90)
    again, again_record = provenance.load_image(jpg)
    assert again_record is None
    assert provenance.verify(again, again_record) == {
        "has_record": False,
        "pixels_match": False,
        "signature_ok": None,
    }
    provenance.write_sidecar(record, jpg)
    assert provenance.read_sidecar(jpg) == record
    assert not provenance.verify(again, provenance.read_sidecar(jpg))[
        "pixels_match"
    ]  # JPEG changed pixels


def test_provenance_errors(tmp_path):
    image = torch.zeros(3, 8, 8)
    with pytest.raises(ValueError, match="one image"):
        provenance.make_record(torch.zeros(2, 3, 8, 8), "g")
    with pytest.raises(ValueError, match="generator"):
        provenance.make_record(image, "")
    with pytest.raises(ValueError, match="overwrite"):
        provenance.make_record(image, "g", sha256="x")
    with pytest.raises(ValueError, match=".png"):
        provenance.save_png(image, tmp_path / "x.jpg")
    with pytest.raises(ValueError, match="schema"):
        provenance.verify(image, {"generator": "g"})
    assert provenance.pixel_sha256(image) == provenance.pixel_sha256(image.clone())
