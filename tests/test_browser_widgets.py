"""Sliders in a real browser: JupyterLab in headless Chromium, keyboard and mouse move the slider,
and the picture the learner sees changes (its bytes, hashed, differ)."""

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
