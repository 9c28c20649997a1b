"""Stripe's webhook inbox refuses forged and replayed deliveries, and processes each event once."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from coursedesk.billing.models import GatewayAccount, WebhookEvent

SECRET = "whsec_test_signing_secret_mine"
OTHER_SECRET = "whsec_test_signing_secret_theirs"


def signature(payload: bytes, secret: str, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def event(event_id: str = "evt_test_1", kind: str = "customer.created") -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": kind,
            "api_version": "2024-06-20",
            "data": {"object": {"id": "cus_test", "object": "customer"}},
        }
    ).encode()


@pytest.fixture
def endpoints(mine, theirs):
    for tenant, secret, endpoint in ((mine, SECRET, "we_mine"), (theirs, OTHER_SECRET, "we_theirs")):
        GatewayAccount.objects.update_or_create(
            creator=tenant.creator,
            defaults={
                "gateway": "stripe",
                "stripe_secret_key": "sk_test_x",
                "stripe_webhook_secret": secret,
                "webhook_endpoint_id": endpoint,
            },
        )
    return "/webhooks/stripe/we_mine/", "/webhooks/stripe/we_theirs/"


def deliver(client, url, payload, header):
    headers = {"HTTP_STRIPE_SIGNATURE": header} if header is not None else {}
    return client.post(url, payload, content_type="application/json", **headers)


FORGERIES = {
    "missing": lambda: None,
    "empty": lambda: "",
    "made up": lambda: "t=1,v1=deadbeef",
    "guessed secret": lambda: signature(event(), "whsec_guessed"),
    "another creator's secret": lambda: signature(event(), OTHER_SECRET),
}


# Signed when the test runs (ids stay the same for every test process).
@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_a_forged_signature_is_refused_and_nothing_stored(client, endpoints, forgery):
    mine_url, _ = endpoints
    header = FORGERIES[forgery]()

    response = deliver(client, mine_url, event(), header)

    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 0


def test_a_replayed_old_delivery_is_refused(client, endpoints):
    mine_url, _ = endpoints
    an_hour_ago = int(time.time()) - 3600

    response = deliver(client, mine_url, event(), signature(event(), SECRET, at=an_hour_ago))

    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 0


def test_a_tampered_payload_is_refused(client, endpoints):
    mine_url, _ = endpoints
    header = signature(event(), SECRET)

    response = deliver(client, mine_url, event(kind="charge.refunded"), header)

    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 0


def test_the_same_event_delivered_twice_is_processed_once(client, endpoints):
    mine_url, _ = endpoints
    payload = event()

    first = deliver(client, mine_url, payload, signature(payload, SECRET))
    again = deliver(client, mine_url, payload, signature(payload, SECRET))

    assert first.status_code == again.status_code == 200
    [stored] = WebhookEvent.objects.all()
    assert stored.attempts == 1
    assert stored.event_id == "evt_test_1"


def test_an_event_id_of_another_creator_is_refused(client, endpoints):
    mine_url, theirs_url = endpoints
    payload = event("evt_shared")
    deliver(client, theirs_url, payload, signature(payload, OTHER_SECRET))

    response = deliver(client, mine_url, payload, signature(payload, SECRET))

    assert response.status_code == 400
    [stored] = WebhookEvent.objects.all()
    assert stored.creator.email == "rival@example.com"


def test_an_unknown_endpoint_is_not_found(client, endpoints):
    payload = event()

    response = deliver(client, "/webhooks/stripe/we_nobody/", payload, signature(payload, SECRET))

    assert response.status_code == 404
    assert WebhookEvent.objects.count() == 0
