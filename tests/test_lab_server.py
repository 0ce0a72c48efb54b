"""`make lab` starts a JupyterLab that serves lesson 00 (free port, no browser)."""

import asyncio
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import types
import urllib.request
import uuid
from pathlib import Path

from gancourse import lab
from gancourse.lab import lab_command

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_allow_root_only_for_root():
    assert "--allow-root" in lab_command(is_root=True)
    assert "--allow-root" not in lab_command(is_root=False)
    assert lab_command(["--no-browser"], is_root=False)[-1] == "--no-browser"


def test_make_lab_sends_kernel_messages_without_nagle_delay(monkeypatch):
    """make lab names a kernel connection class that turns TCP_NODELAY on before connecting."""
    from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

    flag = f"--ServerApp.kernel_websocket_connection_class={lab.CONNECTION_CLASS}"
    assert flag in lab_command(is_root=False)
    module, _, name = lab.CONNECTION_CLASS.rpartition(".")
    connection_class = getattr(importlib.import_module(module), name)
    assert issubclass(connection_class, ZMQChannelsWebsocketConnection)
    calls = []

    class FakeWebSocket:
        def set_nodelay(self, value):
            calls.append(("nodelay", value))

    monkeypatch.setattr(
        ZMQChannelsWebsocketConnection, "connect", lambda self: calls.append("connect")
    )
    connection = connection_class.__new__(connection_class)
    connection._trait_values["websocket_handler"] = FakeWebSocket()
    connection.connect()
    assert calls == [("nodelay", True), "connect"]


JUPYTER_BASE_MODULE = "jupyter_server.services.kernels.connection.channels"
FLAG_PREFIX = "--ServerApp.kernel_websocket_connection_class="


def _without_connection_module(monkeypatch):
    """Forget gancourse.lab.connection so the next import runs its module code again."""
    monkeypatch.delitem(sys.modules, "gancourse.lab.connection", raising=False)
    monkeypatch.delattr(lab, "connection", raising=False)


def test_lab_falls_back_when_jupyter_server_module_is_gone(monkeypatch, capsys):
    """A jupyter_server without the module our class extends: stock connection, and a message."""
    _without_connection_module(monkeypatch)
    monkeypatch.setitem(sys.modules, JUPYTER_BASE_MODULE, None)  # `import` of it now fails
    command = lab_command(is_root=False)
    assert not [a for a in command if a.startswith(FLAG_PREFIX)], command
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    err = capsys.readouterr().err
    assert lab.CONNECTION_CLASS in err
    assert "jupyter_server's own kernel connection" in err
    assert "ModuleNotFoundError" in err or "ImportError" in err


def test_lab_falls_back_when_the_class_was_renamed(monkeypatch, capsys):
    """The module is still there but the class is not (renamed): same fallback, named error."""
    _without_connection_module(monkeypatch)
    monkeypatch.setitem(sys.modules, JUPYTER_BASE_MODULE, types.ModuleType(JUPYTER_BASE_MODULE))
    assert lab.connection_flags() == []
    err = capsys.readouterr().err
    assert "cannot import name 'ZMQChannelsWebsocketConnection'" in err
    assert "jupyter_server's own kernel connection" in err


def test_lab_names_its_connection_when_it_loads(monkeypatch, capsys):
    """The normal case: the flag is there and nothing is printed (the fallback is not taken)."""
    _without_connection_module(monkeypatch)
    assert lab.connection_flags() == [FLAG_PREFIX + lab.CONNECTION_CLASS]
    assert capsys.readouterr().err == ""


def test_lab_without_jupyterlab_says_how_to_install_it(monkeypatch):
    """The lab extra missing (e.g. `pip install gancourse` alone): a clear exit, no traceback."""
    import importlib.util

    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        return None if name == "jupyterlab" else real_find_spec(name, *args, **kwargs)

    def no_exec(*args):
        raise AssertionError("main() tried to start JupyterLab")

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setattr(os, "execv", no_exec)
    monkeypatch.setattr(os, "chdir", lambda path: None)
    try:
        lab.main([])
    except SystemExit as stop:
        message = str(stop.code)
    else:
        raise AssertionError("main() did not stop")
    assert "JupyterLab is not installed" in message and ".[lab]" in message


async def _kernel_info_over_websocket(base: str, token: str) -> dict:
    """Start a kernel through the server, ask it for kernel_info over the server's WebSocket."""
    from tornado.httpclient import AsyncHTTPClient
    from tornado.websocket import websocket_connect

    http = AsyncHTTPClient()
    response = await http.fetch(f"{base}/api/kernels?token={token}", method="POST", body="{}")
    kernel_id = json.loads(response.body)["id"]
    try:
        ws = await websocket_connect(
            f"{base.replace('http', 'ws')}/api/kernels/{kernel_id}/channels"
            f"?token={token}&session_id=test"
        )
        msg_id = uuid.uuid4().hex
        await ws.write_message(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": "kernel_info_request",
                        "username": "",
                        "session": "test",
                        "date": "",
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": {},
                    "channel": "shell",
                    "buffers": [],
                }
            )
        )
        while True:
            message = await asyncio.wait_for(ws.read_message(), timeout=60)
            assert message is not None, "the kernel WebSocket closed"
            if isinstance(message, str):
                message = json.loads(message)
                if (
                    message["msg_type"] == "kernel_info_reply"
                    and message["parent_header"]["msg_id"] == msg_id
                ):
                    ws.close()
                    return message["content"]
    finally:
        await http.fetch(f"{base}/api/kernels/{kernel_id}?token={token}", method="DELETE")


def test_make_lab_serves_lesson_00(tmp_path):
    port, token = _free_port(), "gancourse-test"
    args = f"--no-browser --port={port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token={token}"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    log_path = tmp_path / "lab.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        ["make", "-s", "lab", f"LAB_ARGS={args}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, status = time.time() + 90, None
        while time.time() < deadline:
            assert process.poll() is None, log_path.read_text(errors="replace")[-3000:]
            try:
                with urllib.request.urlopen(
                    f"{base}/api/status?token={token}", timeout=2
                ) as response:
                    status = json.load(response)
                break
            except OSError:
                time.sleep(0.5)
        assert status is not None, (
            "JupyterLab did not answer within 90 s:\n"
            + log_path.read_text(errors="replace")[-3000:]
        )
        with urllib.request.urlopen(
            f"{base}/api/contents/lessons/00_welcome.ipynb?token={token}", timeout=10
        ) as response:
            model = json.load(response)
        assert model["type"] == "notebook"
        assert model["content"]["cells"][0]["source"].startswith("# ")
        with urllib.request.urlopen(f"{base}/?token={token}", timeout=10) as response:
            assert response.status == 200 and b"JupyterLab" in response.read()
            assert response.url.split("?")[0].endswith("/lab/tree/lessons/00_welcome.ipynb"), (
                f"lab opened on {response.url}"
            )
        # a kernel talks through make lab's own kernel WebSocket connection class
        info = asyncio.run(_kernel_info_over_websocket(base, token))
        assert info["status"] == "ok" and info["language_info"]["name"] == "python"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
    assert process.returncode is not None
