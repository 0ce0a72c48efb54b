"""The training loop: gradient isolation of each step, the NaN guard, EMA, checkpoints, resume."""

import os

import pytest
import torch

from gancourse import train
from gancourse.models import Discriminator, Generator, MLPDiscriminator, MLPGenerator


def small_dcgan(seed=0):
    torch.manual_seed(seed)
    return Generator(z_dim=8, image_size=16, channels=3, width=4), Discriminator(16, 3, 4)


def adam(model):
    return torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))


def snapshot(model):
    return [p.detach().clone() for p in model.parameters()]


def unchanged(model, before):
    return all(torch.equal(p, b) for p, b in zip(model.parameters(), before))


@pytest.mark.parametrize("loss", ["bce", "minimax", "lsgan", "hinge", "wgan"])
def test_d_step_touches_only_d(loss):
    G, D = small_dcgan()
    real = torch.rand(6, 3, 16, 16) * 2 - 1
    g_before, d_before = snapshot(G), snapshot(D)
    out = train.d_step(G, D, real, torch.randn(6, 8), adam(D), loss)
    assert all(p.grad is None for p in G.parameters()), "the fake batch must be detached in d_step"
    assert unchanged(G, g_before) and not unchanged(D, d_before)
    assert set(out) == {"d_loss", "d_real", "d_fake"} and not out["d_loss"].requires_grad


def test_d_step_detaches_a_given_fake():
    G, D = small_dcgan()
    fake = G(torch.randn(4, 8))  # attached to G's graph
    train.d_step(G, D, torch.zeros(4, 3, 16, 16), None, adam(D), fake=fake)
    assert all(p.grad is None for p in G.parameters())


@pytest.mark.parametrize("loss", ["bce", "hinge"])
def test_g_step_touches_only_g_through_d(loss):
    G, D = small_dcgan()
    g_before, d_before = snapshot(G), snapshot(D)
    out = train.g_step(G, D, torch.randn(6, 8), adam(G), loss)
    assert all(p.grad is None for p in D.parameters()), "D must not accumulate gradients in g_step"
    assert all(p.requires_grad for p in D.parameters()), "D's requires_grad must be restored"
    assert unchanged(D, d_before) and not unchanged(G, g_before)
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in G.parameters())
    assert 0 < out["d_fake_g"] < 1


def test_g_step_rejects_a_detached_fake():
    G, D = small_dcgan()
    with pytest.raises(ValueError, match="detached fake"):
        train.g_step(G, D, None, adam(G), fake=G(torch.randn(2, 8)).detach())


def test_d_step_with_gradient_penalty_and_r1():
    G, D = MLPGenerator(), MLPDiscriminator()
    out = train.d_step(G, D, torch.randn(16, 2), torch.randn(16, 2), adam(D), "wgan", gp_weight=10.0)
    out_r1 = train.d_step(G, D, torch.randn(16, 2), torch.randn(16, 2), adam(D), "bce", r1_weight=1.0)
    assert torch.isfinite(out["d_loss"]) and torch.isfinite(out_r1["d_loss"])


def ring_data(n=256):
    from gancourse.data.toy2d import sample_toy

    return sample_toy("ring", n, seed=0)


def test_fit_history_callbacks_ema():
    G, D = MLPGenerator(hidden=16), MLPDiscriminator(hidden=16)
    calls = []
    grid = train.SampleGrid(every=5, z=torch.randn(10, 2))
    metric = train.Every(4, lambda s: s.history["d_loss"][-1], name="last_d")
    state = train.fit(G, D, ring_data(), 12, batch_size=32, callbacks=[grid, metric, lambda s: calls.append(s.step)],
                      progress=False, ema=0.9)
    assert calls == list(range(1, 13))
    assert state.history["step"] == list(range(1, 13))
    assert all(len(v) == 12 for v in state.history.values())
    assert all(0 < v < 1 for v in state.history["d_real"] + state.history["d_fake"])
    assert [s for s, _ in grid.samples] == [5, 10, 12] and grid.samples[0][1].shape == (10, 2)
    assert [s for s, _ in state.metrics["last_d"]] == [4, 8, 12]
    ema_p, g_p = list(state.G_ema.parameters()), list(G.parameters())
    assert not all(torch.equal(a, b) for a, b in zip(ema_p, g_p)), "EMA weights should lag behind G"
    assert not any(p.requires_grad for p in ema_p)


def test_ema_update_formula():
    model = torch.nn.Linear(2, 1)
    ema = train.EMA(model, beta=0.75)
    before = model.weight.detach().clone()
    with torch.no_grad():
        model.weight.add_(1.0)
    ema.update(model)
    assert torch.allclose(ema.model.weight, 0.75 * before + 0.25 * model.weight)


def test_fit_accepts_callable_and_dataloader():
    G, D = MLPGenerator(hidden=8), MLPDiscriminator(hidden=8)
    train.fit(G, D, lambda n: (ring_data(n), None), 3, batch_size=8, progress=False)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(ring_data(20)), batch_size=8)
    state = train.fit(G, D, loader, 5, batch_size=8, progress=False)  # restarts after 3 batches
    assert state.step == 5
    with pytest.raises(TypeError, match="callable data"):
        train.fit(G, D, 42, 1, progress=False)
    with pytest.raises(TypeError, match="float tensor"):
        train.fit(G, D, lambda n: torch.zeros(n, 2, dtype=torch.long), 1, progress=False)
    with pytest.raises(ValueError, match="Unknown GAN loss"):
        train.fit(G, D, ring_data(), 1, loss="bse", progress=False)


def test_nan_guard_names_the_step_and_the_loss():
    G, D = MLPGenerator(hidden=8), MLPDiscriminator(hidden=8)
    calls = {"n": 0}

    def data(n):
        calls["n"] += 1
        batch = ring_data(n)
        if calls["n"] == 4:
            batch[0, 0] = float("nan")
        return batch

    with pytest.raises(FloatingPointError, match=r"step 4: the D loss is nan.*lower learning rate"):
        train.fit(G, D, data, 10, batch_size=8, progress=False)


def test_nan_guard_on_exploding_generator_loss():
    G, D = MLPGenerator(hidden=8), MLPDiscriminator(hidden=8)
    with torch.no_grad():
        for p in G.parameters():
            p.fill_(float("inf"))
    with pytest.raises(FloatingPointError, match="step 1: the .* loss is"):
        train.fit(G, D, ring_data(), 3, batch_size=8, progress=False)


def test_checkpoint_round_trip_is_bit_exact(tmp_path):
    G, D = small_dcgan()
    state = train.fit(G, D, torch.rand(32, 3, 16, 16) * 2 - 1, 3, batch_size=8, progress=False)
    path = train.save_state(tmp_path / "ck.safetensors", state)
    G2, D2 = small_dcgan(seed=1)
    opt_g, opt_d = adam(G2), adam(D2)
    meta = train.restore_checkpoint(path, G=G2, D=D2, opt_g=opt_g, opt_d=opt_d)
    assert meta["step"] == 3 and meta["history"]["step"] == [1, 2, 3]
    for a, b in zip(list(G.state_dict().values()) + list(D.state_dict().values()),
                    list(G2.state_dict().values()) + list(D2.state_dict().values())):
        assert torch.equal(a, b)
    saved, loaded = state.opt_d.state_dict(), opt_d.state_dict()
    for index, entry in saved["state"].items():
        for key, value in entry.items():
            assert torch.equal(value, loaded["state"][index][key])
    assert loaded["param_groups"][0]["betas"] == (0.5, 0.999)
    rebuilt = train.build_model(path, "G_ema")
    assert isinstance(rebuilt, Generator) and rebuilt.config == G.config
    with open(path, "rb") as handle:
        assert b"pickle" not in handle.read(200)


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    G, D = small_dcgan()
    path = train.save_checkpoint(tmp_path / "ck.safetensors", G=G, D=D, step=1)
    before = path.read_bytes()
    with torch.no_grad():
        next(G.parameters()).add_(1.0)

    def interrupted(src, dst):
        raise KeyboardInterrupt  # Ctrl-C after the temp file was written, before the rename

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train.save_checkpoint(path, G=G, D=D, step=2)
    monkeypatch.undo()
    assert path.read_bytes() == before, "the old checkpoint must be intact"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.safetensors"], "no temp file left behind"
    assert train.load_checkpoint(path)[1]["step"] == 1


def test_checkpoint_errors(tmp_path):
    G, D = small_dcgan()
    with pytest.raises(ValueError, match=r"\.safetensors"):
        train.save_checkpoint(tmp_path / "ck.pt", G=G)
    with pytest.raises(FileNotFoundError):
        train.load_checkpoint(tmp_path / "missing.safetensors")
    path = train.save_checkpoint(tmp_path / "ck.safetensors", G=G)
    with pytest.raises(ValueError, match="was built with"):
        train.restore_checkpoint(path, G=Generator(z_dim=8, image_size=16, width=8))
    with pytest.raises(KeyError, match="no 'D'"):
        train.restore_checkpoint(path, D=D)


def test_resume_continues_identically(tmp_path):
    data = torch.rand(64, 3, 16, 16) * 2 - 1
    kwargs = dict(batch_size=8, progress=False, ema=0.9, seed=5)
    G, D = small_dcgan()
    straight = train.fit(G, D, data, 8, **kwargs)

    ck = tmp_path / "run.safetensors"
    G1, D1 = small_dcgan()
    train.fit(G1, D1, data, 4, checkpoint=ck, checkpoint_every=2, **kwargs)
    G2, D2 = small_dcgan(seed=9)  # fresh, different weights: everything must come from the file
    resumed = train.fit(G2, D2, data, 8, resume=ck, **kwargs)
    assert resumed.step == 8 and resumed.history["step"] == list(range(1, 9))
    assert resumed.history["d_loss"] == straight.history["d_loss"]
    for a, b in zip(G.state_dict().values(), G2.state_dict().values()):
        assert torch.equal(a, b)
    for a, b in zip(straight.G_ema.state_dict().values(), resumed.G_ema.state_dict().values()):
        assert torch.equal(a, b)


def test_fit_compiled_trains_the_same_models_and_matches_eager():
    """compile=True runs G and D through torch.compile; the weights that move are still G's and D's,
    and the first step agrees with the eager loop (same data, same latents)."""
    data = torch.rand(64, 3, 16, 16) * 2 - 1
    G_c, D_c = small_dcgan()
    G_e, D_e = small_dcgan()
    before = snapshot(G_c)
    compiled = train.fit(G_c, D_c, data, 1, batch_size=8, ema=None, progress=False, compile=True)
    eager = train.fit(G_e, D_e, data, 1, batch_size=8, ema=None, progress=False)
    assert not unchanged(G_c, before), "G's own parameters must be trained"
    assert compiled.G is G_c and compiled.history["step"] == [1]
    assert compiled.history["d_loss"][0] == pytest.approx(eager.history["d_loss"][0], rel=1e-3)
    for p_c, p_e in zip(G_c.parameters(), G_e.parameters()):
        assert torch.allclose(p_c, p_e, atol=1e-4)
