"""``python -m glassnet studio``: the URL with its token is the first stdout line; the browser."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("starlette")
httpx = pytest.importorskip("httpx")

ROOT = Path(__file__).resolve().parents[2]
URL = re.compile(r"^http://127\.0\.0\.1:(\d+)/\?token=([A-Za-z0-9_-]{24,})$")


def _start(*arguments, env=None):
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "glassnet", "studio", *arguments], cwd=ROOT, env=environment,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _stop(process):
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def test_first_line_is_the_url_with_token_and_the_server_answers():
    process = _start("--port", "0", "--no-browser")
    try:
        line = process.stdout.readline().strip()
        match = URL.match(line)
        assert match, line
        port, token = int(match.group(1)), match.group(2)
        base = f"http://127.0.0.1:{port}"
        state = httpx.get(f"{base}/api/state", params={"token": token}, timeout=10)
        assert state.status_code == 200 and state.json()["runs"] == []
        assert httpx.get(f"{base}/api/state", timeout=10).status_code == 403
        page = httpx.get(line, timeout=10)
        assert page.status_code == 200 and token in page.text
        assert "__GLASSNET_TOKEN__" not in page.text
        process.send_signal(signal.SIGINT)  # Ctrl+C: a clean stop
        assert process.wait(15) == 0
    finally:
        if process.poll() is None:
            _stop(process)


def test_opens_the_browser_unless_no_browser(tmp_path):
    opened = tmp_path / "opened.txt"
    recorder = tmp_path / "browser.py"
    recorder.write_text("import sys, pathlib\n"
                        f"pathlib.Path({str(opened)!r}).write_text(sys.argv[1])\n")
    env = {"BROWSER": f"{sys.executable} {recorder} %s", "DISPLAY": ""}
    process = _start("--port", "0", env=env)
    try:
        line = process.stdout.readline().strip()
        assert URL.match(line), line
        deadline = time.monotonic() + 15
        while not opened.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert opened.read_text() == line  # the browser got the URL with its token
    finally:
        _stop(process)
    opened.unlink()
    process = _start("--port", "0", "--no-browser", env=env)
    try:
        assert URL.match(process.stdout.readline().strip())
        time.sleep(1.0)
        assert not opened.exists()
    finally:
        _stop(process)


def test_a_taken_port_is_a_clear_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "glassnet", "studio", "--port", str(port), "--no-browser"],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
            text=True, timeout=60)
    assert result.returncode == 1 and result.stdout == ""
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_without_the_studio_extra_it_says_what_to_install(monkeypatch, capsys):
    from glassnet import cli

    monkeypatch.setitem(sys.modules, "starlette", None)
    monkeypatch.setitem(sys.modules, "starlette.applications", None)
    monkeypatch.delitem(sys.modules, "glassnet.studio.server", raising=False)
    assert cli.main(["studio", "--no-browser", "--port", "0"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert 'pip install "glassnet[studio]"' in captured.err


def test_listening_beyond_this_machine_warns_in_both_languages():
    process = _start("--host", "0.0.0.0", "--port", "0", "--no-browser")
    try:
        first = process.stdout.readline().strip()
        assert "?token=" in first, first
        errors = [process.stderr.readline() for _ in range(2)]
        warning = next((line for line in errors if "warning" in line), "")
        assert "listening on 0.0.0.0" in warning and "警告" in warning, errors
    finally:
        _stop(process)
