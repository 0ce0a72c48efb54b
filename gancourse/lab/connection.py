"""A kernel WebSocket connection that sends each message at once (what ``make lab`` uses).

Used from lesson 00 on, by every slider in the lessons (``make lab`` names it).

Why: a slider move makes the kernel send several small messages in a row (status "busy", the
slider's echo, the new image, status "idle"). Tornado's WebSocket leaves Nagle's algorithm on, so
the second small message waits until the browser acknowledges the first, and browsers delay that
acknowledgement by up to 40 ms. The new image therefore reached the page ~40 ms after the kernel
had sent it. Turning on TCP_NODELAY for the kernel's socket removes that wait; the bytes sent are
the same (measured in benchmarks/browser_slider_latency.py and docs/benchmarks.md).

The class extends one of jupyter_server's (2.0 and later). Should a future jupyter_server move or
rename it, importing this module fails, and :func:`gancourse.lab.connection_flags` then starts
JupyterLab with jupyter_server's own connection and prints why, rather than failing at start-up.
"""

from __future__ import annotations

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection


class LowLatencyKernelConnection(ZMQChannelsWebsocketConnection):
    """jupyter_server's kernel connection, with TCP_NODELAY on its WebSocket."""

    def connect(self):
        self.websocket_handler.set_nodelay(True)
        return super().connect()
