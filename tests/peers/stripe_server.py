"""A real fake-Stripe server (localstripe) on loopback for tests of the Stripe gateway.

It runs in a thread of the test process, bound to 127.0.0.1 on a free port, with its state kept in
memory only (its save-to-disk hook is switched off). `stripe_server` is session-wide; each test that
uses `stripe_api_base` starts from an empty store. `webhook_catcher` receives the signed deliveries
localstripe sends, so tests can hand them to CourseDesk's inbox as Stripe would.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class StripeServer:
    base: str
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread

    def call(self, method: str, path: str, data: dict | None = None) -> None:
        body = urllib.parse.urlencode(data or {}, doseq=True).encode() if data else None
        request = urllib.request.Request(f"{self.base}{path}", data=body, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def reset(self) -> None:
        self.call("DELETE", "/_config/data")

    def webhook_register(self, name: str, url: str, secret: str) -> None:
        self.call("POST", f"/_config/webhooks/{name}", {"url": url, "secret": secret})


@pytest.fixture(scope="session")
def stripe_server():
    from aiohttp import web
    from localstripe import resources, server

    resources.store.dump_to_disk = lambda: None  # memory only: never the shared pickle file
    port = _free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    runner = web.AppRunner(server.app)

    def serve():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, name="localstripe", daemon=True)
    thread.start()
    if not started.wait(10):
        raise RuntimeError("localstripe did not start")
    yield StripeServer(base=f"http://127.0.0.1:{port}", loop=loop, thread=thread)
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.fixture
def stripe_api_base(stripe_server, settings):
    """Points CourseDesk's Stripe gateway at localstripe, with an empty store."""
    stripe_server.reset()
    settings.STRIPE_API_BASE = stripe_server.base
    return stripe_server.base


@dataclass
class Delivery:
    body: bytes
    signature: str

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass
class WebhookCatcher:
    url: str
    deliveries: list[Delivery] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, event_type: str, count: int = 1, timeout: float = 10.0) -> list[Delivery]:
        def matching():
            return [d for d in self.deliveries if d.event.get("type") == event_type]

        with self.arrived:
            self.arrived.wait_for(lambda: len(matching()) >= count, timeout)
        return matching()


@pytest.fixture
def webhook_catcher(stripe_api_base, stripe_server):
    """A loopback endpoint registered with localstripe that keeps every signed delivery."""
    port = _free_port()
    catcher = WebhookCatcher(url=f"http://127.0.0.1:{port}/hook")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with catcher.arrived:
                catcher.deliveries.append(Delivery(body, self.headers.get("Stripe-Signature", "")))
                catcher.arrived.notify_all()
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            return None

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield catcher
    httpd.shutdown()
    httpd.server_close()
