"""Outbound webhooks to a real receiver on 127.0.0.1: signed per Standard Webhooks (verified with
the standardwebhooks library's own verifier), in order, with the API's shapes as data; retried on
the schedule with the clock moved, every attempt stored, one event id across attempts; an endpoint
failing for 3 days turned off and its owner emailed."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing import refunds, subscriptions
from coursedesk.core import clock
from coursedesk.customers import services as customer_services
from coursedesk.integrations.deliveries import (
    RETRY_DELAYS,
    _claim,
    webhook_deliveries_due,
    webhook_deliveries_redeliver_failed,
    webhook_delivery_attempt,
    webhook_delivery_redeliver,
    webhook_endpoint_test_send,
)
from coursedesk.integrations.endpoints import webhook_endpoint_secret_rotate, webhook_endpoint_update
from coursedesk.integrations.models import PublicEvent, WebhookAttempt, WebhookDelivery
from coursedesk.mail.models import OutboundEmail

DESK = "desk"


def verified(request, secret):
    """The payload, if the request's signature verifies with standardwebhooks' verifier."""
    return Webhook(secret).verify(request["body"], request["headers"])


def revoke(enrolment, creator, on_commit):
    with on_commit(execute=True):
        customer_services.enrolment_revoke(enrolment=enrolment, actor=Actor.creator(creator), source=DESK)


def test_desk_actions_reach_the_receiver_signed_in_order_with_the_api_shapes(
    api,
    creator,
    customer,
    enrolment,
    payment,
    subscription,
    endpoint,
    secret,
    receiver,
    django_capture_on_commit_callbacks,
):
    actor = Actor.creator(creator)
    # when the creator revokes, refunds and pauses through the desk's services
    with django_capture_on_commit_callbacks(execute=True):
        customer_services.enrolment_revoke(enrolment=enrolment, actor=actor, source=DESK)
    with django_capture_on_commit_callbacks(execute=True):
        refunds.payment_refund(payment=payment, amount=1500, reason="", actor=actor, source=DESK)
    with django_capture_on_commit_callbacks(execute=True):
        subscriptions.subscription_pause(
            subscription=subscription, resume_on=dt.date(2027, 1, 15), actor=actor, source=DESK
        )

    # then each delivery verifies with the endpoint's secret, in the order things happened
    payloads = [verified(request, secret) for request in receiver.requests]
    assert [payload["type"] for payload in payloads] == [
        "enrolment.revoked",
        "payment.refunded",
        "subscription.paused",
    ]
    events = list(PublicEvent.objects.order_by("pk"))
    assert [payload["id"] for payload in payloads] == [str(event.pk) for event in events]
    assert [request["headers"]["webhook-id"] for request in receiver.requests] == [str(e.pk) for e in events]
    assert [payload["created_at"] for payload in payloads] == ["2026-11-21T10:00:00Z"] * 3
    # and each event's data is the object exactly as the API shows it
    profile = api.get(f"/customers/{customer.pk}").json()
    assert payloads[0]["data"] == profile["enrolments"][0]
    assert payloads[0]["data"]["status"] == "revoked"
    assert payloads[1]["data"] == profile["payments"][0]
    assert (payloads[1]["data"]["amount_refunded"], payloads[1]["data"]["refundable_amount"]) == (1500, 3400)
    assert payloads[2]["data"] == profile["subscriptions"][0]
    assert payloads[2]["data"]["status"] == "paused"
    # and every delivery succeeded at its first attempt
    assert (
        list(WebhookDelivery.objects.values_list("status", "attempts", "response_status"))
        == [("succeeded", 1, 200)] * 3
    )


def test_a_forged_or_altered_delivery_does_not_verify(
    creator, enrolment, endpoint, secret, receiver, django_capture_on_commit_callbacks
):
    revoke(enrolment, creator, django_capture_on_commit_callbacks)
    [request] = receiver.requests

    altered = {**request, "body": request["body"].replace("revoked", "active")}
    with pytest.raises(WebhookVerificationError):
        verified(altered, secret)
    with pytest.raises(WebhookVerificationError):
        verified(request, "whsec_" + "A" * 43 + "=")


def test_only_the_chosen_event_types_are_sent(
    creator, customer, enrolment, endpoint, receiver, django_capture_on_commit_callbacks
):
    webhook_endpoint_update(
        endpoint=endpoint, events=["payment.refunded"], actor=Actor.creator(creator), source=DESK
    )

    revoke(enrolment, creator, django_capture_on_commit_callbacks)

    assert receiver.requests == []
    assert WebhookDelivery.objects.count() == 0
    assert PublicEvent.objects.get().type == "enrolment.revoked"  # the feed still has it


def test_a_rolled_back_action_leaves_no_event_and_sends_nothing(
    creator, enrolment, endpoint, receiver, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        customer_services.enrolment_revoke(enrolment=enrolment, actor=Actor.creator(creator), source=DESK)
        raise RuntimeError("the rest of the action failed")

    assert PublicEvent.objects.count() == 0
    assert WebhookDelivery.objects.count() == 0
    assert receiver.requests == []


def test_500_then_200_with_the_clock_moved_nothing_lost_nothing_twice(
    creator, enrolment, endpoint, secret, receiver, frozen_now, django_capture_on_commit_callbacks
):
    # given the receiver fails once
    receiver.answer_with(500, body=b"database is down")

    revoke(enrolment, creator, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, 500)
    assert delivery.next_attempt_at == frozen_now + dt.timedelta(minutes=1)
    # nothing is tried before it is due, however often the scheduler runs
    assert webhook_deliveries_due() == {}
    assert webhook_delivery_attempt(delivery.pk) == "skipped"
    assert len(receiver.requests) == 1

    # when the minute has passed, the retry succeeds
    clock.advance(dt.timedelta(minutes=1))
    assert webhook_deliveries_due() == {"succeeded": 1}
    assert webhook_deliveries_due() == {}

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("succeeded", 2, 200)
    assert delivery.delivered_at == frozen_now + dt.timedelta(minutes=1)
    attempts = list(
        WebhookAttempt.objects.order_by("number").values_list(
            "number", "response_status", "response_body", "succeeded"
        )
    )
    assert attempts == [(1, 500, "database is down", False), (2, 200, "thanks", True)]
    # the same event, with the same id, twice; each request verifies
    first, second = receiver.requests
    assert first["body"] == second["body"]
    assert (
        first["headers"]["webhook-id"] == second["headers"]["webhook-id"] == str(PublicEvent.objects.get().pk)
    )
    assert verified(first, secret) == verified(second, secret)


def test_a_delivery_already_under_way_is_not_sent_again_until_it_counts_as_lost(
    creator, enrolment, endpoint, receiver, frozen_now, django_capture_on_commit_callbacks
):
    receiver.answer_with(500)
    revoke(enrolment, creator, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    clock.advance(dt.timedelta(minutes=1))

    # a worker claims the second attempt and dies before recording it
    claimed = _claim(delivery.pk)
    assert claimed is not None
    assert webhook_delivery_attempt(delivery.pk) == "skipped"  # a duplicate task sends nothing
    clock.advance(dt.timedelta(minutes=4, seconds=59))
    assert webhook_deliveries_due() == {}

    clock.advance(dt.timedelta(seconds=1))
    assert webhook_deliveries_due() == {"succeeded": 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 3)
    assert len(receiver.requests) == 2  # the lost attempt never reached it; nothing went twice
    assert list(WebhookAttempt.objects.order_by("number").values_list("number", "response_status")) == [
        (1, 500),
        (2, None),
        (3, 200),
    ]


def test_the_retry_schedule_then_three_days_of_failures_turn_the_endpoint_off(
    creator, customer, course, enrolment, endpoint, receiver, frozen_now, django_capture_on_commit_callbacks
):
    receiver.answer_with(*[500] * 20)
    revoke(enrolment, creator, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()

    # each failure waits 1 min, 5 min, 30 min, 2 h, 12 h, 24 h, then the delivery has failed
    for delay in RETRY_DELAYS:
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == clock.now() + delay
        clock.set_now(delivery.next_attempt_at)
        with django_capture_on_commit_callbacks(execute=True):
            webhook_deliveries_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 7, None)
    endpoint.refresh_from_db()
    assert (endpoint.enabled, endpoint.failing_since) == (True, frozen_now)
    assert OutboundEmail.objects.filter(kind="webhook_endpoint_disabled").count() == 0

    # when an event three days after the first failure fails too
    clock.set_now(frozen_now + dt.timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        enrolment.refresh_from_db()
        customer_services.enrolment_restore(enrolment=enrolment, actor=Actor.creator(creator), source=DESK)

    # then the endpoint is off, its owner emailed, and it is on the audit log
    endpoint.refresh_from_db()
    assert (endpoint.enabled, endpoint.disabled_at) == (False, frozen_now + dt.timedelta(days=3))
    [email] = OutboundEmail.objects.filter(kind="webhook_endpoint_disabled")
    assert (email.to, email.subject, email.customer) == (
        "maya@example.com",
        "A webhook endpoint was turned off",
        None,
    )
    assert receiver.url in email.text_body and "/settings/webhooks/" in email.text_body
    disabled = AuditEvent.objects.get(type="webhook_endpoint.disabled")
    assert (disabled.actor_kind, disabled.source, disabled.data["last_answer"]) == (
        "system",
        "webhooks",
        "HTTP 500",
    )
    # and nothing more is sent to it; what waits goes out once it is turned on again
    sent = len(receiver.requests)
    waiting = WebhookDelivery.objects.get(status="pending")
    clock.advance(dt.timedelta(days=1))
    assert webhook_deliveries_due() == {}
    with django_capture_on_commit_callbacks(execute=True):
        customer_services.enrolment_revoke(enrolment=enrolment, actor=Actor.creator(creator), source=DESK)
    assert WebhookDelivery.objects.count() == 2  # no delivery for an event while it is off
    assert len(receiver.requests) == sent

    receiver.answers.clear()
    with django_capture_on_commit_callbacks(execute=True):
        webhook_endpoint_update(endpoint=endpoint, enabled=True, actor=Actor.creator(creator), source=DESK)
    waiting.refresh_from_db()
    assert waiting.status == "succeeded"
    endpoint.refresh_from_db()
    assert (endpoint.enabled, endpoint.failing_since, endpoint.disabled_at) == (True, None, None)

    # and the failed one can be redelivered since a date
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_deliveries_redeliver_failed(endpoint=endpoint, since=frozen_now) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 8)
    assert json.loads(receiver.requests[-1]["body"])["id"] == str(delivery.event_id)


def test_redelivering_one_delivery_sends_the_same_event_again(
    creator, enrolment, endpoint, secret, receiver, django_capture_on_commit_callbacks
):
    revoke(enrolment, creator, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        webhook_delivery_redeliver(delivery=delivery)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    first, again = receiver.requests
    assert verified(first, secret) == verified(again, secret)


def test_a_test_event_goes_to_that_endpoint_only_and_never_into_the_feed(
    creator, endpoint, secret, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        webhook_endpoint_test_send(endpoint=endpoint)

    [request] = receiver.requests
    payload = verified(request, secret)
    assert (payload["type"], payload["data"]) == (
        "webhook.test",
        {"endpoint_id": str(endpoint.pk), "message": "A test event from CourseDesk."},
    )
    assert PublicEvent.objects.in_feed().count() == 0


def test_after_a_rotation_both_secrets_verify_for_24_hours(
    creator, enrolment, endpoint, secret, receiver, frozen_now, django_capture_on_commit_callbacks
):
    new_secret = webhook_endpoint_secret_rotate(endpoint=endpoint, actor=Actor.creator(creator), source=DESK)
    assert new_secret != secret and new_secret.startswith("whsec_")

    revoke(enrolment, creator, django_capture_on_commit_callbacks)
    clock.advance(dt.timedelta(hours=24))
    with django_capture_on_commit_callbacks(execute=True):
        enrolment.refresh_from_db()
        customer_services.enrolment_restore(enrolment=enrolment, actor=Actor.creator(creator), source=DESK)

    during, after = receiver.requests
    assert len(during["headers"]["webhook-signature"].split(" ")) == 2
    assert verified(during, secret) == verified(during, new_secret)
    assert verified(after, new_secret)["type"] == "enrolment.restored"
    with pytest.raises(WebhookVerificationError):
        verified(after, secret)
    rotated = AuditEvent.objects.get(type="webhook_endpoint.secret_rotated")
    assert rotated.data == {"url": receiver.url, "old_secret_valid_until": "2026-11-22T10:00:00+00:00"}
    assert secret not in json.dumps(list(AuditEvent.objects.values_list("data", flat=True)))


def test_the_scheduler_sends_what_a_lost_task_left_and_places_events_in_the_feed(
    creator, enrolment, endpoint, receiver, frozen_now
):
    import io

    from django.core.management import call_command

    # a revoke whose after-commit work (sending, feed position) was lost with its process
    customer_services.enrolment_revoke(enrolment=enrolment, actor=Actor.creator(creator), source=DESK)
    assert receiver.requests == []
    assert PublicEvent.objects.get().position is None
    clock.advance(dt.timedelta(minutes=1))
    out = io.StringIO()

    call_command("run_scheduler", "--once", stdout=out)

    assert "Events placed in the feed: 1." in out.getvalue()
    assert "Webhook deliveries: {'succeeded': 1}." in out.getvalue()
    assert PublicEvent.objects.get().position == 1
    assert len(receiver.requests) == 1
