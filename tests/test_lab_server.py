"""`make lab` starts a JupyterLab that serves lesson 00 (free port, no browser)."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

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


def test_make_lab_serves_lesson_00(tmp_path):
    port, token = _free_port(), "gancourse-test"
    args = f"--no-browser --port={port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token={token}"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    log_path = tmp_path / "lab.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        ["make", "-s", "lab", f"LAB_ARGS={args}"], cwd=ROOT, env=env,
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, status = time.time() + 90, None
        while time.time() < deadline:
            assert process.poll() is None, log_path.read_text(errors="replace")[-3000:]
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as response:
                    status = json.load(response)
                break
            except OSError:
                time.sleep(0.5)
        assert status is not None, "JupyterLab did not answer within 90 s:\n" + log_path.read_text(errors="replace")[-3000:]
        with urllib.request.urlopen(f"{base}/api/contents/lessons/00_welcome.ipynb?token={token}", timeout=10) as response:
            model = json.load(response)
        assert model["type"] == "notebook"
        assert model["content"]["cells"][0]["source"].startswith("# ")
        with urllib.request.urlopen(f"{base}/?token={token}", timeout=10) as response:
            assert response.status == 200 and b"JupyterLab" in response.read()
            assert response.url.split("?")[0].endswith("/lab/tree/lessons/00_welcome.ipynb"), f"lab opened on {response.url}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
    assert process.returncode is not None
