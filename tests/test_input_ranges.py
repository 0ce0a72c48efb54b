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
    with pytest.raises(ValueError, match="finite"):
        model(nan, style)
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
