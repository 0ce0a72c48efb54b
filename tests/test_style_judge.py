"""The style judge and the structure score (issue 19): the measures behind "it looks painted" and
"it is still the same picture"."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gancourse import style, zoo
from gancourse.data import images, pools, styles
from gancourse.models.judge import JUDGE_CLASSES, StyleJudge


class BrightnessJudge(nn.Module):
    """A judge whose verdict we know: "dark" where the patch's mean is below 0, else "photo"."""

    classes, patch = ("photo", "dark"), 32

    def forward(self, x):
        m = x.mean((1, 2, 3))
        return torch.stack([m, -m], 1) * 10


def half_dark(size=128):
    x = torch.full((1, 3, size, size), 0.5)
    x[..., size // 2 :] = -0.5  # right half dark
    return x


def test_patch_grid_cuts_the_patches_it_says():
    x = torch.rand(2, 3, 128, 96) * 2 - 1
    tiles = style.patch_grid(x, patch=64, stride=32)
    assert tiles.shape == (2, 3, 2, 3, 64, 64)
    assert torch.equal(tiles[1, 2, 1], x[1, :, 64:128, 32:96])
    with pytest.raises(ValueError, match="at least 64 x 64"):
        style.patch_grid(torch.zeros(1, 3, 48, 48), patch=64)


def test_verdicts_and_shares_follow_the_patches_and_the_mask():
    judge, x = BrightnessJudge(), half_dark()
    verdicts = style.patch_verdicts(judge, x, stride=32)[0]
    assert verdicts[0] == ["photo", "photo", "dark", "dark"]  # 32-px columns of 128 px
    right = torch.zeros(128, 128, dtype=torch.bool)
    right[:, 64:] = True
    assert style.style_share(judge, x, "dark", where=right, stride=32) == 1.0
    assert style.style_share(judge, x, "photo", where=~right, stride=32) == 1.0
    # at stride 16 a patch straddles the edge (half bright, half dark): it is left out
    assert style.style_share(judge, x, "dark", where=right, stride=16) == 1.0
    assert style.image_verdicts(judge, torch.cat([x.abs(), -x.abs()])) == ["photo", "dark"]
    assert style.style_share(judge, torch.cat([x.abs(), -x.abs()]), "photo") == 0.5
    with pytest.raises(ValueError, match="unknown class 'brush'"):
        style.style_share(judge, x, "brush")
    with pytest.raises(ValueError, match="where must be a mask"):
        style.style_share(judge, x, "dark", where=right[:64])


def test_structure_score_is_one_for_the_same_edges_and_low_for_other_pictures():
    a = images.load("chelsea", size=128)[None]
    b = images.load("coffee", size=128)[None]
    assert style.structure_score(a, a).item() == pytest.approx(1.0, abs=1e-5)
    assert style.structure_score(a, a * 0.5).item() == pytest.approx(1.0, abs=1e-5)  # contrast
    assert style.structure_score(a, b).item() < 0.3
    painted = styles.paint_filter(a, "woodblock", seed=1)
    assert style.structure_score(a, b).item() < style.structure_score(a, painted).item() < 1
    with pytest.raises(ValueError, match="same shape"):
        style.structure_score(a, b[..., :64, :64])


def test_the_judges_training_images_never_include_the_test_photos():
    train = pools.judge_images(6, 64, seed=0, kinds=("photo",))
    assert train.shape == (6, 3, 64, 64)
    tests = torch.stack([images.load(n, size=128) for n in pools.JUDGE_TEST_PHOTOS])
    for crop in train:  # no training crop is a crop of a test photo at that scale
        up = torch.nn.functional.interpolate(crop[None], size=128)
        assert (up - tests).abs().mean((1, 2, 3)).min() > 0.05
    with pytest.raises(ValueError, match="kinds"):
        pools.judge_images(2, 64, kinds=("paintings",))


def test_texture_distance_ignores_where_the_texture_is_but_not_a_blur():
    painted = styles.paint_filter(images.load("brick", size=128)[None], "hatching", seed=0)
    shifted = painted.roll(7, dims=-1)  # the same strokes, moved
    blurred = F.avg_pool2d(F.pad(painted, (2, 2, 2, 2), mode="replicate"), 5, stride=1)
    same = style.texture_distance(painted, painted)
    moved, soft = style.texture_distance(painted, shifted), style.texture_distance(painted, blurred)
    assert same.shape == (1,) and same.item() == pytest.approx(0.0, abs=1e-7)
    assert moved.item() < 0.1 * soft.item()
    assert (painted - shifted).abs().mean() > (painted - blurred).abs().mean()  # L1 says otherwise
    with pytest.raises(ValueError, match="same shape"):
        style.texture_distance(painted, painted[..., :64])


def test_translation_scores_reads_each_measure():
    judge = BrightnessJudge()
    photos = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0)) * 2 - 1
    outputs = torch.cat([torch.full((1, 3, 64, 64), -0.5), half_dark(64)])  # dark, half dark
    outputs[1, :, :32] = 0.5  # the top half bright too: 3/4 bright, judged "photo"
    target = outputs.flip(-1)
    scores = style.translation_scores(judge, outputs, photos, target, "dark")
    assert set(scores) == {"judged", "patches", "structure", "l1", "texture"}
    assert scores["judged"] == pytest.approx(0.5)  # the dark image, not the mostly bright one
    dark_patches = [
        sum(row.count("dark") for row in v) for v in style.patch_verdicts(judge, outputs)
    ]
    assert scores["patches"] == pytest.approx(sum(dark_patches) / (2 * 9))  # 3x3 patches each
    assert scores["l1"] == pytest.approx((outputs - target).abs().mean().item())
    assert scores["texture"] == pytest.approx(style.texture_distance(outputs, target).mean().item())
    expected = style.structure_score(outputs, photos).mean().item()
    assert scores["structure"] == pytest.approx(expected)
    with pytest.raises(ValueError, match="unknown class"):
        style.translation_scores(judge, target, photos, target, "cubism")
    with pytest.raises(ValueError, match="same shape"):
        style.translation_scores(judge, target[:1], photos, target, "photo")


def test_the_judge_checks_its_inputs():
    judge = StyleJudge()
    assert judge.classes == JUDGE_CLASSES and judge(torch.zeros(2, 3, 40, 40)).shape == (2, 6)
    with pytest.raises(ValueError, match=r"\[-1, 1\].*255"):
        judge.predict(torch.rand(2, 3, 64, 64) * 255)
    with pytest.raises(ValueError, match="at least 32"):
        StyleJudge(patch=16)


@pytest.fixture(scope="module")
def shipped_judge():
    return zoo.load("style_judge", device="cpu")


def test_the_shipped_judge_tells_each_held_out_painting_and_photo_apart(shipped_judge):
    """Held out: a test photo the judge never saw, painted at a seed its training never used."""
    photo = images.load("grace_hopper", size=256)[None]
    assert style.image_verdicts(shipped_judge, photo) == ["photo"]
    for name in styles.STYLE_NAMES:
        painted = styles.paint_filter(photo, name, seed=4242)
        assert style.image_verdicts(shipped_judge, painted) == [name], name
        assert style.style_share(shipped_judge, painted, name, where=torch.ones(256, 256)) > 0.8
