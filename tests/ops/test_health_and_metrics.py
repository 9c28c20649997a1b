"""/healthz, /readyz, /metrics, request ids and JSON log lines."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.db import OperationalError

from coursedesk.billing.models import WebhookEvent
from coursedesk.core import replica
from coursedesk.mail.models import OutboundEmail
from coursedesk.ops import views
from coursedesk.ops.json_logs import CourseDeskJsonFormatter
from coursedesk.ops.metrics import cluster_collector
from coursedesk.ops.requests import RequestIdFilter


@pytest.fixture(autouse=True)
def _fresh_gauges():
    cluster_collector.forget()
    yield
    cluster_collector.forget()


def test_healthz_answers_without_the_database(client):
    # No django_db mark: a query here would fail the test.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.fixture
def monitoring(settings):
    settings.METRICS_TOKEN = "s3cret-metrics"
    return {"Authorization": "Bearer s3cret-metrics"}


@pytest.mark.django_db
def test_readyz_tells_strangers_only_the_state(client, monkeypatch):
    def refused():
        raise OperationalError('connection to server at "10.0.0.21", port 5432 failed')

    monkeypatch.setattr(views, "_check_database", refused)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failed": ["database"]}


@pytest.mark.django_db
def test_readyz_when_everything_answers(client, monitoring):
    response = client.get("/readyz", headers=monitoring)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "failed": [],
        "checks": {
            "database": {"ok": True},
            "cache": {"ok": True},
            "queue": {"ok": True, "backend": "immediate"},
        },
    }


@pytest.mark.django_db
def test_readyz_is_unavailable_when_the_database_fails(client, monkeypatch, monitoring):
    def refused():
        raise OperationalError("connection refused")

    monkeypatch.setattr(views, "_check_database", refused)
    response = client.get("/readyz", headers=monitoring)
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["failed"]) == ("unavailable", ["database"])
    assert body["checks"]["database"] == {"ok": False, "error": "connection refused"}


@pytest.mark.django_db
def test_readyz_reports_a_replica_that_is_down_but_stays_ready(client, monkeypatch, monitoring):
    monkeypatch.setattr(replica, "replica_configured", lambda: True)
    monkeypatch.setattr(replica, "replica_status", lambda refresh=False: None)
    response = client.get("/readyz", headers=monitoring)
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["failed"]) == ("degraded", ["replica"])
    assert body["checks"]["replica"] == {
        "ok": False,
        "error": "the replica does not answer; reads use the primary",
    }


@pytest.mark.django_db
def test_readyz_reports_a_lagging_replica(client, monkeypatch, settings, monitoring):
    settings.DATABASE_REPLICA_MAX_LAG = 30
    lagging = replica.ReplicaStatus(replayed=1, lag_seconds=95.0, replay_paused=True, checked_at=0.0)
    monkeypatch.setattr(replica, "replica_configured", lambda: True)
    monkeypatch.setattr(replica, "replica_status", lambda refresh=False: lagging)
    body = client.get("/readyz", headers=monitoring).json()
    assert body["failed"] == ["replica"]
    assert body["checks"]["replica"]["error"] == "the replica lags 95 s (limit 30 s); reads use the primary"


def test_metrics_is_not_found_without_the_token_or_an_allowed_address(client, settings):
    settings.METRICS_TOKEN = "s3cret-metrics"
    settings.METRICS_ALLOWED_IPS = []
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404


def test_no_token_configured_means_no_token_opens_it(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_metrics_with_the_token_count_events_and_read_the_gauges(client, settings, creator, customer):
    from coursedesk.audit.services import Actor, audit_record

    settings.METRICS_TOKEN = "s3cret-metrics"
    before = _sample(client, 'coursedesk_events_total{type="email.failed"}') or 0.0
    OutboundEmail.objects.create(creator=creator, customer=customer, kind="welcome", to="a@b.c", subject="Hi")
    WebhookEvent.objects.create(creator=creator, event_id="evt_1", type="x", payload={}, status="failed")
    audit_record(creator=creator, type="email.failed", actor=Actor.system(), source="outbox")
    cluster_collector.forget()

    assert _sample(client, 'coursedesk_events_total{type="email.failed"}') == before + 1
    assert _sample(client, "coursedesk_emails_queued") == 1.0
    assert _sample(client, "coursedesk_emails_failed") == 0.0
    assert _sample(client, "coursedesk_webhook_events_failed") == 1.0
    text = _metrics(client)
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in text


@pytest.mark.django_db
def test_metrics_for_an_allowed_address(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")


def _metrics(client) -> str:
    response = client.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"})
    assert response.status_code == 200
    return response.content.decode()


def _sample(client, name: str) -> float | None:
    for line in _metrics(client).splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_every_response_carries_a_request_id(client):
    response = client.get("/healthz")
    assert len(response["X-Request-ID"]) == 32
    response = client.get("/healthz", headers={"X-Request-ID": "balancer-7f3a"})
    assert response["X-Request-ID"] == "balancer-7f3a"
    response = client.get("/healthz", headers={"X-Request-ID": "bad id\nwith a newline"})
    assert response["X-Request-ID"] != "bad id\nwith a newline"


@pytest.mark.django_db
def test_behind_a_balancer_the_client_address_is_the_one_it_appended(client, settings):
    from django.test import RequestFactory

    from coursedesk.ops.requests import RequestIdMiddleware

    settings.BEHIND_PROXY = True
    seen = {}

    def view(request):
        from django.http import HttpResponse

        seen["address"] = request.META["REMOTE_ADDR"]
        return HttpResponse()

    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="127.0.0.1")
    RequestIdMiddleware(view)(request)
    # The first address is whatever the client claimed; the last is what the balancer saw.
    assert seen["address"] == "203.0.113.9"


def test_json_log_lines_carry_the_request_id(client):
    from coursedesk.ops.requests import request_id_var

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(CourseDeskJsonFormatter())
    handler.addFilter(RequestIdFilter())
    log = logging.getLogger("coursedesk.test-json")
    log.addHandler(handler)
    log.propagate = False
    try:
        token = request_id_var.set("req-42")
        log.warning("refund of %s failed", "payment 7")
        request_id_var.reset(token)
        log.warning("outside a request")
    finally:
        log.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "refund of payment 7 failed"
    assert (first["level"], first["logger"], first["request_id"]) == (
        "WARNING",
        "coursedesk.test-json",
        "req-42",
    )
    assert "time" in first
    assert second["request_id"] == "-"
