"""The training loop: gradient isolation of each step, the NaN guard, EMA, hooks, stop, resume."""

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
    out = train.d_step(
        G, D, torch.randn(16, 2), torch.randn(16, 2), adam(D), "wgan", gp_weight=10.0
    )
    out_r1 = train.d_step(
        G, D, torch.randn(16, 2), torch.randn(16, 2), adam(D), "bce", r1_weight=1.0
    )
    assert torch.isfinite(out["d_loss"]) and torch.isfinite(out_r1["d_loss"])


def ring_data(n=256):
    from gancourse.data.toy2d import sample_toy

    return sample_toy("ring", n, seed=0)


def test_fit_history_callbacks_ema():
    G, D = MLPGenerator(hidden=16), MLPDiscriminator(hidden=16)
    calls = []
    grid = train.SampleGrid(every=5, z=torch.randn(10, 2))
    metric = train.Every(4, lambda s: s.history["d_loss"][-1], name="last_d")
    state = train.fit(
        G,
        D,
        ring_data(),
        12,
        batch_size=32,
        callbacks=[grid, metric, lambda s: calls.append(s.step)],
        progress=False,
        ema=0.9,
    )
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
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(ring_data(20)), batch_size=8
    )
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


# ----------------------------------------------------------------------------- the loop's hooks
def test_fit_conditional_labels_reach_g_and_d():
    from gancourse.models.conditional import ConditionalGenerator, ProjectionDiscriminator

    classes = {"hair": 3, "glasses": 2}
    torch.manual_seed(0)
    G = ConditionalGenerator(
        z_dim=8, image_size=16, channels=3, width=4, classes=classes, embed_dim=4
    )
    D = ProjectionDiscriminator(image_size=16, channels=3, width=4, classes=classes)
    seen = []
    forward = D.forward
    D.forward = lambda x, labels: seen.append(labels.clone()) or forward(x, labels)
    images = torch.rand(20, 3, 16, 16) * 2 - 1
    labels = torch.stack([torch.arange(20) % 3, torch.arange(20) % 2], 1)
    state = train.fit(
        G, D, (images, labels), 3, batch_size=4, labels=True, loss="hinge", progress=False, seed=1
    )
    assert state.step == 3 and len(seen) == 9  # real + fake in the D step, fake in the G step
    # each step's D calls see the labels of the real rows drawn in that step
    for k in range(3):
        assert torch.equal(seen[3 * k], seen[3 * k + 1]) and torch.equal(
            seen[3 * k], seen[3 * k + 2]
        )
    assert not all(torch.equal(seen[0], s) for s in seen[3:]), "labels must change with the batch"


def test_fit_lazy_r1_runs_every_k_steps_with_k_times_the_weight(monkeypatch):
    from gancourse import losses

    weights = []
    r1 = losses.r1_penalty
    monkeypatch.setattr(losses, "r1_penalty", lambda D, real: weights.append(1) or r1(D, real))
    G, D = MLPGenerator(hidden=8), MLPDiscriminator(hidden=8)
    called = []
    d_step = train.steps.d_step
    monkeypatch.setattr(
        train.loop, "d_step", lambda *a, **k: called.append(k["r1_weight"]) or d_step(*a, **k)
    )
    train.fit(G, D, ring_data(), 9, batch_size=8, r1_weight=0.5, r1_every=4, progress=False)
    assert called == [2.0, 0, 0, 0, 2.0, 0, 0, 0, 2.0] and len(weights) == 3


def test_ema_warmup_forgets_the_start_quickly():
    model = torch.nn.Linear(2, 1)
    ema = train.EMA(model, beta=0.999, warmup=True)
    with torch.no_grad():
        model.weight.add_(1.0)
    ema.update(model, step=0)  # beta = min(0.999, 1/10)
    assert torch.allclose(ema.model.weight, 0.1 * (model.weight - 1.0) + 0.9 * model.weight)
    assert train.EMA(model, 0.999).beta == 0.999


def test_fit_style_mixing_feeds_two_styles():
    from gancourse.models.stylegan import StyleDiscriminator, StyleGenerator

    torch.manual_seed(0)
    G = StyleGenerator(z_dim=8, w_dim=8, image_size=16, channels=[8, 8, 8], mapping_depth=2)
    D = StyleDiscriminator(image_size=16, width=4)
    mixed = []
    synthesis = G.synthesis
    G.synthesis = lambda ws, *a: (
        mixed.append(not torch.allclose(ws[:, 0], ws[:, -1])) or synthesis(ws, *a)
    )
    train.fit(G, D, torch.rand(16, 3, 16, 16) * 2 - 1, 6, batch_size=4, mixing=1.0, progress=False)
    assert mixed and all(mixed), "with mixing=1 every fake batch mixes two latents"
    mixed.clear()
    train.fit(G, D, torch.rand(16, 3, 16, 16) * 2 - 1, 3, batch_size=4, mixing=0.0, progress=False)
    assert mixed and not any(mixed)


def test_fit_custom_step_shares_the_loop_nan_guard_and_schedule():
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    lrs = []

    def step(state, batch):
        loss = (model(batch) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        return {"loss": loss.detach()}

    state = train.fit(
        model,
        None,
        torch.randn(32, 2),
        4,
        batch_size=8,
        step=step,
        opt_g=opt,
        ema=None,
        progress=False,
        lr_schedule=lambda t, steps: 1 - t / steps,
    )
    assert state.history["step"] == [1, 2, 3, 4] and len(state.history["loss"]) == 4
    assert lrs == pytest.approx([0.1, 0.075, 0.05, 0.025])
    with pytest.raises(FloatingPointError, match="step 1: loss is nan"):
        train.fit(
            model,
            None,
            torch.full((8, 2), float("nan")),
            3,
            batch_size=4,
            step=step,
            opt_g=opt,
            ema=None,
            progress=False,
        )
    with pytest.raises(ValueError, match="needs a discriminator"):
        train.fit(model, None, torch.randn(8, 2), 1, progress=False)


def test_stop_request_and_sigusr1_end_the_run_with_a_checkpoint(tmp_path):
    import signal

    from gancourse import checkpoint

    G, D = MLPGenerator(hidden=8), MLPDiscriminator(hidden=8)
    path = tmp_path / "run.safetensors"

    def signal_at_3(state):
        if state.step == 3:
            os.kill(os.getpid(), signal.SIGUSR1)

    previous = signal.getsignal(signal.SIGUSR1)
    state = train.fit(
        G,
        D,
        ring_data(),
        50,
        batch_size=8,
        progress=False,
        checkpoint=path,
        callbacks=[signal_at_3],
    )
    assert state.step == 3 and "SIGUSR1" in state.stopped
    assert checkpoint.load_checkpoint(path)[1]["step"] == 3
    assert signal.getsignal(signal.SIGUSR1) == previous, "fit restores the previous handler"
    state = train.fit(G, D, ring_data(), 50, batch_size=8, progress=False, max_seconds=0.0)
    assert state.step == 1 and state.stopped == "time budget"
    resumed = train.fit(G, D, ring_data(), 5, batch_size=8, progress=False, resume=path)
    assert resumed.step == 5 and resumed.stopped is None


def test_fit_refuses_images_outside_minus_one_one_and_empty_data():
    G, D = small_dcgan()
    with pytest.raises(ValueError, match=r"\[-1, 1\].*x / 127.5 - 1"):
        train.fit(G, D, torch.rand(8, 3, 16, 16) * 255, 2, batch_size=4, progress=False)
    with pytest.raises(ValueError, match="N >= 1"):
        train.fit(G, D, torch.zeros(0, 3, 16, 16), 2, batch_size=4, progress=False)


DISTRIBUTED_SCRIPT = """
import sys, torch
from gancourse import train
from gancourse.models import Discriminator, Generator
torch.manual_seed(int(sys.argv[2]))  # different start per rank: fit must broadcast rank 0's
G, D = Generator(z_dim=8, image_size=16, channels=3, width=4), Discriminator(16, 3, 4)
data = torch.rand(64, 3, 16, 16) * 2 - 1
state = train.fit(G, D, data, 4, batch_size=8, progress=False, ema=0.9, seed=3, r1_weight=0.1)
rank = torch.distributed.get_rank()
torch.save({"G": G.state_dict(), "ema": state.G_ema.state_dict(), "hist": state.history},
           f"{sys.argv[1]}/rank{rank}.pt")
"""


def test_fit_under_torchrun_keeps_two_cpu_processes_identical(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "run.py"
    script.write_text(
        DISTRIBUTED_SCRIPT.replace(
            "int(sys.argv[2])", "torch.initial_seed() % 7 + __import__('os').getpid()"
        )
    )
    torchrun = Path(sys.executable).with_name("torchrun")
    result = subprocess.run(
        [str(torchrun), "--standalone", "--nproc_per_node", "2", str(script), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    a, b = (torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1))
    for key in ("G", "ema"):
        for name in a[key]:
            assert torch.equal(a[key][name], b[key][name]), f"{key}/{name} differs between ranks"
    assert a["hist"] == b["hist"], "the logged losses are the average over both processes"
    fresh = Generator(z_dim=8, image_size=16, channels=3, width=4).state_dict()
    assert any(not torch.equal(a["G"][k], fresh[k]) for k in fresh)
