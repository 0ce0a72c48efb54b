"""FID, KID, precision/recall: closed forms, floors, monotonic in corruption, clear errors."""

import numpy as np
import pytest
import torch

from gancourse import metrics


def gaussian(n, dim=8, shift=0.0, scale=1.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, dim, generator=g, dtype=torch.float64) * scale + shift


def test_fid_of_a_set_with_itself_is_zero():
    x = gaussian(500)
    assert metrics.fid(x, x) == pytest.approx(0.0, abs=1e-6)


def test_fid_closed_form_for_gaussians():
    """Same covariance: FID = ||μ1 - μ2||². Scaled isotropic: d (σ1 - σ2)² on top."""
    x = gaussian(4000, dim=4)
    assert metrics.fid(x, x + 1.0) == pytest.approx(4.0, rel=1e-6)
    assert metrics.fid(x, 2 * x) == pytest.approx(
        4 * (2 - 1) ** 2 * x.var(0).mean().item(), rel=0.05
    )


def test_fid_matches_scipy_sqrtm():
    from scipy import linalg

    a, b = gaussian(300, 6, seed=1), gaussian(300, 6, shift=0.3, scale=1.5, seed=2)
    mu1, mu2 = a.mean(0).numpy(), b.mean(0).numpy()
    s1, s2 = np.cov(a.numpy(), rowvar=False), np.cov(b.numpy(), rowvar=False)
    expected = ((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * linalg.sqrtm(s1 @ s2).real)
    assert metrics.fid(a, b) == pytest.approx(expected, rel=1e-6)


def test_fid_grows_with_the_shift():
    x = gaussian(400)
    values = [metrics.fid(x, gaussian(400, shift=s, seed=1)) for s in (0.0, 0.5, 1.0, 2.0)]
    assert values == sorted(values) and values[0] < 0.5 < values[-1]


def test_kid_is_unbiased_near_zero_for_the_same_distribution():
    mean, std = metrics.kid(gaussian(400, seed=1), gaussian(400, seed=2), subset_size=100)
    assert abs(mean) < 3 * std / np.sqrt(50) + 0.01
    shifted, _ = metrics.kid(gaussian(400, seed=1), gaussian(400, shift=1.0, seed=2))
    assert shifted > 0.1 > abs(mean)


def test_kid_does_not_depend_on_the_feature_scale():
    x, y = gaussian(300, seed=1), gaussian(300, shift=0.5, seed=2)
    assert metrics.kid(10 * x, 10 * y)[0] == pytest.approx(metrics.kid(x, y)[0], rel=1e-9)
    assert metrics.kid(x, y)[0] != pytest.approx(
        metrics.kid(x, 2 * y)[0], rel=1e-3
    )  # fake's own scale counts


def test_precision_recall_separate_quality_and_coverage():
    real = gaussian(600, 2)
    p, r = metrics.precision_recall(real, gaussian(600, 2, seed=1))
    assert p > 0.85 and r > 0.85
    collapsed = gaussian(600, 2, scale=0.1, seed=1)  # good samples, little variety
    p, r = metrics.precision_recall(real, collapsed)
    assert p > 0.9 and r < 0.3
    off = gaussian(600, 2, shift=6.0, seed=1)  # far away: bad quality
    p, r = metrics.precision_recall(real, off)
    assert p < 0.05 and r < 0.05


def faces(n, seed):
    # random smooth "images" in [-1, 1]
    g = torch.Generator().manual_seed(seed)
    low = torch.rand(n, 3, 4, 4, generator=g) * 2 - 1
    return torch.nn.functional.interpolate(low, size=16, mode="bilinear", align_corners=False)


def test_random_features_are_fixed_and_metrics_see_corruption():
    ext = metrics.RandomFeatures(seed=0)
    x = faces(8, 0)
    assert torch.equal(ext(x), metrics.RandomFeatures(seed=0)(x))
    assert not torch.equal(ext(x), metrics.RandomFeatures(seed=1)(x))
    assert ext(x).shape == (8, 64) and not any(p.requires_grad for p in ext.parameters())
    real, same = faces(300, 1), faces(300, 2)
    noisy = (
        same + 0.5 * torch.randn(same.shape, generator=torch.Generator().manual_seed(3))
    ).clamp(-1, 1)
    floor, corrupted = metrics.fid(real, same, ext), metrics.fid(real, noisy, ext)
    assert corrupted > 3 * floor
    scores = metrics.evaluate(real, noisy, ext)
    assert set(scores) == {"fid", "kid", "kid_std", "precision", "recall"}
    assert scores["fid"] == pytest.approx(corrupted)


def test_any_callable_extractor():
    flat = lambda images: images.flatten(1)  # noqa: E731
    x = faces(50, 0)[:, :, :4, :4]  # 48 features
    assert metrics.fid(x, x, flat) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(
    "bad,match",
    [
        (torch.rand(4, 3, 16, 16) * 255, r"\[0, 255\] pixels"),
        (torch.rand(4, 3, 16, 16) + 0.5, r"must be in \[-1, 1\]"),
        (torch.randint(0, 255, (4, 3, 16, 16), dtype=torch.uint8), "dtype torch.uint8"),
        (torch.full((4, 3, 16, 16), float("nan")), "NaN"),
        (torch.zeros(3, 16, 16), r"\(N, C, H, W\)"),
    ],
)
def test_bad_images_are_clear_errors(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        metrics.fid(faces(4, 0), bad, metrics.RandomFeatures())


def test_features_without_extractor_must_be_2d():
    with pytest.raises(ValueError, match="extractor=RandomFeatures"):
        metrics.fid(faces(4, 0), faces(4, 1))


def test_psnr_per_image_in_db():
    a = torch.rand(3, 3, 8, 8) * 2 - 1
    b = a.clone()
    b[0] += 0.02  # MSE 4e-4 -> 10 log10(4 / 4e-4) = 40 dB
    b[1] += 0.2  # MSE 4e-2 -> 20 dB
    out = metrics.psnr(a, b)
    assert out.shape == (3,) and out.dtype == torch.float32
    assert out[:2].tolist() == pytest.approx([40.0, 20.0], abs=1e-3) and out[2] == float("inf")
    assert metrics.psnr(a[0], b[0]).shape == ()
    assert f"{metrics.psnr(a[:2], b[:2]).mean():.1f}" == "30.0"  # one number for a set: the mean
    with pytest.raises(ValueError, match="same shape"):
        metrics.psnr(a, b[:2])
