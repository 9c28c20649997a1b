"""A real HTTP receiver on 127.0.0.1 for outbound webhooks: it records every request (path, headers,
body) and answers with the statuses a test scripts (200 when none is left)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def reset(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[tuple[int, dict, bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks"

    def answer_with(self, *statuses: int, headers: dict | None = None, body: bytes = b"") -> None:
        self.answers.extend((status, headers or {}, body) for status in statuses)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body.decode()})
        status, headers, answer = self.server.answers.pop(0) if self.server.answers else (200, {}, b"thanks")
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture(scope="session")
def receiver_server():
    server = Receiver(("127.0.0.1", 0), Handler)
    server.reset()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver(receiver_server, settings):
    """The receiver, emptied, with webhooks allowed to loopback (the development setting)."""
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    receiver_server.reset()
    return receiver_server
