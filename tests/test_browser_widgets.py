"""Sliders in a real browser: JupyterLab in headless Chromium, keyboard and mouse move the slider,
and the picture the learner sees changes (its bytes, hashed, differ). Lessons 00, 01 (the GAN Lab),
06 and 08."""

import re
import time

import pytest

from tests import jupyterlab_browser as jb

pytestmark = pytest.mark.skipif(
    jb.browser_unavailable_reason() is not None, reason=str(jb.browser_unavailable_reason())
)


@pytest.fixture()
def lab():
    with jb.jupyterlab_server() as base:
        yield base


def _move_and_check(cell, slider, key="ArrowRight", dx=60):
    """Keyboard then mouse: each move changes the readout and the displayed image bytes."""
    start = jb.image_digest(cell)
    before = jb.readout(slider)
    jb.press_slider(slider, key, presses=3)
    after_keys = jb.readout(slider)
    assert after_keys != before, "the keyboard did not move the slider"
    keyed = jb.wait_for_new_image(cell, start)
    assert keyed != start, (
        f"slider moved {before} -> {after_keys} by keyboard but the image did not change"
    )

    jb.drag_slider(slider, dx=dx)
    after_mouse = jb.readout(slider)
    assert after_mouse != after_keys, "the mouse drag did not move the slider"
    dragged = jb.wait_for_new_image(cell, keyed)
    assert dragged != keyed, (
        f"slider dragged {after_keys} -> {after_mouse} but the image did not change"
    )


def test_lesson00_seed_slider_changes_the_picture(lab):
    with jb.chromium_page() as page:
        jb.open_and_run_all(page, lab, "lessons/00_welcome.ipynb")
        cell = jb.widget_cell(page, "seed")
        slider = jb.slider_in(cell, "seed")
        _move_and_check(cell, slider)
        assert not [e for e in page.errors if "widget" in e.lower()], page.errors


def test_latent_explorer_direction_slider_changes_the_picture(lab):
    with jb.chromium_page() as page:
        jb.open_and_run_all(page, lab, "lessons/06_latent_space.ipynb")
        cell = jb.widget_cell(page, "direction 1")
        _move_and_check(cell, jb.slider_in(cell, "direction 1"))


def test_style_strength_slider_changes_the_picture(lab):
    with jb.chromium_page() as page:
        jb.open_and_run_all(page, lab, "lessons/08_style.ipynb")
        cell = jb.widget_cell(page, "alpha")
        # the lesson leaves alpha at 1.0 (full style), so move it down
        _move_and_check(cell, jb.slider_in(cell, "alpha"), key="ArrowLeft", dx=-60)


def _lab_step(cell) -> int:
    """The step counter GANLab's status line shows ('step N · ...')."""
    text = cell.locator(".widget-html-content", has_text=re.compile(r"^step \d+")).inner_text()
    return int(re.match(r"step (\d+)", text).group(1))


def _wait_until(page, condition, timeout_s: float, what: str):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"waited {timeout_s} s for {what}")


def test_lesson01_ganlab_plays_pauses_and_follows_its_controls(lab):
    """Lesson 01 itself, run whole: its GAN Lab trains while it plays and follows its controls."""
    with jb.chromium_page() as page:
        jb.open_and_run_all(page, lab, "lessons/01_gan_concepts.ipynb")
        cell = jb.widget_cell(page, "lr_d")
        play = cell.locator(".widget-play button").first  # ipywidgets 8: one play/pause toggle
        start_image, start_step = jb.image_digest(cell), _lab_step(cell)
        assert start_step == 0

        play.click()
        _wait_until(page, lambda: _lab_step(cell) >= 10, 20, "the step counter to pass 10")
        playing_image = jb.wait_for_new_image(cell, start_image)
        assert playing_image != start_image, "the picture did not change while playing"
        early = _lab_step(cell)
        _wait_until(page, lambda: _lab_step(cell) > early, 10, "the counter to keep rising")

        play.click()  # pause
        page.wait_for_timeout(1500)  # a tick already sent may still arrive
        paused_step, paused_image = _lab_step(cell), jb.image_digest(cell)
        page.wait_for_timeout(2000)
        assert _lab_step(cell) == paused_step, "training went on after pause"
        assert jb.image_digest(cell) == paused_image, "the picture kept changing after pause"

        # a control: the dataset dropdown redraws at once (new real points), nothing trains
        cell.locator(".widget-dropdown", has_text="dataset").locator("select").select_option("grid")
        assert jb.wait_for_new_image(cell, paused_image) != paused_image
        assert _lab_step(cell) == paused_step
        # a slider: lr_d moves by keyboard; the step button then trains exactly one step
        slider = jb.slider_in(cell, "lr_d")
        before = jb.readout(slider)
        jb.press_slider(slider, "ArrowRight", presses=2)
        assert jb.readout(slider) != before, "the keyboard did not move lr_d"
        cell.locator("button", has_text="step").click()
        _wait_until(page, lambda: _lab_step(cell) == paused_step + 1, 10, "one more step")
        assert not [e for e in page.errors if "widget" in e.lower()], page.errors
