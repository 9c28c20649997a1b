"""A stand-in for email providers' sending APIs on loopback (Postmark's /email, SendGrid's
/v3/mail/send), answering as their documentation shows, so django-anymail's real backends send
through it and the outbox records the provider's message id."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class ProviderRequests(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.server.received.append({"path": self.path, "body": body})
        if self.path == "/email":  # Postmark: one message, one MessageID
            message_id = str(uuid.uuid4())
            self.server.message_ids.append(message_id)
            answer = {
                "To": body.get("To", ""),
                "SubmittedAt": "2026-11-21T10:00:00.0000000Z",
                "MessageID": message_id,
                "ErrorCode": 0,
                "Message": "OK",
            }
            payload = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        elif self.path == "/v3/mail/send":  # SendGrid: 202, no body
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.send_header("X-Message-Id", uuid.uuid4().hex)
            self.end_headers()
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()


@pytest.fixture(scope="session")
def provider_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), ProviderRequests)
    server.received, server.message_ids = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.base_url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def email_provider(provider_server):
    provider_server.received.clear()
    provider_server.message_ids.clear()
    return provider_server
