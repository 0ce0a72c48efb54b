"""Synthetic faces: deterministic, in range, every attribute visibly changes its own region."""

import pytest
import torch

from gancourse.data import faces


def test_attribute_table_is_consistent():
    assert faces.ATTRIBUTE_NAMES == tuple(faces.ATTRIBUTES)
    assert len(faces.ATTRIBUTE_NAMES) >= 8
    for spec in faces.ATTRIBUTES.values():
        assert spec.kind in {"continuous", "categorical"}
        if spec.kind == "categorical":
            assert spec.num_classes >= 2 and len(set(spec.classes)) == spec.num_classes
        else:
            assert spec.range == (0.0, 1.0)
    assert faces.ATTRIBUTES["hair_style"].classes == ("none", "short", "long")
    assert faces.ATTRIBUTES["glasses"].num_classes == 2


def test_sample_attributes_ranges_and_determinism():
    a = faces.sample_attributes(4000, 0)
    assert a.shape == (4000, faces.NUM_ATTRIBUTES) and a.dtype == torch.float32
    assert torch.equal(a, faces.sample_attributes(4000, 0))
    assert not torch.equal(a, faces.sample_attributes(4000, 1))
    torch.manual_seed(0)
    b = faces.sample_attributes(5)  # None: the global generator, seeded above
    torch.manual_seed(0)
    assert torch.equal(b, faces.sample_attributes(5))
    assert torch.equal(faces.sample_attributes(5, torch.Generator().manual_seed(0)), a[:5])
    for j, name in enumerate(faces.ATTRIBUTE_NAMES):
        spec, col = faces.ATTRIBUTES[name], a[:, j]
        if spec.kind == "continuous":
            assert col.min() >= 0 and col.max() <= 1 and col.std() > 0.25
        else:
            assert torch.equal(col, col.round())
            counts = torch.bincount(col.long(), minlength=spec.num_classes)
            assert len(counts) == spec.num_classes and counts.min() > 4000 / spec.num_classes * 0.8


@pytest.mark.parametrize("size", [32, 64, 128])
def test_render_shapes_dtype_range(size):
    images, attrs = faces.face_batch(6, size=size, seed=3)
    assert images.shape == (6, 3, size, size) and images.dtype == torch.float32
    assert images.min() >= -1 and images.max() <= 1
    assert (
        images.min() < -0.5 and images.max() > 0.9
    )  # dark pupils, white eyes: the full range is used
    assert attrs.shape == (6, faces.NUM_ATTRIBUTES)


def test_same_seed_same_pixels_and_dataset_matches_batch():
    a, _ = faces.face_batch(8, seed=5)
    b, _ = faces.face_batch(8, seed=5)
    c, _ = faces.face_batch(8, seed=6)
    assert torch.equal(a, b) and not torch.equal(a, c)
    data = faces.FaceDataset(size=64, length=8, seed=5)
    image, attrs = data[3]
    assert image.shape == (3, 64, 64) and attrs.shape == (faces.NUM_ATTRIBUTES,)
    assert torch.allclose(image, a[3], atol=1e-6)
    assert torch.allclose(data.batch([1, 3])[0][1], a[3], atol=1e-6)
    assert torch.equal(faces.FaceDataset(length=8, seed=5)[7][0], data[7][0])


def test_chunking_does_not_change_pixels():
    attrs = faces.sample_attributes(10, 2)
    assert torch.allclose(
        faces.render_faces(attrs, chunk=3), faces.render_faces(attrs, chunk=64), atol=1e-6
    )


def _pair(name, low, high, size=64, **base):
    return faces.render_face(size, **{**base, name: low}), faces.render_face(
        size, **{**base, name: high}
    )


@pytest.mark.parametrize(
    "name,low,high,base",
    [
        ("smile", 0.0, 1.0, {}),
        ("eye_size", 0.0, 1.0, {}),
        ("skin_tone", 0.0, 1.0, {}),
        ("head_tilt", 0.0, 1.0, {}),
        ("hair_color", "black", "blonde", {}),
        ("hair_color", "brown", "red", {"hair_style": "none"}),  # eyebrows still show the colour
        ("hair_style", "none", "long", {}),
        ("glasses", 0, 1, {}),
        ("background", "blue", "stripes", {}),
    ],
)
def test_each_attribute_changes_its_own_region(name, low, high, base):
    a, b = _pair(name, low, high, **base)
    diff = (a - b).abs().sum(0)  # (H, W)
    region = faces.attribute_region(name, 64).bool()
    inside, outside = diff[region].mean(), diff[~region].mean()
    assert (diff[region] > 0.3).sum() >= 10, f"{name}: no visible change inside its region"
    if name not in {"head_tilt", "hair_style", "skin_tone", "background"}:  # these act widely
        assert inside > 5 * outside, (
            f"{name}: the change leaks outside its region ({inside:.3f} vs {outside:.3f})"
        )


def test_smile_goes_from_frown_to_open_mouth():
    frown, smile = faces.render_face(128, smile=0.0), faces.render_face(128, smile=1.0)
    mouth = faces.attribute_region("smile", 128).bool()
    # An open smile shows teeth (near-white pixels) in the mouth box; a frown does not.
    white = lambda img: (img.min(0).values > 0.8)[mouth].sum().item()
    assert white(smile) > 20 and white(frown) == 0


def test_with_attributes_and_errors():
    base = faces.default_attributes(3)
    out = faces.with_attributes(base, smile=0.9, hair_color="red", glasses=True)
    j = faces.ATTRIBUTE_NAMES.index
    assert (
        out[:, j("smile")].eq(0.9).all()
        and out[:, j("hair_color")].eq(3).all()
        and out[:, j("glasses")].eq(1).all()
    )
    assert torch.equal(base, faces.default_attributes(3))  # a copy, not in place
    with pytest.raises(ValueError, match="unknown attribute.*smiel.*smile"):
        faces.with_attributes(base, smiel=0.5)
    with pytest.raises(ValueError, match="unknown attribute"):
        faces.render_face(beard=1)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        faces.render_face(smile=2.0)
    with pytest.raises(ValueError, match="class"):
        faces.render_face(hair_color="green")
    with pytest.raises(ValueError, match="class index"):
        faces.render_face(glasses=3)


@pytest.mark.parametrize("size", [0, -5])
def test_non_positive_size_is_a_clear_error(size):
    with pytest.raises(ValueError, match="positive"):
        faces.render_face(size)
    with pytest.raises(ValueError, match="positive"):
        faces.FaceDataset(size=size)


def test_bad_attribute_shapes():
    with pytest.raises(ValueError, match=r"shape \(n, 8\)"):
        faces.render_faces(torch.zeros(2, 3))
    with pytest.raises(TypeError):
        faces.render_faces([[0.5] * 8])
    assert faces.render_faces(torch.zeros(0, 8)).shape == (0, 3, 64, 64)


def test_describe_names_classes():
    d = faces.describe(faces.with_attributes(faces.default_attributes(1), hair_style=2))[0]
    assert d["hair_style"] == "long" and isinstance(d["smile"], float)


def test_rendering_restores_the_thread_setting():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        faces.face_batch(2, 32, seed=0)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
