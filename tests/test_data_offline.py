"""Nothing in gancourse.data opens a socket: every dataset, image and style loads with sockets
blocked."""

import socket

import pytest
import torch
from PIL import Image


class _Blocked(socket.socket):
    def __init__(self, *args, **kwargs):
        raise AssertionError("gancourse.data tried to open a network socket")


@pytest.fixture
def no_network(monkeypatch):
    monkeypatch.setattr(socket, "socket", _Blocked)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: _Blocked())
    with pytest.raises(AssertionError, match="socket"):
        socket.socket()  # the block works
    yield


def test_every_loader_works_offline(no_network, tmp_path):
    from gancourse.data import faces, folders, images, shapes, styles, toy2d

    for name in toy2d.TOY_NAMES:
        assert toy2d.sample_toy(name, 8, seed=0).shape == (8, 2)

    assert faces.face_batch(2, 32, seed=0)[0].shape == (2, 3, 32, 32)
    assert faces.FaceDataset(size=32, length=2)[0][0].shape == (3, 32, 32)
    assert shapes.shape_batch(2, 16)[0].shape == (2, 3, 16, 16)
    for name in images.REAL_IMAGES:
        assert images.load(name, size=16).shape == (3, 16, 16)
    assert images.lfw_subset().shape[0] == 200 and images.digits()[0].shape[0] == 1797
    with pytest.raises(images.ImageNotBundledError):
        images.load("eagle")  # a download-only image: a clear error, and still no socket
    for name in styles.STYLE_NAMES:
        assert styles.style_image(name, 32, seed=0).shape == (3, 32, 32)
        assert styles.paint_filter(torch.zeros(1, 3, 32, 32), name).shape == (1, 3, 32, 32)
    assert styles.scene(32).shape == (3, 32, 32)

    Image.new("RGB", (20, 20)).save(tmp_path / "a.png")
    assert len(folders.image_folder(tmp_path, 16)) == 1
    with pytest.raises(FileNotFoundError):
        folders.mnist(tmp_path / "none")  # never tries to download
    with pytest.raises(FileNotFoundError):
        folders.celeba(tmp_path / "none")
