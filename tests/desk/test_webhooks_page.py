"""Settings → Webhooks: add an endpoint (its secret shown once), see its deliveries, send a test event,
redeliver, change, rotate the secret, remove; and download the audit log."""

from __future__ import annotations

import pytest

from coursedesk.audit.models import AuditEvent
from coursedesk.integrations.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

PAGE = "/desk/settings/webhooks/"


@pytest.fixture
def added(creator_client, receiver, django_capture_on_commit_callbacks):
    response = creator_client.post(
        PAGE, {"url": receiver.url, "events": ["enrolment.revoked", "payment.refunded"], "description": "CRM"}
    )
    assert response.status_code == 200
    return WebhookEndpoint.objects.get(), response.content.decode()


def test_adding_an_endpoint_shows_its_secret_once(creator_client, added, receiver):
    endpoint, page = added
    assert (endpoint.url, endpoint.events, endpoint.description) == (
        receiver.url,
        ["enrolment.revoked", "payment.refunded"],
        "CRM",
    )
    assert endpoint.secret in page
    assert "it is not shown again" in page
    again = creator_client.get(PAGE).content.decode()
    assert receiver.url in again
    assert endpoint.secret not in again


def test_an_invalid_endpoint_is_refused_with_the_reason(creator_client, settings):
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False

    response = creator_client.post(PAGE, {"url": "https://10.0.0.7/in", "events": ["enrolment.revoked"]})

    assert response.status_code == 422
    assert "private, loopback or link-local address (10.0.0.7)" in response.content.decode()
    assert WebhookEndpoint.objects.count() == 0


def test_test_event_then_redeliver_from_the_page(
    creator_client, added, receiver, django_capture_on_commit_callbacks
):
    endpoint, _ = added
    receiver.answer_with(500)

    with django_capture_on_commit_callbacks(execute=True):
        creator_client.post(f"{PAGE}{endpoint.pk}/test/")
    delivery = WebhookDelivery.objects.get()
    page = creator_client.get(PAGE).content.decode()
    assert "webhook.test" in page and "Pending" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = creator_client.post(f"/desk/settings/webhook-deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    assert WebhookAttempt.objects.count() == 2


def test_change_rotate_and_remove(creator_client, added, receiver):
    endpoint, _ = added
    prefix = f"endpoint-{endpoint.pk}"

    creator_client.post(
        f"{PAGE}{endpoint.pk}/change/",
        {
            f"{prefix}-url": receiver.url,
            f"{prefix}-events": ["customer.created"],
            f"{prefix}-description": "",
        },
    )
    endpoint.refresh_from_db()
    assert (endpoint.events, endpoint.enabled, endpoint.description) == (["customer.created"], False, "")

    old = endpoint.secret
    page = creator_client.post(f"{PAGE}{endpoint.pk}/rotate-secret/").content.decode()
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret in page
    assert "The old secret keeps signing beside it for 24 hours" in page

    creator_client.post(f"{PAGE}{endpoint.pk}/delete/")
    assert WebhookEndpoint.objects.count() == 0
    assert list(AuditEvent.objects.order_by("pk").values_list("type", flat=True)) == [
        "webhook_endpoint.created",
        "webhook_endpoint.updated",
        "webhook_endpoint.secret_rotated",
        "webhook_endpoint.deleted",
    ]


def test_the_audit_log_downloads_from_the_page(creator_client, added):
    response = creator_client.get("/desk/settings/audit-log/", {"start": "2000-01-01", "format": "jsonl"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/jsonl; charset=utf-8"
    assert b'"type": "webhook_endpoint.created"' in b"".join(response.streaming_content)


def test_the_settings_page_links_to_webhooks(creator_client):
    assert PAGE in creator_client.get("/accounts/settings/").content.decode()
