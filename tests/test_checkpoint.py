"""Checkpoints: run checkpoints round-trip bit for bit, writes are atomic, loading is safe."""

import json
import os
import struct

import pytest
import torch

from gancourse import checkpoint, train
from gancourse.models import Discriminator, Generator


def small_dcgan(seed=0):
    torch.manual_seed(seed)
    return Generator(z_dim=8, image_size=16, channels=3, width=4), Discriminator(16, 3, 4)


def adam(model):
    return torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))


def test_checkpoint_round_trip_is_bit_exact(tmp_path):
    G, D = small_dcgan()
    state = train.fit(G, D, torch.rand(32, 3, 16, 16) * 2 - 1, 3, batch_size=8, progress=False)
    path = checkpoint.save_state(tmp_path / "ck.safetensors", state)
    G2, D2 = small_dcgan(seed=1)
    opt_g, opt_d = adam(G2), adam(D2)
    meta = checkpoint.restore_checkpoint(path, G=G2, D=D2, opt_g=opt_g, opt_d=opt_d)
    assert meta["step"] == 3 and meta["history"]["step"] == [1, 2, 3]
    for a, b in zip(
        list(G.state_dict().values()) + list(D.state_dict().values()),
        list(G2.state_dict().values()) + list(D2.state_dict().values()),
    ):
        assert torch.equal(a, b)
    saved, loaded = state.opt_d.state_dict(), opt_d.state_dict()
    for index, entry in saved["state"].items():
        for key, value in entry.items():
            assert torch.equal(value, loaded["state"][index][key])
    assert loaded["param_groups"][0]["betas"] == (0.5, 0.999)
    rebuilt = checkpoint.build_model(path, "G_ema")
    assert isinstance(rebuilt, Generator) and rebuilt.config == G.config
    with open(path, "rb") as handle:
        assert b"pickle" not in handle.read(200)


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    G, D = small_dcgan()
    path = checkpoint.save_checkpoint(tmp_path / "ck.safetensors", G=G, D=D, step=1)
    before = path.read_bytes()
    with torch.no_grad():
        next(G.parameters()).add_(1.0)

    def interrupted(src, dst):
        raise KeyboardInterrupt  # Ctrl-C after the temp file was written, before the rename

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save_checkpoint(path, G=G, D=D, step=2)
    monkeypatch.undo()
    assert path.read_bytes() == before, "the old checkpoint must be intact"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.safetensors"], (
        "no temp file left behind"
    )
    assert checkpoint.load_checkpoint(path)[1]["step"] == 1


def test_checkpoint_errors(tmp_path):
    G, D = small_dcgan()
    with pytest.raises(ValueError, match=r"\.safetensors"):
        checkpoint.save_checkpoint(tmp_path / "ck.pt", G=G)
    with pytest.raises(FileNotFoundError):
        checkpoint.load_checkpoint(tmp_path / "missing.safetensors")
    path = checkpoint.save_checkpoint(tmp_path / "ck.safetensors", G=G)
    with pytest.raises(checkpoint.ArchitectureMismatchError, match="was built with"):
        checkpoint.restore_checkpoint(path, G=Generator(z_dim=8, image_size=16, width=8))
    with pytest.raises(KeyError, match="no 'D'"):
        checkpoint.restore_checkpoint(path, D=D)


def _rewrite_header(path, change):
    """Edit the JSON metadata of a safetensors file in place (what an attacker could do)."""
    data = path.read_bytes()
    size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + size])
    meta = json.loads(header["__metadata__"]["gancourse"])
    change(meta)
    header["__metadata__"]["gancourse"] = json.dumps(meta)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data[8 + size :])


@pytest.mark.parametrize(
    "cls",
    [
        "subprocess.Popen",
        "os.system",
        "builtins.eval",
        "gancourse.models.dcgan.torch",
        "gancourse.train.fit",
    ],
)
def test_build_model_refuses_classes_outside_gancourse_models(tmp_path, cls):
    G, _ = small_dcgan()
    path = checkpoint.save_checkpoint(tmp_path / "ck.safetensors", G=G)

    def point_at(meta):
        meta["models"]["G"]["class"] = cls
        meta["models"]["G"]["config"] = {"args": ["touch", str(tmp_path / "pwned")]}

    _rewrite_header(path, point_at)
    with pytest.raises(checkpoint.UnsafeClassError, match="gancourse.models"):
        checkpoint.build_model(path, "G")
    assert not (tmp_path / "pwned").exists()
    assert isinstance(checkpoint.build("gancourse.models.dcgan:Generator", G.config), Generator)


def test_truncated_checkpoint_is_a_clear_error(tmp_path):
    G, _ = small_dcgan()
    path = checkpoint.save_checkpoint(tmp_path / "ck.safetensors", G=G)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(checkpoint.CorruptCheckpointError, match="damaged or was cut short"):
        checkpoint.load_checkpoint(path)


def test_fit_checks_the_checkpoint_folder_before_training(tmp_path):
    G, D = small_dcgan()
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    calls = []
    with pytest.raises(checkpoint.CheckpointError, match="cannot write the checkpoint"):
        train.fit(
            G,
            D,
            torch.rand(8, 3, 16, 16) * 2 - 1,
            5,
            batch_size=4,
            progress=False,
            checkpoint=blocker / "run.safetensors",
            callbacks=[calls.append],
        )
    assert calls == [], "no step may run before the checkpoint folder is known to be writable"
    state = train.fit(
        G,
        D,
        torch.rand(8, 3, 16, 16) * 2 - 1,
        2,
        batch_size=4,
        progress=False,
        checkpoint=tmp_path / "new" / "folder" / "run.safetensors",
    )
    assert (
        checkpoint.load_checkpoint(tmp_path / "new" / "folder" / "run.safetensors")[1]["step"] == 2
    )
    assert state.step == 2


def test_a_diverged_run_keeps_the_last_good_checkpoint_and_says_where(tmp_path):
    """lr_g=1e8 keeps the losses finite for a while but fills BatchNorm statistics with inf: the
    run must stop with the last good checkpoint named, never overwrite it with the broken one."""
    G, D = small_dcgan()
    data = torch.rand(32, 3, 16, 16) * 2 - 1
    path = tmp_path / "run.safetensors"
    saved = {}

    def poison_after_step_2(state):
        if state.step == 3:  # callbacks run before the step's checkpoint: the file is step 2's
            saved["good"] = path.read_bytes()
            # what a 1e8 learning rate does to G's BatchNorm statistics:
            with torch.no_grad():
                G.blocks[0][1].running_var.fill_(float("inf"))

    with pytest.raises(
        FloatingPointError,
        match=r"NaN or inf .*Generator.*last good checkpoint "
        r"is .*run.safetensors \(step 2\)",
    ):
        train.fit(
            G,
            D,
            data,
            6,
            batch_size=8,
            progress=False,
            checkpoint=path,
            checkpoint_every=1,
            callbacks=[poison_after_step_2],
        )
    assert path.read_bytes() == saved["good"], "the good checkpoint must not be overwritten"
    assert checkpoint.load_checkpoint(path)[1]["step"] == 2
    G2, D2 = small_dcgan()
    with pytest.raises(FloatingPointError, match="no good checkpoint"):
        train.fit(G2, D2, data, 30, batch_size=8, progress=False, lr_g=1e8, lr_d=1e8)


def test_temp_files_of_a_killed_writer_are_removed(tmp_path):
    G, _ = small_dcgan()
    path = tmp_path / "ck.safetensors"
    dead = tmp_path / ".ck.safetensors.tmp-999999999"  # no such process
    dead.write_bytes(b"x" * 1000)
    live = tmp_path / f".ck.safetensors.tmp-{os.getppid()}"  # a live process: maybe still writing
    live.write_bytes(b"y")
    checkpoint.save_checkpoint(path, G=G)
    assert not dead.exists() and live.exists()
    assert checkpoint.load_checkpoint(path)[1]["step"] == 0
