"""A slider move through JupyterLab's server, without a browser: comm message -> new image back.

Starts JupyterLab as ``make lab`` does, then, as the page would, opens a kernel WebSocket, creates
an ``IntSlider`` wired to an ``ipywidgets.Image`` (lesson 00's smooth colour field, 128 x 128 PNG),
and sends the slider's state updates. For each move it times the kernel's replies as they reach the
client: its "busy" status, the slider's echo, the image update, "idle". Run once with ``make lab``'s
connection (gancourse.lab.connection, TCP_NODELAY) and once with jupyter_server's default, to show
what Nagle's algorithm costs a slider.

    python benchmarks/kernel_websocket_latency.py [--moves 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import jupyterlab_browser as jb  # noqa: E402

SETUP = """
import ipywidgets as widgets, torch
from gancourse import plot

def render(seed):
    g = torch.Generator().manual_seed(seed)
    code = torch.rand(1, 3, 4, 4, generator=g) * 2 - 1
    image = torch.nn.functional.interpolate(code, size=128, mode="bicubic", align_corners=False)
    return plot.to_png_bytes(image[0].clamp(-1, 1))

slider = widgets.IntSlider(value=0, min=0, max=100)
picture = widgets.Image(value=render(0), format="png")
slider.observe(lambda change: setattr(picture, "value", render(change["new"])), names="value")
print(slider.model_id)
"""


def _message(kind: str, content: dict) -> dict:
    header = {
        "msg_id": uuid.uuid4().hex,
        "msg_type": kind,
        "username": "",
        "session": "bench",
        "date": "",
        "version": "5.3",
    }
    return {
        "header": header,
        "parent_header": {},
        "metadata": {},
        "content": content,
        "channel": "shell",
        "buffers": [],
    }


async def _replies(ws, parent: str, until) -> dict:
    """Arrival times (ms since now) of the kernel's replies to ``parent``, by kind, until
    ``until(kind)``."""
    start, times = time.perf_counter(), {}
    while True:
        raw = await asyncio.wait_for(ws.read_message(), timeout=30)
        if raw is None:
            raise RuntimeError("the kernel WebSocket closed")
        if isinstance(
            raw, bytes
        ):  # messages with buffers come as binary frames: n, n offsets, JSON, buffers
            n = int.from_bytes(raw[:4], "big")
            offsets = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(n)]
            message, has_buffers = json.loads(raw[offsets[0] : offsets[1] if n > 1 else None]), True
        else:
            message, has_buffers = json.loads(raw), False
        if message["parent_header"].get("msg_id") != parent:
            continue
        kind = message["msg_type"]
        if kind == "status":
            kind = message["content"]["execution_state"]
        elif kind == "comm_msg":
            kind = "image" if has_buffers else "echo"
        elif kind == "stream":
            times["text"] = message["content"]["text"]
        times.setdefault(kind, (time.perf_counter() - start) * 1000)
        if until(kind):
            return times


async def _measure(base: str, moves: int) -> dict:
    from tornado.httpclient import AsyncHTTPClient
    from tornado.websocket import websocket_connect

    http = AsyncHTTPClient()
    response = await http.fetch(f"{base}/api/kernels?token={jb.TOKEN}", method="POST", body="{}")
    kernel = json.loads(response.body)["id"]
    ws = await websocket_connect(
        f"{base.replace('http', 'ws')}/api/kernels/{kernel}/channels"
        f"?token={jb.TOKEN}&session_id=bench"
    )
    setup = _message(
        "execute_request",
        {
            "code": SETUP,
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
    )
    await ws.write_message(json.dumps(setup))
    model = (await _replies(ws, setup["header"]["msg_id"], lambda kind: kind == "idle"))[
        "text"
    ].strip()
    results = []
    for move in range(moves + 10):
        update = _message(
            "comm_msg",
            {
                "comm_id": model,
                "data": {
                    "method": "update",
                    "state": {"value": move % 100 + 1},
                    "buffer_paths": [],
                },
            },
        )
        await ws.write_message(json.dumps(update))
        times = await _replies(ws, update["header"]["msg_id"], lambda kind: kind == "idle")
        if "image" not in times:
            raise RuntimeError(f"move {move}: no image update came back: {sorted(times)}")
        if move >= 10:  # the first moves warm up the kernel
            results.append(times)
    ws.close()
    await http.fetch(f"{base}/api/kernels/{kernel}?token={jb.TOKEN}", method="DELETE")
    return {
        kind: statistics.median(r[kind] for r in results)
        for kind in ("busy", "echo", "image", "idle")
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=60)
    args = parser.parse_args()
    print(
        "| kernel WebSocket | moves | busy ms | echo ms | new image ms | idle ms |\n"
        "| --- | --- | --- | --- | --- | --- |"
    )
    for label, stock in (("make lab's (TCP_NODELAY)", False), ("jupyter_server's default", True)):
        with jb.jupyterlab_server(stock_connection=stock) as base:
            medians = asyncio.run(_measure(base, args.moves))
        print(
            f"| {label} | {args.moves} | "
            + " | ".join(f"{medians[k]:.1f}" for k in ("busy", "echo", "image", "idle"))
            + " |",
            flush=True,
        )
    print(
        "\n(medians of the time from sending the slider's update to each reply reaching the client)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
