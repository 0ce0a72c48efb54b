"""The failure switchboard (lesson 04): settings are checked, each failure differs measurably from
the healthy run, and the widget redraws its one picture when run."""

import pytest
import torch

from gancourse.data.faces import face_batch
from gancourse.widgets import FailureSwitchboard, switchboard

STEPS = 150


@pytest.fixture(scope="module")
def data():
    torch.set_num_threads(1)
    return face_batch(1024, 16, seed=0)[0]


@pytest.fixture(scope="module")
def runs(data):
    settings = {
        "healthy": {},
        "imbalanced": {"lr_ratio": 25.0},
        "saturating": {"g_loss": "saturating"},
        "no norm": {"normalisation": "none"},
    }
    return {name: switchboard.failure_run(data, s, steps=STEPS) for name, s in settings.items()}


@pytest.mark.parametrize(
    "bad, words",
    [
        ({"lr_ratio": 0}, "lr_ratio"),
        ({"lr_ratio": -4}, "lr_ratio"),
        ({"lr_ratio": float("inf")}, "finite"),
        ({"lr_ratio": "25"}, "lr_ratio"),
        ({"g_loss": "minimax"}, "g_loss"),
        ({"normalisation": "spectral"}, "normalisation"),
        ({"lr": 1e-3}, "unknown settings"),
    ],
)
def test_bad_settings_are_refused_by_name(bad, words):
    with pytest.raises(ValueError, match=words):
        switchboard.check_settings(bad)


def test_settings_default_to_the_healthy_run():
    assert switchboard.check_settings({}) == switchboard.HEALTHY
    assert switchboard.check_settings({"lr_ratio": 4})["lr_ratio"] == 4.0
    with pytest.raises(TypeError):
        switchboard.check_settings(["lr_ratio", 4])


def test_bad_data_and_steps_are_refused(data):
    with pytest.raises(ValueError, match="images"):
        switchboard.failure_run(data[:, 0], steps=1)
    with pytest.raises(ValueError, match="steps"):
        switchboard.failure_run(data, steps=0)


def test_a_run_records_every_step_and_is_reproducible(data, runs):
    run = runs["healthy"]
    assert all(len(run[k]) == STEPS for k in ("d_real", "d_fake", "g_grad"))
    assert run["samples"].shape == (16, 3, 16, 16)
    assert run["samples"].abs().max() <= 1
    again = switchboard.failure_run(data, {}, steps=20)
    once_more = switchboard.failure_run(data, {}, steps=20)
    assert again["d_fake"] == once_more["d_fake"]
    assert torch.equal(again["samples"], once_more["samples"])


def test_the_healthy_run_is_a_contest_not_a_rout(runs):
    s = switchboard.summary(runs["healthy"])
    assert 0.1 < s["margin"] < 0.7 and s["d_fake"] > 0.15


def test_lr_imbalance_lets_d_win(runs):
    healthy, bad = (switchboard.summary(runs[k]) for k in ("healthy", "imbalanced"))
    assert bad["margin"] > healthy["margin"] + 0.25
    assert bad["d_fake"] < 0.5 * healthy["d_fake"]


def test_the_saturating_loss_starves_g_of_gradient(runs):
    healthy, bad = (switchboard.summary(runs[k], last=1.0) for k in ("healthy", "saturating"))
    assert bad["g_grad"] < 0.5 * healthy["g_grad"]


def test_without_normalisation_g_gets_almost_no_gradient(runs):
    healthy, bad = (switchboard.summary(runs[k]) for k in ("healthy", "no norm"))
    assert bad["g_grad"] < 0.2 * healthy["g_grad"]
    G, D = switchboard.build_pair("none", 16, 16, 32, 0)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in [*G.modules(), *D.modules()])


def test_render_is_a_png_that_depends_on_the_run(runs):
    a = switchboard.render_run(runs["healthy"], runs["healthy"])
    b = switchboard.render_run(runs["imbalanced"], runs["healthy"])
    assert a[:8] == b"\x89PNG\r\n\x1a\n" and a != b


def test_the_board_runs_caches_and_redraws(data):
    board = FailureSwitchboard(data, steps=10)
    first = board.image.value
    assert first[:4] == b"\x89PNG" and "lr_D/lr_G = 1" in board.status.value
    run = board.run(lr_ratio=25.0)
    assert board.image.value != first and run["settings"]["lr_ratio"] == 25.0
    assert board.lr_ratio.value == 25.0 and len(board.cache) == 2
    board.g_loss.value = "saturating"
    board.button.click()
    assert len(board.cache) == 3 and "saturating" in board.status.value
    board.run(lr_ratio=3)  # a ratio the dropdown did not list is added to it
    assert board.lr_ratio.value == 3.0
    board.run()  # back to healthy: cached, same picture
    assert board.image.value == first and len(board.cache) == 4


def test_picture_toggle_switches_its_one_image():
    a, b = b"\x89PNG a", b"\x89PNG b"
    toggle = switchboard.PictureToggle(
        {"concatenation": a, "projection": b}, description="D", captions={"projection": "p!"}
    )
    assert toggle.image.value == a and toggle.caption.value == ""
    toggle.buttons.value = "projection"
    assert toggle.image.value == b and toggle.caption.value == "p!"
    toggle.show("concatenation")
    assert toggle.image.value == a
    with pytest.raises(ValueError, match="no picture"):
        toggle.show("mean")
    with pytest.raises(ValueError, match="at least one"):
        switchboard.PictureToggle({})
    with pytest.raises(TypeError, match="PNG bytes"):
        switchboard.PictureToggle({"a": "not bytes"})
    with pytest.raises(ValueError, match="unknown"):
        switchboard.PictureToggle({"a": a}, captions={"b": "?"})
