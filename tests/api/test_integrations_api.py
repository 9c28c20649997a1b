"""The integrations routes of the API: the event feed, webhook endpoints and their deliveries."""

from __future__ import annotations

import datetime as dt

import pytest

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.core import clock
from coursedesk.customers import services as customer_services
from coursedesk.integrations.events import EVENT_TYPES, FROM_AUDIT
from coursedesk.integrations.models import PublicEvent, WebhookDelivery, WebhookEndpoint
from coursedesk.mail.services import welcome_email_queue
from tests.factories import make_course, make_customer


def error_code(response):
    return response.json()["error"]["code"]


@pytest.fixture
def history(creator, other_creator, course, frozen_now):
    """A creator's customers going through grants, revokes, edits and emails (public and private
    audit events mixed), and another creator's events."""
    actor = Actor.creator(creator)
    for n in range(3):
        customer = customer_services.customer_create(
            creator=creator, email=f"s{n}@example.com", first_name=f"S{n}", actor=actor, source="api"
        )
        enrolment = customer_services.enrolment_grant(
            customer=customer, course=course, actor=actor, source="api"
        )
        welcome_email_queue(customer=customer, course=course, actor=actor, source="api")  # private
        clock.advance(dt.timedelta(minutes=1))
        customer_services.enrolment_revoke(enrolment=enrolment, actor=actor, source="api")
        enrolment.refresh_from_db()
        customer_services.enrolment_restore(enrolment=enrolment, actor=actor, source="api")
        customer_services.enrolment_expiration_set(
            enrolment=enrolment, expires_at=frozen_now + dt.timedelta(days=30), actor=actor, source="api"
        )
        customer_services.customer_update(customer=customer, last_name="Renamed", actor=actor, source="api")
        customer_services.customer_login_record(customer=customer, course=course)  # private
    rival_course = make_course(other_creator)
    rival = make_customer(other_creator)
    customer_services.enrolment_grant(
        customer=rival, course=rival_course, actor=Actor.creator(other_creator), source="api"
    )


def test_the_feed_is_the_public_audit_events_in_order_across_pages(api, creator, history):
    pages, after = [], None
    while True:
        response = api.get("/events", limit=4, **({"after": after} if after else {}))
        assert response.status_code == 200
        body = response.json()
        pages.append(body["results"])
        after = body["next"]
        if after is None:
            break

    feed = [event for page in pages for event in page]
    assert [len(page) for page in pages] == [4, 4, 4, 4, 2]
    audit = list(AuditEvent.objects.for_creator(creator).filter(type__in=list(FROM_AUDIT)).order_by("pk"))
    assert len(audit) == 18
    assert [(event["type"], event["created_at"]) for event in feed] == [
        (FROM_AUDIT[row.type], row.occurred_at.isoformat().replace("+00:00", "Z")) for row in audit
    ]
    assert [event["id"] for event in feed] == [str(row.public_event.pk) for row in audit]
    assert feed[0]["type"] == "customer.created"
    assert feed[0]["data"] == {
        "id": str(audit[0].customer_id),
        "first_name": "S0",
        "last_name": "",
        "email": "s0@example.com",
        "created_at": "2026-11-21T10:00:00Z",
        "last_login_at": None,
        "tags": [],
    }
    # the data of an event is the object when it happened: the later rename is not in it
    assert feed[5]["type"] == "customer.updated" and feed[5]["data"]["last_name"] == "Renamed"


def test_the_feed_filters_by_type_and_resumes_after_an_id(api, history):
    everything = api.get("/events", limit=200).json()["results"]

    revoked = api.get("/events", types="enrolment.revoked,enrolment.restored").json()
    assert [e["type"] for e in revoked["results"]] == ["enrolment.revoked", "enrolment.restored"] * 3
    assert revoked["next"] is None

    middle = everything[8]["id"]
    rest = api.get("/events", after=middle, limit=200).json()["results"]
    assert rest == everything[9:]
    assert api.get("/events", after=everything[-1]["id"]).json() == {"results": [], "next": None}


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"types": "enrolment.deleted"}, 422, "invalid_value"),
        ({"after": "999999"}, 404, "event_not_found"),
        ({"after": "abc"}, 422, "invalid_value"),
        ({"cursor": "1.1"}, 400, "unknown_parameter"),
        ({"limit": "500"}, 422, "invalid_value"),
    ],
)
def test_the_feed_refuses_bad_parameters(api, history, params, status, code):
    response = api.get("/events", **params)
    assert (response.status_code, error_code(response)) == (status, code)


def test_another_creators_event_id_is_not_a_cursor(api, history, other_creator):
    foreign = PublicEvent.objects.filter(creator=other_creator).first()
    response = api.get("/events", after=str(foreign.pk))
    assert (response.status_code, error_code(response)) == (404, "event_not_found")


# --- Webhook endpoints -----------------------------------------------------------------------------


@pytest.fixture
def created(api, receiver):
    response = api.post(
        "/webhook-endpoints",
        {"url": receiver.url, "events": ["enrolment.revoked", "customer.created"], "description": "CRM"},
    )
    assert response.status_code == 201
    return response.json()


def test_create_answers_with_the_secret_once(api, creator, created, receiver):
    endpoint = WebhookEndpoint.objects.get()
    assert created == {
        "id": str(endpoint.pk),
        "url": receiver.url,
        "events": ["customer.created", "enrolment.revoked"],
        "description": "CRM",
        "enabled": True,
        "secret": endpoint.secret,
    }
    assert created["secret"].startswith("whsec_")
    listed = api.get("/webhook-endpoints").json()
    assert listed == {"results": [{k: v for k, v in created.items() if k != "secret"}], "next": None}
    event = AuditEvent.objects.get(type="webhook_endpoint.created")
    assert (event.source, event.data["url"]) == ("api", receiver.url)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"url": "ftp://example.com/x", "events": ["customer.created"]}, "invalid_value"),
        ({"url": "https://127.0.0.1/x", "events": ["customer.created"]}, "webhook_url_private"),
        ({"url": "https://hooks.example.com/x", "events": ["customer.deleted"]}, "invalid_value"),
        ({"url": "https://hooks.example.com/x", "events": ["customer.created"]}, "webhook_url_unresolvable"),
        ({"url": "https://hooks.example.com/x", "events": []}, "invalid_value"),
    ],
)
def test_create_refuses_invalid_values_with_422(api, settings, body, code):
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False

    response = api.post("/webhook-endpoints", body)

    assert (response.status_code, error_code(response)) == (422, code)
    assert WebhookEndpoint.objects.count() == 0


def test_patch_rotate_and_delete(api, created, receiver):
    path = f"/webhook-endpoints/{created['id']}"

    patched = api.patch(path, {"events": ["payment.refunded"], "enabled": False})
    assert patched.status_code == 200
    assert (patched.json()["events"], patched.json()["enabled"]) == (["payment.refunded"], False)
    assert api.patch(path, {"enabled": "no"}).status_code == 422

    rotated = api.post(f"{path}/rotate-secret")
    assert rotated.status_code == 200
    assert rotated.json()["secret"] != created["secret"]
    assert WebhookEndpoint.objects.get().previous_secret == created["secret"]

    assert api.delete(path).status_code == 204
    assert WebhookEndpoint.objects.count() == 0
    assert api.delete(path).status_code == 404


def test_deliveries_and_redelivery(api, creator, customer, course, created, receiver, frozen_now):
    from coursedesk.integrations.deliveries import webhook_endpoint_test_send

    endpoint = WebhookEndpoint.objects.get()
    receiver.answer_with(500)
    delivery = webhook_endpoint_test_send(endpoint=endpoint)
    from coursedesk.integrations.deliveries import webhook_delivery_attempt

    webhook_delivery_attempt(delivery.pk)

    listed = api.get(f"/webhook-endpoints/{created['id']}/deliveries").json()
    assert listed == {
        "results": [
            {
                "id": str(delivery.pk),
                "event_id": str(delivery.event_id),
                "event_type": "webhook.test",
                "status": "pending",
                "attempts": 1,
                "response_status": 500,
                "next_attempt_at": "2026-11-21T10:01:00Z",
            }
        ],
        "next": None,
    }
    response = api.post(f"/webhook-deliveries/{delivery.pk}/redeliver")
    assert response.status_code == 202
    assert response.json() == {"id": str(delivery.pk), "status": "pending"}
    assert WebhookDelivery.objects.get().next_attempt_at == frozen_now


def test_another_creators_endpoints_and_deliveries_are_404(api, other_creator, receiver):
    from coursedesk.integrations.endpoints import webhook_endpoint_create

    foreign, _ = webhook_endpoint_create(
        creator=other_creator, url=receiver.url, events=list(EVENT_TYPES), actor=Actor.system(), source="api"
    )
    for method, path, body in [
        ("patch", f"/webhook-endpoints/{foreign.pk}", {"enabled": False}),
        ("delete", f"/webhook-endpoints/{foreign.pk}", None),
        ("post", f"/webhook-endpoints/{foreign.pk}/rotate-secret", {}),
        ("get", f"/webhook-endpoints/{foreign.pk}/deliveries", None),
    ]:
        response = api.call(method, path, body)
        assert response.status_code == 404, path
    assert api.get("/webhook-endpoints").json() == {"results": [], "next": None}
    foreign.refresh_from_db()
    assert foreign.enabled is True


def test_the_integrations_routes_are_in_the_openapi_schema(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/events": {"get"},
        "/api/v1/webhook-endpoints": {"get", "post"},
        "/api/v1/webhook-endpoints/{endpoint_id}": {"patch", "delete"},
        "/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret": {"post"},
        "/api/v1/webhook-endpoints/{endpoint_id}/deliveries": {"get"},
        "/api/v1/webhook-deliveries/{delivery_id}/redeliver": {"post"},
        "/api/v1/audit-log.csv": {"get"},
        "/api/v1/audit-log.jsonl": {"get"},
    }.items() <= {path: set(methods) for path, methods in paths.items()}.items()
