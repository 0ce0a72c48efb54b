"""Lessons 04 and 05 in a real browser (JupyterLab in headless Chromium, FAST mode): lesson 04's
failure switchboard redraws its picture when a switch is flipped and run is pressed; lesson 05's
concatenation / projection toggle switches its picture and back."""

import re

import pytest

from tests import jupyterlab_browser as jb

pytestmark = pytest.mark.skipif(
    jb.browser_unavailable_reason() is not None, reason=str(jb.browser_unavailable_reason())
)


@pytest.fixture()
def lab(monkeypatch):
    monkeypatch.setenv("GANCOURSE_FAST", "1")  # the kernel inherits it: the lessons run quickly
    with jb.jupyterlab_server() as base:
        yield base


def _cell_with_button(page, text: str):
    button = page.locator("button", has_text=re.compile(rf"^\s*{re.escape(text)}\s*$"))
    cell = page.locator(".jp-Cell", has=button).first
    cell.scroll_into_view_if_needed()
    return cell


def test_lesson04_switchboard_redraws_after_a_switch_and_run(lab):
    with jb.chromium_page() as page:
        jb.open_and_run_all(page, lab, "lessons/04_training_a_dcgan.ipynb", timeout_s=300)
        cell = _cell_with_button(page, "saturating")
        start = jb.image_digest(cell)
        status = cell.locator(".widget-html-content").first
        assert "non-saturating" in status.inner_text()

        cell.locator("button", has_text=re.compile(r"^\s*saturating\s*$")).click()
        page.wait_for_timeout(500)
        assert jb.image_digest(cell) == start, "the picture changed before run was pressed"
        cell.locator("button", has_text=re.compile(r"^\s*run\s*$")).click()
        flipped = jb.wait_for_new_image(cell, start, timeout_s=60)
        assert flipped != start, "switched to the saturating loss, pressed run: same picture"
        assert "saturating L_G" in status.inner_text()

        cell.locator("select").first.select_option(label="25")
        cell.locator("button", has_text=re.compile(r"^\s*run\s*$")).click()
        both = jb.wait_for_new_image(cell, flipped, timeout_s=60)
        assert both not in (start, flipped), "lr_D/lr_G = 25 and run: the picture did not change"
        assert "lr_D/lr_G = 25" in status.inner_text()
        assert not [e for e in page.errors if "widget" in e.lower()], page.errors


def test_lesson05_toggle_switches_concatenation_and_projection(lab):
    with jb.chromium_page() as page:
        jb.open_and_run_all(page, lab, "lessons/05_conditional_gans.ipynb", timeout_s=300)
        cell = _cell_with_button(page, "projection")
        caption = cell.locator(".widget-html-content").first
        start = jb.image_digest(cell)
        assert "concatenation D" in caption.inner_text()

        cell.locator("button", has_text=re.compile(r"^\s*projection\s*$")).click()
        projection = jb.wait_for_new_image(cell, start)
        assert projection != start, "pressed projection: the picture did not change"
        assert "projection D" in caption.inner_text() and "accuracy" in caption.inner_text()

        cell.locator("button", has_text=re.compile(r"^\s*concatenation\s*$")).click()
        assert jb.wait_for_new_image(cell, projection) == start, "back to concatenation"
        assert not [e for e in page.errors if "widget" in e.lower()], page.errors
