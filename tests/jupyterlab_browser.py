"""Drive JupyterLab + ipywidgets in Debian's headless Chromium through Playwright.

Used by tests/test_browser_widgets.py (and the slider-latency benchmark). Follows the proven recipe
in the project's shared recipes: Debian's chromium (no Playwright browser download), flags that keep
it off the closed network, JupyterLab with its state in a temp dir, Run All retried once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TOKEN = "gancourse-browser-test"


def browser_unavailable_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not Path(CHROMIUM).exists():
        return "Debian's chromium is not installed (make test installs it when root with apt-get)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (it is in the [dev] extra: run make setup)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyterlab_server(windowing: str = "none", stock_connection: bool = False):
    """Start JupyterLab like `make lab` does (no browser, free port); yield its base URL.

    ``windowing``: the notebook's windowing mode ("none" renders every cell, so off-screen widgets
    are in the DOM; JupyterLab's own default is "contentVisibility"). ``stock_connection``: use
    jupyter_server's default kernel WebSocket instead of ``make lab``'s low-latency one (to compare
    the two).
    """
    from gancourse.lab import lab_command

    state = Path(tempfile.mkdtemp(prefix="gancourse-lab-"))
    env = dict(os.environ)
    for var in (
        "JUPYTER_CONFIG_DIR",
        "JUPYTER_RUNTIME_DIR",
        "IPYTHONDIR",
        "MPLCONFIGDIR",
        "XDG_CONFIG_HOME",
        "XDG_CACHE_HOME",
    ):
        env[var] = str(state / var.lower())
    env.pop("JUPYTER_DATA_DIR", None)  # keep the installed lab extensions (ipywidgets) visible
    # Render every cell (no windowing, so off-screen prompts and widgets exist in the DOM) and
    # do not ask about news; keep workspaces out of the course folder.
    settings = state / "settings"
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": windowing})
    )
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (
        settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    ).write_text('{"fetchNews": "false", "checkForUpdates": false}')
    (settings / "@jupyterlab" / "docmanager-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "docmanager-extension" / "plugin.jupyterlab-settings").write_text(
        '{"autosave": false}'
    )
    env["JUPYTERLAB_SETTINGS_DIR"] = str(settings)
    # Serve a copy of the course notebooks, so a run in the browser never writes outputs into them.
    served = state / "course"
    for folder in ("lessons", "exercises"):
        shutil.copytree(
            ROOT / folder, served / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints")
        )
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(state / "workspaces")
    port = _free_port()
    command = lab_command(
        [
            f"--port={port}",
            "--no-browser",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={TOKEN}",
        ]
    )
    command[0] = sys.executable
    if stock_connection:
        command = [a for a in command if "kernel_websocket_connection_class" not in a]
    log = (state / "lab.log").open("wb")
    process = subprocess.Popen(
        command, cwd=served, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError("JupyterLab exited:\n" + (state / "lab.log").read_text()[-3000:])
            try:
                urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("JupyterLab did not start in 90 s") from None
                time.sleep(0.5)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(state, ignore_errors=True)


@contextlib.contextmanager
def chromium_page(width: int = 1400, height: int = 1000):
    from playwright.sync_api import sync_playwright

    state = tempfile.mkdtemp(prefix="chromium-state-")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            env={**os.environ, "XDG_CONFIG_HOME": state, "XDG_CACHE_HOME": state},
        )
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.errors = []
            page.on("pageerror", lambda e: page.errors.append(str(e)))
            yield page
        finally:
            browser.close()
            shutil.rmtree(state, ignore_errors=True)


def open_and_run_all(page, base: str, notebook: str, timeout_s: float = 180) -> None:
    """Open a notebook in JupyterLab, wait for the kernel, Run All Cells (retried once)."""
    page.goto(f"{base}/lab/tree/{notebook}?token={TOKEN}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function(
        "() => /\\|\\s*Idle/.test(document.querySelector('#jp-main-statusbar')?.innerText || '')",
        timeout=90_000,
    )
    page.wait_for_timeout(2000)
    n_code = page.locator(".jp-CodeCell").count()

    def all_executed():
        prompts = page.locator(
            ".jp-CodeCell .jp-InputPrompt"
        ).all_text_contents()  # not innerText: offscreen cells may skip layout
        return len(prompts) == n_code and all(re.fullmatch(r"\[\d+\]:", s.strip()) for s in prompts)

    for _attempt in (1, 2):
        page.click('.lm-MenuBar-itemLabel:text-is("Run")')
        page.click('.lm-Menu-itemLabel:text-is("Run All Cells")')
        deadline = time.time() + timeout_s
        while time.time() < deadline and not all_executed():
            page.wait_for_timeout(500)
        if all_executed():
            return
    raise AssertionError(f"{notebook}: not every cell ran within {timeout_s} s")


def widget_cell(page, slider_description: str, nth: int = 0):
    """The output area of the nth cell whose output has a slider labelled ``slider_description``."""
    label = page.locator(
        ".widget-label", has_text=re.compile(rf"^{re.escape(slider_description)}$")
    )
    cell = page.locator(".jp-Cell", has=page.locator(".widget-slider", has=label)).nth(nth)
    cell.scroll_into_view_if_needed()
    return cell


def slider_in(cell, description: str):
    label = cell.page.locator(".widget-label", has_text=re.compile(rf"^{re.escape(description)}$"))
    return cell.locator(".widget-slider", has=label).first


def image_digest(cell, nth: int = 0) -> str:
    """sha256 of the bytes the nth ipywidgets Image in ``cell`` shows
    (read back from its blob URL)."""
    image = cell.locator("img.widget-image").nth(nth)
    image.wait_for(state="visible", timeout=30_000)
    data = image.evaluate(
        """async (img) => {
            const buffer = await (await fetch(img.src)).arrayBuffer();
            return Array.from(new Uint8Array(buffer));
        }"""
    )
    return hashlib.sha256(bytes(data)).hexdigest()


def wait_for_new_image(cell, old_digest: str, timeout_s: float = 10.0, nth: int = 0) -> str:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        digest = image_digest(cell, nth)
        if digest != old_digest:
            return digest
        cell.page.wait_for_timeout(50)
    return old_digest


def press_slider(slider, key: str = "ArrowRight", presses: int = 1) -> None:
    handle = slider.locator(".noUi-handle").first
    handle.focus()
    for _ in range(presses):
        slider.page.keyboard.press(key)


def drag_slider(slider, dx: float) -> None:
    box = slider.locator(".noUi-handle").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page = slider.page
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y, steps=3)
    page.mouse.move(x + dx, y, steps=3)
    page.mouse.up()


def readout(slider) -> str:
    return slider.locator(".widget-readout").first.inner_text()
