"""Preprocessing, DiffAugment, your own folder, and the public-dataset path on files written
here."""

import struct
import warnings

import pytest
import torch
from PIL import Image

from gancourse.data import folders
from gancourse.data import transforms as T


def test_normalize_denormalize_round_trip():
    x = torch.rand(2, 3, 5, 5)
    y = T.normalize(x)
    assert torch.allclose(y, x * 2 - 1) and torch.allclose(T.denormalize(y), x, atol=1e-6)
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    assert torch.allclose(T.denormalize(T.normalize(x, mean, std), mean, std), x, atol=1e-6)
    assert T.denormalize(torch.tensor([-1.5, 1.5])).tolist() == [0.0, 1.0]


def test_uint8_round_trip_is_exact_rounded_and_clamped():
    pixels = torch.arange(256, dtype=torch.uint8).view(1, 1, 16, 16)
    x = T.from_uint8(pixels)
    assert x.dtype == torch.float32 and x.min() == -1 and x.max() == 1
    assert torch.equal(T.to_uint8(x), pixels)  # v -> v / 127.5 - 1 -> round((x + 1) * 127.5) = v
    assert T.to_uint8(torch.tensor([-1.5, -1.0, 0.0, 0.999, 1.5])).tolist() == [0, 0, 128, 255, 255]
    assert T.to_uint8(torch.zeros(2, requires_grad=True)).dtype == torch.uint8
    with pytest.raises(TypeError, match="float images"):
        T.to_uint8(pixels)
    with pytest.raises(TypeError, match="uint8"):
        T.from_uint8(x)


def test_make_transform_resizes_crops_and_scales():
    pil = Image.new("RGB", (120, 80), (255, 0, 0))
    out = T.make_transform(32)(pil)
    assert out.shape == (3, 32, 32) and out.dtype == torch.float32
    assert torch.allclose(out[0], torch.ones(32, 32)) and torch.allclose(
        out[1], -torch.ones(32, 32)
    )
    grey = Image.new("L", (40, 40), 0)
    assert T.make_transform(16, crop="random", flip=True)(grey).shape == (3, 16, 16)
    with pytest.raises(ValueError, match="positive"):
        T.make_transform(0)
    with pytest.raises(ValueError, match="crop"):
        T.make_transform(16, crop="left")


def test_diff_augment_passes_gradients_and_changes_images():
    x = (torch.rand(8, 3, 32, 32) * 2 - 1).requires_grad_(True)
    aug = T.DiffAugment("color,translation,cutout", seed=0)
    y = aug(x)
    assert y.shape == x.shape and not torch.allclose(y, x)
    (y * torch.randn_like(y)).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    # Cutout zeroes a quarter of each image (a half-size square, clipped at the border at most).
    zeros = (T.diff_augment(torch.ones(16, 3, 32, 32), "cutout") == 0).float().mean((1, 2, 3))
    assert ((zeros > 0.05) & (zeros <= 0.26)).all()
    # Translation moves content but keeps it: the sum of a centred blob is unchanged.
    blob = torch.zeros(4, 1, 32, 32)
    blob[:, :, 12:20, 12:20] = 1
    moved = T.diff_augment(blob, "translation")
    assert torch.allclose(moved.sum((1, 2, 3)), blob.sum((1, 2, 3)))
    assert T.DiffAugment(enabled=False)(x) is x and T.DiffAugment("")(x) is x


def test_diff_augment_same_kind_on_real_and_fake_is_seeded():
    a, b = T.DiffAugment(seed=3), T.DiffAugment(seed=3)
    x = torch.rand(4, 3, 16, 16)
    assert torch.equal(a(x), b(x))
    with pytest.raises(ValueError, match="unknown DiffAugment policy.*colour"):
        T.DiffAugment("colour")


def _write_images(folder, n=3, size=(40, 30)):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.new("RGB", size, (40 * i, 100, 200)).save(folder / f"img{i}.png")


def test_own_folder_through_the_pipeline(tmp_path):
    _write_images(tmp_path / "photos")
    _write_images(tmp_path / "photos" / "more", n=2)
    (tmp_path / "photos" / ".DS_Store").write_bytes(b"\x00\x01")
    data = folders.image_folder(tmp_path / "photos", size=24)
    assert len(data) == 5 and data[0].shape == (3, 24, 24)
    assert data[0].min() >= -1 and data[0].max() <= 1
    assert data.all().shape == (5, 3, 24, 24)
    loader = torch.utils.data.DataLoader(data, batch_size=2)
    assert next(iter(loader)).shape == (2, 3, 24, 24)


def test_own_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        folders.image_folder(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(folders.ImageFolderError, match="empty"):
        folders.image_folder(tmp_path / "empty")
    _write_images(tmp_path / "ok")
    with pytest.raises(ValueError, match="positive"):
        folders.image_folder(tmp_path / "ok", size=0)
    with pytest.raises(ValueError, match="positive"):
        folders.image_folder(tmp_path / "ok", size=-3)

    _write_images(tmp_path / "text")
    (tmp_path / "text" / "notes.txt").write_text("not a picture")
    with pytest.raises(folders.ImageFolderError, match="notes.txt.*not an image"):
        folders.image_folder(tmp_path / "text")

    _write_images(tmp_path / "cut")
    Image.new("RGB", (64, 64), (10, 20, 30)).save(tmp_path / "cut" / "whole.jpg", quality=95)
    data = (tmp_path / "cut" / "whole.jpg").read_bytes()
    (tmp_path / "cut" / "broken.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(folders.ImageFolderError, match="broken.jpg.*truncated"):
        folders.image_folder(tmp_path / "cut")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        skipped = folders.image_folder(tmp_path / "cut", skip_bad=True)
    assert len(skipped) == 4 and skipped.skipped[0].name == "broken.jpg"
    assert any("broken.jpg" in str(w.message) for w in caught), "skipping must not be silent"


def _idx(path, array: torch.Tensor):
    dims = array.shape
    header = struct.pack(">I", 0x0800 + len(dims)) + b"".join(struct.pack(">I", d) for d in dims)
    path.write_bytes(header + array.to(torch.uint8).numpy().tobytes())


def test_mnist_on_written_idx_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="MNIST/raw.*never downloads"):
        folders.mnist(tmp_path)
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = torch.zeros(5, 28, 28, dtype=torch.uint8)
    images[:, 10:18, 10:18] = 255
    for split, n in (("train", 5), ("t10k", 3)):
        _idx(raw / f"{split}-images-idx3-ubyte", images[:n])
        _idx(raw / f"{split}-labels-idx1-ubyte", torch.arange(n))
    train = folders.mnist(tmp_path)
    x, y = train[2]
    assert len(train) == 5 and x.shape == (1, 28, 28) and y == 2
    assert x.min() == -1 and x.max() == 1
    test = folders.mnist(tmp_path, train=False, size=32, channels=3)
    assert len(test) == 3 and test[0][0].shape == (3, 32, 32)


def _write_celeba(root, n=5):
    folder = root / "celeba"
    (folder / "img_align_celeba").mkdir(parents=True)
    names = [f"{i:06d}.jpg" for i in range(1, n + 1)]
    for i, name in enumerate(names):
        Image.new("RGB", (178, 218), (50 * i, 80, 120)).save(folder / "img_align_celeba" / name)
    (folder / "list_eval_partition.txt").write_text(
        "".join(f"{nm} {0 if i < n - 2 else 2}\n" for i, nm in enumerate(names))
    )
    (folder / "identity_CelebA.txt").write_text(
        "".join(f"{nm} {i}\n" for i, nm in enumerate(names))
    )
    (folder / "list_bbox_celeba.txt").write_text(
        f"{n}\nimage_id x_1 y_1 width height\n" + "".join(f"{nm} 1 2 3 4\n" for nm in names)
    )
    (folder / "list_landmarks_align_celeba.txt").write_text(
        f"{n}\nlefteye_x lefteye_y righteye_x righteye_y nose_x nose_y "
        "leftmouth_x leftmouth_y rightmouth_x rightmouth_y\n"
        + "".join(f"{nm} " + " ".join(["10"] * 10) + "\n" for nm in names)
    )
    (folder / "list_attr_celeba.txt").write_text(
        f"{n}\nSmiling Eyeglasses\n"
        + "".join(f"{nm} {1 if i % 2 else -1} -1\n" for i, nm in enumerate(names))
    )


def test_celeba_on_written_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="list_attr_celeba.txt.*never"):
        folders.celeba(tmp_path)
    _write_celeba(tmp_path)
    # The real CelebA is checked by md5; our fake files fail that check with a clear message ...
    with pytest.raises(FileNotFoundError, match="md5"):
        folders.celeba(tmp_path)
    # ... and load through the same code path with verify=False.
    train = folders.celeba(tmp_path, size=32, verify=False)
    assert len(train) == 3
    x, attrs = train[1]
    assert x.shape == (3, 32, 32) and -1 <= x.min() and x.max() <= 1
    assert attrs.tolist() == [1, 0] and train.attr_names[:2] == ["Smiling", "Eyeglasses"]
    # (torchvision cannot index a split of exactly one image, so the fake test split has two)
    assert len(folders.celeba(tmp_path, split="test", verify=False)) == 2
    with pytest.raises(ValueError, match="split"):
        folders.celeba(tmp_path, split="val")
