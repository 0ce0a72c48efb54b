"""Every lesson's control in a real browser (lessons 02, 03, 07, 09 and 10; 00, 01, 06 and 08 are in
test_browser_widgets.py, 04 and 05 in test_browser_lessons_0405.py).

Each test opens the lesson in JupyterLab (headless Chromium), runs every cell (FAST mode under
`make test`), then moves the lesson's control the way a learner does (keyboard, mouse, a click on a
button or a choice in a dropdown) and checks that the picture the learner sees changes: the image
bytes shown in the page, hashed, differ.
"""

import re

import pytest

from tests import jupyterlab_browser as jb

pytestmark = pytest.mark.skipif(
    jb.browser_unavailable_reason() is not None, reason=str(jb.browser_unavailable_reason())
)


@pytest.fixture()
def lab():
    # a fresh JupyterLab per lesson: a shared one restores the last lesson's tab and kernel
    with jb.jupyterlab_server() as base:
        yield base


@pytest.fixture()
def page(lab):
    with jb.chromium_page() as page:
        yield page


def _slider_moves_picture(cell, name: str, key: str = "ArrowRight", presses: int = 2) -> str:
    """Move slider ``name`` by keyboard; the readout and the picture change. The new digest."""
    slider = jb.slider_in(cell, name)
    start, before = jb.image_digest(cell), jb.readout(slider)
    jb.press_slider(slider, key, presses=presses)
    assert jb.readout(slider) != before, f"the keyboard did not move {name!r}"
    moved = jb.wait_for_new_image(cell, start, timeout_s=20)
    assert moved != start, f"{name!r} moved {before} -> {jb.readout(slider)}, the picture did not"
    return moved


def _drag_moves_picture(cell, name: str, dx: float = 60) -> str:
    slider = jb.slider_in(cell, name)
    start, before = jb.image_digest(cell), jb.readout(slider)
    jb.drag_slider(slider, dx=dx)
    assert jb.readout(slider) != before, f"the mouse did not move {name!r}"
    moved = jb.wait_for_new_image(cell, start, timeout_s=20)
    assert moved != start, f"{name!r} dragged {before} -> {jb.readout(slider)}, same picture"
    return moved


def _dropdown_moves_picture(cell, description: str, option: str) -> str:
    start = jb.image_digest(cell)
    label = cell.page.locator(".widget-label", has_text=re.compile(rf"^{re.escape(description)}$"))
    cell.locator(".widget-dropdown", has=label).locator("select").select_option(option)
    moved = jb.wait_for_new_image(cell, start, timeout_s=20)
    assert moved != start, f"choosing {option!r} in {description!r} did not change the picture"
    return moved


def _toggle_moves_picture(cell, option: str) -> str:
    start = jb.image_digest(cell)
    cell.locator(
        ".widget-toggle-buttons button", has_text=re.compile(rf"^{re.escape(option)}$")
    ).first.click()
    moved = jb.wait_for_new_image(cell, start, timeout_s=20)
    assert moved != start, f"clicking {option!r} did not change the picture"
    return moved


def _no_widget_errors(page) -> None:
    assert not [e for e in page.errors if "widget" in e.lower()], page.errors


def test_lesson02_preprocessing_controls(page, lab):
    jb.open_and_run_all(page, lab, "lessons/02_data_and_preprocessing.ipynb")
    cell = jb.widget_cell(page, "size")
    _slider_moves_picture(cell, "size", key="ArrowLeft")  # 64 -> 32 px: blockier
    _dropdown_moves_picture(cell, "DiffAugment", "cutout")
    _slider_moves_picture(cell, "seed")  # cutout at another random place
    _drag_moves_picture(cell, "size", dx=80)
    _no_widget_errors(page)


def test_lesson03_loss_switch(page, lab):
    jb.open_and_run_all(page, lab, "lessons/03_losses.ipynb")
    cell = jb.widget_cell(page, "step")
    _toggle_moves_picture(cell, "hinge")
    _toggle_moves_picture(cell, "WGAN-GP")
    _slider_moves_picture(cell, "step", key="ArrowLeft")  # back to an earlier moment
    _no_widget_errors(page)


def test_lesson07_edit_explorer(page, lab):
    jb.open_and_run_all(page, lab, "lessons/07_fine_grained_editing.ipynb", timeout_s=480)
    cell = jb.widget_cell(page, "seed")
    _slider_moves_picture(cell, "seed")
    _dropdown_moves_picture(cell, "start from", "inverted render 0")
    _no_widget_errors(page)


def test_lesson09_background_restyle(page, lab):
    jb.open_and_run_all(page, lab, "lessons/09_image_to_image.ipynb", timeout_s=480)
    cell = jb.widget_cell(page, "background")
    _slider_moves_picture(cell, "background", key="ArrowLeft", presses=4)
    _drag_moves_picture(cell, "background", dx=-80)
    _no_widget_errors(page)


def test_lesson10_detector_threshold(page, lab):
    jb.open_and_run_all(page, lab, "lessons/10_responsible_use.ipynb", timeout_s=480)
    cell = jb.widget_cell(page, "threshold")
    _slider_moves_picture(cell, "threshold", key="ArrowLeft", presses=20)
    _drag_moves_picture(cell, "threshold", dx=-60)
    title = cell.locator(".widget-dropdown select").first
    options = title.locator("option").all_inner_texts()
    _dropdown_moves_picture(cell, "test", options[-1])
    _no_widget_errors(page)
