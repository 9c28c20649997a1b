"""The cluster test's topology, built once for the module: see topology.py.

Only `make test-cluster` runs these tests (they are marked `cluster`, which the ordinary run leaves
out through pytest's addopts). They need root (the databases run as the postgres user), PostgreSQL's
server binaries, Redis and HAProxy; the Makefile installs what is missing.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

import pytest

from tests.cluster.topology import Topology, free_port

DEMO_EMAIL = "demo@coursedesk.test"
DEMO_PASSWORD = "coursedesk-demo"
SCHEDULER_INTERVAL = 2.0


@dataclass
class Sink:
    """An SMTP server that keeps every message and can hold new connections before any mail moves."""

    messages: list = field(default_factory=list)
    holding: threading.Event = field(default_factory=threading.Event)
    held: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # Django's SMTP backend says EHLO before MAIL FROM: holding here means nothing was handed over.
        if self.holding.is_set():
            with self.lock:
                self.held += 1
            try:
                while self.holding.is_set():
                    await asyncio.sleep(0.05)
            finally:
                with self.lock:
                    self.held -= 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def by_outbox_id(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self.lock:
            for message in self.messages:
                key = message["X-CourseDesk-Email"]
                counts[key] = counts.get(key, 0) + 1
        return counts


@pytest.fixture(scope="session")
def sink():
    from aiosmtpd.controller import Controller

    handler = Sink()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port
    yield handler
    handler.holding.clear()
    controller.stop()


def _require(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed: run make test-cluster, which installs it")


@pytest.fixture(scope="session")
def cluster(sink):
    """Primary + replica, Redis, two web nodes behind HAProxy, two RQ workers, two schedulers."""
    if os.geteuid() != 0:
        pytest.fail("the cluster test runs the databases as the postgres user: run it as root")
    _require("haproxy")
    topology = Topology.create()
    topology.smtp_port = sink.port
    try:
        topology.start_databases()
        topology.prepare_application()
        topology.manage("seed_demo")
        topology.token = topology.manage("create_api_token", DEMO_EMAIL).strip()
        topology.ports["balancer"] = free_port()  # SITE_URL names it before the nodes start
        topology.start_web("web1")
        topology.start_web("web2")
        topology.start_balancer(["web1", "web2"])
        for name in ("worker1", "worker2"):
            topology.start_worker(name)
        for name in ("scheduler1", "scheduler2"):
            topology.start_scheduler(name, SCHEDULER_INTERVAL)
        yield topology
    finally:
        topology.stop()
        if os.environ.get("CLUSTER_KEEP"):
            print(f"cluster files kept in {topology.root}")
        else:
            topology.remove()


@dataclass
class Response:
    status: int
    headers: object  # case-insensitive: the balancer sends header names in lower case
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


class Http:
    """A tiny HTTP client through the balancer: a bearer token, or a cookie session like a browser."""

    def __init__(self, base_url: str, token: str | None = None):
        import http.cookiejar

        self.base_url = base_url
        self.token = token
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def request(self, method: str, path: str, body=None, *, form=None, headers=None, timeout=30) -> Response:
        headers = dict(headers or {})
        data = None
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            csrf = self.cookie("csrftoken")
            if csrf:
                form_headers = {"X-CSRFToken": csrf, "Referer": self.base_url + path}
                headers.update(form_headers)
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=timeout) as answer:
                return Response(answer.status, answer.headers, answer.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.headers, error.read())

    def get(self, path: str, **params) -> Response:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return self.request("GET", path + query)

    def post(self, path: str, body=None, **kwargs) -> Response:
        return self.request("POST", path, body, **kwargs)

    def cookie(self, name: str) -> str | None:
        return next((cookie.value for cookie in self.cookies if cookie.name == name), None)

    def sign_in(self, email_address: str, password: str) -> None:
        self.get("/accounts/login/")
        answer = self.post("/accounts/login/", form={"username": email_address, "password": password})
        assert answer.status == 302, answer.text[:500]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture(scope="session")
def api(cluster):
    return Http(cluster.balancer_url, token=cluster.token)
