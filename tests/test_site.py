"""The course site (docs/site, `make site-fast`): built once in FAST mode into a temp folder, then
checked: every lesson has its page with its figures, the landing page maps every lesson with its
own estimated time, every internal link resolves, nothing is loaded from the web, and in headless
Chromium every lesson page shows with its images loaded, its maths typeset and no page errors."""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests import jupyterlab_browser as jb

pytest.importorskip("myst_nb", reason="the site needs the [dev] extra (myst-nb): run make setup")
pytest.importorskip("sphinx_book_theme", reason="the site needs the [dev] extra: run make setup")

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
CELL = '<div class="cell docutils container">'
COLAB_MARK = "# Google Colab only"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Build the site as `make site-fast` does (warnings are errors), into a temp folder."""
    tmp = tmp_path_factory.mktemp("site")
    out = tmp / "html"
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-q",
        "-W",
        "--keep-going",
        "-c",
        "docs/site",
        ".",
        str(out),
        "-d",
        str(tmp / "doctrees"),
        "-D",
        f"nb_execution_cache_path={tmp / 'cache'}",
    ]
    start = time.perf_counter()
    result = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "GANCOURSE_FAST": "1"},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    seconds = time.perf_counter() - start
    log = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, f"the FAST site build failed ({seconds:.0f} s):\n{log}"
    print(f"FAST site build: {seconds:.0f} s")
    return SimpleNamespace(out=out, cache=tmp / "cache", seconds=seconds)


def _page(site, lesson: Path) -> str:
    page = site.out / "lessons" / f"{lesson.stem}.html"
    assert page.exists(), f"no page for {lesson.name} in the site"
    return page.read_text(encoding="utf-8")


def _source_cells(lesson: Path) -> list[str]:
    cells = json.loads(lesson.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


@functools.cache
def _executed(cache: Path) -> dict[str, object]:
    """Lesson file name -> the notebook as executed for the site (from the build's cache)."""
    from jupyter_cache import get_cache

    store = get_cache(str(cache))
    return {Path(r.uri).name: store.get_cache_bundle(r.pk).nb for r in store.list_cache_records()}


def _widget_images(model_id: str, state: dict) -> int:
    """Pictures a saved widget holds: Image widgets with bytes, PNGs in Output widgets."""
    entry = state.get(model_id, {})
    model = entry.get("state", {})
    if entry.get("model_name") == "ImageModel":
        return int(any(b.get("path") == ["value"] for b in entry.get("buffers", [])))
    if entry.get("model_name") == "OutputModel":
        return sum("image/png" in o.get("data", {}) for o in model.get("outputs", []))
    return sum(
        _widget_images(c.removeprefix("IPY_MODEL_"), state) for c in model.get("children", [])
    )


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_lesson_has_a_page_without_the_colab_cell(site, lesson):
    page = _page(site, lesson)
    title = re.search(r"^# (.+)$", json.loads(lesson.read_text())["cells"][0]["source"][0], re.M)
    heading = re.search(r"<h1>(.*?)<a class=\"headerlink\"", page, re.DOTALL)
    assert heading and title.group(1).strip() in heading.group(1), (lesson.name, heading)
    code = _source_cells(lesson)
    shown = [c for c in code if not c.startswith(COLAB_MARK)]
    assert len(shown) == len(code) - 1, f"{lesson.name}: the first code cell is the Colab cell"
    assert page.count(CELL) == len(shown), f"{lesson.name}: every other code cell is on the page"
    assert "google.colab" not in page, f"{lesson.name}: the Colab cell shows on the site"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_figure_of_a_lesson_is_on_its_page(site, lesson):
    """Each cell shows at least the pictures it made when it ran (plots and widget images); a
    cell that calls plt.show() made one; every lesson shows at least one picture."""
    executed = _executed(site.cache).get(lesson.name)
    assert executed is not None, f"{lesson.name} was not executed for the site"
    state = executed.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    cells = [c for c in executed.cells if c.cell_type == "code"]
    cells = [c for c in cells if not c.source.startswith(COLAB_MARK)]
    shown = _page(site, lesson).split(CELL)[1:]
    assert len(shown) == len(cells)
    total = 0
    for index, (cell, html) in enumerate(zip(cells, shown)):
        outputs = cell.get("outputs", [])
        expected = sum("image/png" in o.get("data", {}) for o in outputs)
        expected += sum(
            _widget_images(o["data"][WIDGET_VIEW]["model_id"], state)
            for o in outputs
            if WIDGET_VIEW in o.get("data", {})
        )
        if "plt.show()" in cell.source:
            assert expected >= 1, f"{lesson.name}, code cell {index + 2}: plt.show() drew nothing"
        images = html.count("<img ")
        assert images >= expected, (
            f"{lesson.name}, code cell {index + 2}: {expected} pictures when it ran, "
            f"{images} on its page\n{cell.source[:200]}"
        )
        total += images
    assert total >= 1, f"{lesson.name}: no picture on its page"


def test_landing_page_maps_every_lesson_with_its_own_time(site):
    index = (site.out / "docs" / "site" / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", index, re.DOTALL)
    for lesson in LESSONS:
        text = "".join(json.loads(lesson.read_text())["cells"][0]["source"])
        minutes = re.search(r"\*\*Estimated time:\*\*\s*(\d+)", text).group(1)
        href = f'href="../../lessons/{lesson.stem}.html"'
        row = [r for r in rows if href in r]
        assert len(row) == 1, f"the course map has no single row linking {lesson.stem}"
        assert f"{minutes}\xa0min" in row[0], f"{lesson.stem}: the map does not say {minutes} min"
    assert 'href="../glossary.html"' in index, "the landing page links the glossary"
    text = re.sub(r"<[^>]+>", "", index)
    for route in ("make lab", "conda env create -f environment.yml", "Colab"):
        assert route in text, f"the landing page does not say how to run it with {route!r}"
    redirect = (site.out / "index.html").read_text(encoding="utf-8")
    assert "docs/site/index.html" in redirect


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str]] = []  # (tag, url)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            if attrs.get(key):
                self.refs.append((tag, attrs[key]))


def test_every_internal_link_resolves_and_nothing_comes_from_the_web(site):
    pages = {p: _Links() for p in site.out.rglob("*.html") if "_static" not in p.parts}
    for path, parser in pages.items():
        parser.feed(path.read_text(encoding="utf-8"))
    broken, remote = [], []
    for path, parser in pages.items():
        where = path.relative_to(site.out)
        for tag, url in parser.refs:
            parts = urllib.parse.urlsplit(url)
            if parts.scheme in ("http", "https") or url.startswith("//"):
                if tag != "a":  # a script, style sheet, image or font would be fetched
                    remote.append(f"{where}: <{tag}> {url}")
                continue
            if parts.scheme in ("mailto", "data", "javascript"):
                continue
            target = (
                (path.parent / urllib.parse.unquote(parts.path)).resolve() if parts.path else path
            )
            if not target.exists():
                broken.append(f"{where}: {url}")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else set()
                if parts.fragment not in ids:
                    broken.append(f"{where}: {url} (no anchor #{parts.fragment})")
    assert len(pages) >= len(LESSONS) + 2
    assert not broken, "links that lead nowhere:\n" + "\n".join(broken[:40])
    assert not remote, "loaded from the web (the site must work offline):\n" + "\n".join(remote)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def _serve(folder: Path):
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


IMAGES_LOADED = """() => Array.from(document.images).filter(
    img => img.offsetParent !== null || img.closest('main')).map(img => ({
        src: img.src.slice(0, 80), ok: img.complete && img.naturalWidth > 0}))"""


@pytest.mark.skipif(
    jb.browser_unavailable_reason() is not None, reason=str(jb.browser_unavailable_reason())
)
def test_every_lesson_page_shows_in_a_browser(site):
    """Chromium opens each lesson from a local server, with every request outside it refused."""
    with _serve(site.out) as base, jb.chromium_page() as page:
        outside = []

        def only_local(route):
            if route.request.url.startswith(base):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_local)
        page.goto(f"{base}/index.html")
        page.wait_for_url("**/docs/site/index.html", timeout=10_000)  # the redirect
        assert page.locator("main h1:visible").first.inner_text().startswith("gancourse")
        for lesson in LESSONS:
            page.goto(f"{base}/lessons/{lesson.stem}.html", wait_until="load")
            title = page.locator("main h1:visible").first.inner_text()
            assert title.startswith(f"Lesson {lesson.stem[:2]}"), f"{lesson.stem}: title {title!r}"
            page.wait_for_function(
                "() => Array.from(document.images).every(i => i.complete)", timeout=30_000
            )
            images = page.evaluate(IMAGES_LOADED)
            assert images, f"{lesson.stem}: no image on the page"
            failed = [i["src"] for i in images if not i["ok"]]
            assert not failed, f"{lesson.stem}: images that did not load: {failed}"
            if 'class="math' in _page(site, lesson):
                page.wait_for_function(
                    "() => document.querySelectorAll('.MathJax, .MathJax_Display').length > 0",
                    timeout=30_000,
                )
        assert not page.errors, f"page errors: {page.errors}"
        assert not outside, f"requests outside the site: {outside}"
