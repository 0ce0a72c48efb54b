"""Slider end-to-end latency in a real browser: key press -> new image painted.

Opens each explorer lesson in JupyterLab (headless Debian Chromium through Playwright), runs all
cells, then moves the slider with the keyboard N times. For each move it measures, inside the
page, the time from the `keydown` event to the frame after the widget's <img> has decoded its new
bytes (MutationObserver on `src` -> img.decode() -> requestAnimationFrame). Prints median and p95,
and where the time goes: a hook on the page's WebSocket timestamps the kernel's first reply
(its "busy" status for the slider's message) and the message carrying the new image, so each move
splits into browser -> kernel, kernel work (incl. the callback), and image message -> painted.

The page runs as a learner's would: JupyterLab's default windowing mode and ``make lab``'s kernel
WebSocket (TCP_NODELAY, see gancourse/lab/connection.py); ``--compare-stock`` adds rows with
jupyter_server's default connection. The harness does nothing in the page while a move is timed
(no DOM queries, no polling: it awaits a promise the page resolves).

Run to run, on 2 shared cores, a slider's median moves by several milliseconds (the browser, the
server and the kernel compete for the same cores), so ``--rounds R`` repeats each row R times, each
in a fresh JupyterLab and browser, pools the moves and also prints every round's own median.

    python benchmarks/browser_slider_latency.py [--moves 50] [--rounds 3] [--only NAME]
        [--compare-stock]
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

# Timestamps of WebSocket frames that belong to a comm message: sent by the page, and received
# (the kernel's status messages for it, the echo and the state update carrying the image).
HOOK = """(() => {
  window.__ws = [];
  const text = (d) => typeof d === 'string' ? d
      : (d instanceof ArrayBuffer
          ? new TextDecoder().decode(new Uint8Array(d).slice(0, 4000)) : '');
  const Original = window.WebSocket;
  window.WebSocket = function (...args) {
    const ws = new Original(...args);
    const send = ws.send.bind(ws);
    ws.send = (d) => {
      if (text(d).includes('comm_msg')) window.__ws.push(['sent', performance.now(), 0]);
      return send(d);
    };
    ws.addEventListener('message', (e) => { if (text(e.data).includes('comm_msg'))
        window.__ws.push(['received', performance.now(), e.data.byteLength || e.data.length]); });
    return ws;
  };
  window.WebSocket.prototype = Original.prototype;
  Object.assign(window.WebSocket, Original);
})();"""

ARM = """(img) => {
    window.__lat = undefined; window.__t0 = undefined; window.__ws = [];
    let done; window.__done = new Promise((resolve) => { done = resolve; });
    document.addEventListener('keydown', () => {
        if (window.__t0 === undefined) window.__t0 = performance.now();
    }, {capture: true, once: true});
    const observer = new MutationObserver(() => {
        observer.disconnect();
        img.decode().catch(() => {}).then(() => requestAnimationFrame(() => {
            window.__lat = performance.now() - window.__t0; done(); }));
    });
    observer.observe(img, {attributes: true, attributeFilter: ['src']});
}"""


def measure(page, base, notebook, description, nth, moves):
    jb.open_and_run_all(page, base, notebook)
    cell = jb.widget_cell(page, description, nth)
    slider = jb.slider_in(cell, description)
    image = cell.locator("img.widget-image").first
    if not page.evaluate("() => Array.isArray(window.__ws)"):
        raise RuntimeError(
            "the WebSocket hook is missing: add_init_script(HOOK) before opening the page"
        )
    handle = slider.locator(".noUi-handle").first
    latencies = []
    for move in range(moves):
        handle.focus()
        image.evaluate(ARM)
        # Pick the direction from the handle's ARIA values now: reading the slider back after the
        # key press would run the harness's DOM queries inside the window being measured.
        now, high = (float(handle.get_attribute(a)) for a in ("aria-valuenow", "aria-valuemax"))
        page.keyboard.press("ArrowRight" if now < high else "ArrowLeft")
        try:
            # awaits a promise the page resolves: no polling that would compete for the CPU
            page.evaluate(
                "() => Promise.race([window.__done, new Promise((_, no) => setTimeout(no, 10000))])"
            )
        except Exception:
            raise RuntimeError(
                f"{notebook}: move {move}: the image did not change within 10 s"
            ) from None
        move_data = page.evaluate("() => ({lat: window.__lat, t0: window.__t0, ws: window.__ws})")
        latencies.append(split(move_data))
    return latencies


def split(move: dict) -> dict:
    """Total latency and its parts from one move's WebSocket timestamps (NaN where absent)."""
    received = [(t - move["t0"], size) for kind, t, size in move["ws"] if kind == "received"]
    sent = [t - move["t0"] for kind, t, _ in move["ws"] if kind == "sent"]
    first = received[0][0] if received else float("nan")  # the kernel's "busy": it has the message
    image = (
        max(received, key=lambda r: r[1])[0] if received else float("nan")
    )  # the largest: the image
    return {
        "total": move["lat"],
        "sent": sent[0] if sent else float("nan"),
        "to kernel": first,
        "kernel": image - first,
        "painted": move["lat"] - image,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moves", type=int, default=50)
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help=(
            "repeat each row this many times, each in a fresh JupyterLab and browser; "
            "moves are pooled"
        ),
    )
    parser.add_argument("--only", default=None, help="run only targets whose name contains this")
    parser.add_argument(
        "--windowing",
        default="contentVisibility",
        help=(
            "JupyterLab's notebook windowing mode "
            "(its default: contentVisibility; the tests use none)"
        ),
    )
    parser.add_argument(
        "--stock-connection",
        action="store_true",
        help="jupyter_server's default kernel WebSocket (Nagle on) instead of make lab's",
    )
    parser.add_argument(
        "--compare-stock",
        action="store_true",
        help="also run each slider with jupyter_server's default kernel WebSocket, row after row",
    )
    args = parser.parse_args()
    if args.moves < 1 or args.rounds < 1:
        parser.error("--moves and --rounds must be at least 1")
    reason = jb.browser_unavailable_reason()
    if reason:
        print(f"skipped: {reason}")
        return 0
    root = Path(__file__).resolve().parent.parent
    print(
        "| slider | moves | median ms | p95 ms | round medians ms | key -> message sent | "
        "first reply from the kernel | kernel work (callback incl.) | image message -> painted |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    )
    for name, notebook, description, nth in TARGETS:
        if args.only and args.only not in name:
            continue
        if not (root / notebook).exists():
            print(f"| {name} | – | (lesson {notebook} not written yet) | |")
            continue
        for stock in (
            [args.stock_connection, True]
            if args.compare_stock and not args.stock_connection
            else [args.stock_connection]
        ):
            moves, round_medians = [], []
            for _round in range(args.rounds):
                # a fresh JupyterLab per lesson:
                # a second notebook opened in the same server can stall
                with (
                    jb.jupyterlab_server(args.windowing, stock) as base,
                    jb.chromium_page() as page,
                ):
                    page.add_init_script(HOOK)
                    these = measure(page, base, notebook, description, nth, args.moves)
                moves += these
                round_medians.append(statistics.median(m["total"] for m in these))
            lat = sorted(m["total"] for m in moves)
            p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))]
            parts = " | ".join(
                f"{statistics.median(m[k] for m in moves):.1f}"
                for k in ("sent", "to kernel", "kernel", "painted")
            )
            label = f"{name}, stock kernel WebSocket" if stock else name
            rounds = ", ".join(f"{r:.1f}" for r in round_medians)
            print(
                f"| {label} | {len(lat)} | {statistics.median(lat):.1f} | {p95:.1f} | "
                f"{rounds} | {parts} |",
                flush=True,
            )
    print(
        f"\n({args.rounds} round(s) of {args.moves} moves per row, "
        "each round in a fresh JupyterLab and browser; "
        "median and p95 over all of a row's moves; "
        "parts are medians over the moves, so they need not add up to the total's median; "
        "'message sent' is the page handing the slider's comm message to its WebSocket; "
        "the first reply is the kernel's busy status for the slider's message, back in the page; "
        "kernel work runs from it to the message with the new image; "
        f"JupyterLab windowing mode {args.windowing}; "
        "'stock kernel WebSocket' rows use jupyter_server's default connection "
        "(Nagle's algorithm on) instead of make lab's gancourse.lab.connection)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
