"""`make run` is a trial of the real thing: it starts with DEBUG off, serves the sign-in page and
collected static files (whitenoise under gunicorn), shows CourseDesk's own 404 page, and prints where
to sign in."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_make_run_serves_the_product_with_debug_off(tmp_path):
    # Given a fresh checkout's state (an empty var directory) and a free port
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DEBUG", "DJANGO_SETTINGS_MODULE", "STATIC_ROOT", "MEDIA_ROOT"}
    }
    env.update(VAR_DIR=str(tmp_path / "var"), PORT=str(port), SECRET_KEY="make-run-trial-" + "k" * 40)
    log = tmp_path / "make-run.log"

    # When `make run` starts
    with log.open("w") as out:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 240
        sign_in = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                sign_in = requests.get(f"{base}/accounts/login/", timeout=60)
                break
            except (requests.ConnectionError, requests.ReadTimeout):
                time.sleep(0.5)
        printed = log.read_text()
        assert sign_in is not None, printed

        # Then the sign-in page answers, and the output says where and as whom to sign in
        assert sign_in.status_code == 200
        assert f"Sign in:   http://127.0.0.1:{port}/accounts/login/" in printed
        assert "demo@coursedesk.test  /  coursedesk-demo" in printed
        assert "DEBUG off" in printed

        # And the page's stylesheet is a collected (hashed) static file served by whitenoise
        stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', sign_in.text).group(1)
        assert stylesheet.startswith("/static/coursedesk/coursedesk.") and stylesheet != (
            "/static/coursedesk/coursedesk.css"
        )
        css = requests.get(base + stylesheet, timeout=60)
        assert css.status_code == 200
        assert css.headers["Content-Type"].startswith("text/css")
        assert "immutable" in css.headers["Cache-Control"]

        # And an unknown address shows CourseDesk's page, not Django's debug page
        missing = requests.get(f"{base}/no-such-page/", timeout=60)
        assert missing.status_code == 404
        assert "<title>Not found · CourseDesk</title>" in missing.text
        assert "URLconf" not in missing.text
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
