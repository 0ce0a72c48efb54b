"""Slider end-to-end latency in a real browser: key press -> new image painted.

Opens each explorer lesson in JupyterLab (headless Debian Chromium through Playwright), runs all
cells, then moves the slider with the keyboard N times. For each move it measures, inside the
page, the time from the `keydown` event to the frame after the widget's <img> has decoded its new
bytes (MutationObserver on `src` -> img.decode() -> requestAnimationFrame). Prints median and p95.

    python benchmarks/browser_slider_latency.py [--moves 50] [--only NAME]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import jupyterlab_browser as jb  # noqa: E402

# (name, notebook, slider description, which matching cell)
TARGETS = [
    ("lesson 00 seed slider", "lessons/00_welcome.ipynb", "seed", 0),
    ("latent explorer", "lessons/06_latent_space.ipynb", "direction 1", 0),
    ("edit explorer", "lessons/07_fine_grained_editing.ipynb", "smile", 0),
    ("style explorer (alpha)", "lessons/08_style.ipynb", "alpha", 0),
]

ARM = """(img) => {
    window.__lat = undefined; window.__t0 = undefined;
    document.addEventListener('keydown', () => { if (window.__t0 === undefined) window.__t0 = performance.now(); },
                              {capture: true, once: true});
    const observer = new MutationObserver(() => {
        observer.disconnect();
        img.decode().catch(() => {}).then(() => requestAnimationFrame(() => {
            window.__lat = performance.now() - window.__t0; }));
    });
    observer.observe(img, {attributes: true, attributeFilter: ['src']});
}"""


def measure(page, base, notebook, description, nth, moves):
    jb.open_and_run_all(page, base, notebook)
    cell = jb.widget_cell(page, description, nth)
    slider = jb.slider_in(cell, description)
    image = cell.locator("img.widget-image").first
    handle = slider.locator(".noUi-handle").first
    latencies, direction = [], "ArrowLeft"  # sliders in the lessons often rest at their maximum
    for move in range(moves):
        handle.focus()
        image.evaluate(ARM)
        before = jb.readout(slider)
        page.keyboard.press(direction)
        if jb.readout(slider) == before:  # at an end of its range: turn round
            direction = "ArrowLeft" if direction == "ArrowRight" else "ArrowRight"
            image.evaluate(ARM)
            page.keyboard.press(direction)
        try:
            page.wait_for_function("() => window.__lat !== undefined", timeout=10_000)
        except Exception:
            raise RuntimeError(f"{notebook}: move {move}: the image did not change within 10 s") from None
        latencies.append(page.evaluate("() => window.__lat"))
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moves", type=int, default=50)
    parser.add_argument("--only", default=None, help="run only targets whose name contains this")
    args = parser.parse_args()
    reason = jb.browser_unavailable_reason()
    if reason:
        print(f"skipped: {reason}")
        return 0
    root = Path(__file__).resolve().parent.parent
    print("| slider | moves | median ms | p95 ms |\n| --- | --- | --- | --- |")
    for name, notebook, description, nth in TARGETS:
        if args.only and args.only not in name:
            continue
        if not (root / notebook).exists():
            print(f"| {name} | – | (lesson {notebook} not written yet) | |")
            continue
        # a fresh JupyterLab per lesson: a second notebook opened in the same server can stall
        with jb.jupyterlab_server() as base, jb.chromium_page() as page:
            lat = sorted(measure(page, base, notebook, description, nth, args.moves))
        p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))]
        print(f"| {name} | {len(lat)} | {statistics.median(lat):.1f} | {p95:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
