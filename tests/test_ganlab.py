"""GANLab (lesson 01): a 2-D GAN trained live; the picture, the controls, the game's progress."""

import io

import pytest
import torch
from PIL import Image

from gancourse import losses
from gancourse.data.toy2d import mode_centers
from gancourse.widgets import GANLab


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny MLPs: one thread is fastest (as lesson 01 sets it)
    yield
    torch.set_num_threads(threads)


def _params(model):
    return [p.detach().clone() for p in model.parameters()]


def _mean_distance_to_modes(lab):
    with torch.no_grad():
        fake = lab.G(lab.z_shown)
    return torch.cdist(fake, mode_centers("ring")).min(dim=1).values.mean().item()


def test_render_is_a_png_of_the_stated_size():
    for size in [(520, 420), (400, 300)]:
        lab = GANLab(size=size)
        image = Image.open(io.BytesIO(lab.render(lab.state())))
        assert image.format == "PNG"
        assert image.size == size
        assert lab.image.value == lab.render(lab.state())  # the widget shows the render


def test_a_step_changes_the_generator_and_redraws():
    lab = GANLab()
    before, picture = _params(lab.G), lab.image.value
    lab.step()
    assert any(not torch.equal(a, b) for a, b in zip(before, lab.G.parameters()))
    assert lab.image.value != picture
    assert set(lab.last) == {"d_loss", "g_loss"}


def test_pressing_step_n_times_advances_the_counter_by_n():
    lab = GANLab()
    for n in range(1, 4):
        lab.step_button.click()
        assert lab.steps == n
        assert lab.status.value.startswith(f"step {n} ·")


def test_a_play_tick_trains_steps_per_tick_and_stop_does_not_train():
    lab = GANLab(steps_per_tick=3)
    picture = lab.image.value
    lab.play.value += 1  # what the browser's timer sends
    assert lab.steps == 3 and lab.image.value != picture
    lab.play.value = 0  # the stop button rewinds the timer
    assert lab.steps == 3
    lab._last_tick_end = float("inf")  # a tick that queued behind a slow one is dropped
    lab.play.value += 1
    assert lab.steps == 3


def test_a_diverged_game_pauses_play_and_says_what_to_do(monkeypatch):
    lab = GANLab()
    lab.play.playing = True

    def diverge(n, state=None):
        lab.steps += n
        lab.last = {"d_loss": float("nan"), "g_loss": 1.0}

    monkeypatch.setattr(lab, "train_steps", diverge)
    lab.tick()
    assert lab.play.playing is False
    assert "diverged" in lab.status.value and "lower the learning rates" in lab.status.value


def test_changing_the_loss_changes_the_loss_used(monkeypatch):
    lab = GANLab(loss="minimax")
    lab.step()
    assert lab.last["g_loss"] < 0  # saturating: L_G = -E softplus(l) < 0
    lab.set(loss="nonsaturating")
    lab.step()
    assert lab.last["g_loss"] > 0  # non-saturating: L_G = E softplus(-l) > 0
    calls = []
    d_hinge, g_hinge = losses.LOSSES["hinge"]
    spy_d = lambda real, fake: calls.append("d") or d_hinge(real, fake)  # noqa: E731
    spy_g = lambda fake: calls.append("g") or g_hinge(fake)  # noqa: E731
    monkeypatch.setitem(losses.LOSSES, "hinge", (spy_d, spy_g))
    lab.set(loss="hinge", d_steps=2)
    calls.clear()
    lab.train_steps(1)
    assert calls == ["d", "d", "g"], calls  # d_steps D updates, then one G update
    lab.refresh()
    assert calls == ["d", "d", "g", "g"], calls  # the drawn arrows follow the same G loss
    assert lab.steps == 3  # the loss changed without a restart


def test_wgan_gp_and_r1_train_and_the_learning_rates_apply():
    lab = GANLab(loss="wgan-gp", r1=1.0)
    lab.set(lr_d=1e-2, lr_g=1e-4)
    lab.step(2)
    assert all(torch.isfinite(torch.tensor(v)) for v in lab.last.values())
    assert [g["lr"] for g in lab.opt_d.param_groups] == [1e-2]
    assert [g["lr"] for g in lab.opt_g.param_groups] == [1e-4]


def test_changing_the_dataset_keeps_training():
    lab = GANLab()
    lab.step(2)
    ring = lab.image.value
    lab.set(dataset="grid")
    assert lab.steps == 2 and lab.image.value != ring
    lab.step()
    assert lab.steps == 3


def test_reset_gives_the_picture_of_a_fresh_lab_with_the_same_seed():
    fresh = GANLab(seed=3).image.value
    lab = GANLab(seed=3)
    lab.step(5)
    assert lab.image.value != fresh
    assert lab.reset() == fresh
    assert lab.steps == 0 and lab.last == {}
    lab.step(4)
    twin = GANLab(seed=3)
    twin.step(4)
    assert lab.image.value == twin.image.value  # training after a reset replays the same game
    assert GANLab(seed=4).image.value != fresh


def test_the_lab_does_not_touch_the_global_random_stream():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    GANLab(loss="wgan-gp").step(2)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("seed", [0, 1])
def test_300_non_saturating_steps_bring_the_samples_to_the_ring(seed):
    # Measured (2-core CPU, seeds 0-9, r1 = 0): the mean distance to the nearest mode at step 300
    # is 0.27-0.64 of its step-0 value (seed 0: 0.64, seed 1: 0.60); the bar asks for a 30 % fall.
    lab = GANLab(seed=seed, loss="nonsaturating", dataset="ring")
    start = _mean_distance_to_modes(lab)
    lab.train_steps(300)
    assert _mean_distance_to_modes(lab) <= 0.7 * start


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"loss": "wasserstein"}, ValueError, "unknown loss 'wasserstein'; choose one of"),
        ({"dataset": "circle"}, ValueError, "unknown dataset 'circle'; choose one of ring"),
        ({"lr_d": -1e-3}, ValueError, "lr_d must be positive"),
        ({"lr_g": 0.5}, ValueError, r"lr_g must lie in \[1e-05, 0.1\]"),
        ({"lr_g": "fast"}, TypeError, "lr_g must be a number"),
        ({"d_steps": 0}, ValueError, "d_steps must be an int from 1 to 10"),
        ({"r1": 0.5}, ValueError, "r1 .* must be one of"),
        ({"size": (50, 50)}, ValueError, "size must be"),
        ({"steps_per_tick": 0}, ValueError, "steps_per_tick must be an int >= 1"),
    ],
)
def test_bad_inputs_raise_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        GANLab(**kwargs)


def test_bad_control_values_raise_and_change_nothing():
    lab = GANLab()
    with pytest.raises(ValueError, match="lr_d must be positive"):
        lab.set(lr_d=-0.01)
    with pytest.raises(ValueError, match="unknown loss"):
        lab.set(loss="nope")
    with pytest.raises(KeyError, match="no GAN Lab setting named 'speed'"):
        lab.set(speed=3)
    with pytest.raises(KeyError, match="unknown controls"):
        lab.render({**lab.state(), "speed": 3})
    with pytest.raises(ValueError, match="number of steps"):
        lab.step(-1)
    assert lab.state()["lr_d"] == pytest.approx(1e-3) and lab.state()["loss"] == "nonsaturating"
