"""Delivering events to webhook endpoints: signed per Standard Webhooks, retried on a schedule,
every attempt stored.

A delivery is one event for one endpoint. Each run of the `webhook_deliver` task makes at most one
attempt: it claims the delivery under its row lock (so two runs never send the same attempt), sends
outside any transaction, then records the answer. A 2xx answer within 10 seconds is success;
anything else is retried 1 minute, 5 minutes, 30 minutes, 2 hours, 12 hours and 24 hours later. An
endpoint whose attempts have failed for 3 days is disabled and its owner emailed. Runs whose task
was lost (a worker that died mid-send) are picked up by `webhook_deliveries_due`, which the
scheduler runs every minute; so delivery is at least once, and the event id stays the same across
attempts for consumers to deduplicate.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass

import requests
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django_tasks import task
from requests_hardened.ip_filter import InvalidIPAddress
from standardwebhooks import Webhook

from coursedesk.audit.services import Actor, audit_record
from coursedesk.audit.types import AuditEventType, AuditSource
from coursedesk.core import clock
from coursedesk.core.errors import DomainError
from coursedesk.integrations.events import TEST_EVENT_TYPE, event_body
from coursedesk.integrations.models import PublicEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from coursedesk.integrations.safety import TIMEOUT_SECONDS, webhook_session_manager, webhook_url_check
from coursedesk.mail.models import OutboundEmail
from coursedesk.mail.services import email_queue

logger = logging.getLogger(__name__)
Status = WebhookDelivery.Status

RETRY_DELAYS = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=12),
    dt.timedelta(hours=24),
)
ATTEMPTS_PER_ROUND = 1 + len(RETRY_DELAYS)
# An attempt that has not been recorded this long after it started was lost with its worker.
LOST_AFTER = dt.timedelta(minutes=5)
DISABLE_AFTER = dt.timedelta(days=3)
BODY_KEPT = 2048


# --- Creating deliveries ----------------------------------------------------------------------------


def deliveries_create(event: PublicEvent, endpoints=None) -> list[WebhookDelivery]:
    """A pending delivery of `event` for each enabled endpoint of its creator that asked for its
    type (or every endpoint, for a test event made for it); sent after the transaction commits.
    `endpoints`: the creator's enabled endpoints when the caller has read them already."""
    if endpoints is None:
        endpoints = WebhookEndpoint.objects.filter(creator_id=event.creator_id, enabled=True)
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, event=event, next_attempt_at=event.created_at)
        for endpoint in endpoints
        if event.type in endpoint.events
    )
    _enqueue_after_commit([delivery.pk for delivery in deliveries])
    return deliveries


def _enqueue_after_commit(delivery_ids: list[int]) -> None:
    if delivery_ids:
        transaction.on_commit(lambda: [webhook_deliver.enqueue(pk) for pk in delivery_ids])


# --- Signing --------------------------------------------------------------------------------------


def signed_headers(*, endpoint: WebhookEndpoint, message_id: str, body: str, at: dt.datetime) -> dict:
    """Standard Webhooks headers: the id, the time, and a v1 signature with each signing secret
    (two during the 24 hours after a rotation, so either secret verifies)."""
    signatures = [
        Webhook(secret).sign(message_id, at, body) for secret in endpoint.signing_secrets(clock.now())
    ]
    return {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


# --- Sending ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    response_status: int | None
    body: str
    error: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return (
            self.response_status is not None
            and 200 <= self.response_status < 300
            and self.duration_ms <= TIMEOUT_SECONDS * 1000
        )


def _post(endpoint: WebhookEndpoint, event: PublicEvent) -> Answer:
    body = json.dumps(event_body(event), separators=(",", ":"), ensure_ascii=False)
    # The signature's timestamp is the real time of sending: the consumer checks it against its own
    # clock (within 5 minutes), whatever CourseDesk's clock says in a test.
    headers = signed_headers(
        endpoint=endpoint, message_id=str(event.pk), body=body, at=dt.datetime.now(dt.UTC)
    )
    started = time.monotonic()
    status, text, error = None, "", ""
    try:
        url = webhook_url_check(endpoint.url)  # scheme and every address, at each send
        with webhook_session_manager().get_session() as session:
            response = session.post(
                url, data=body.encode(), headers=headers, stream=True, allow_redirects=False
            )
            try:
                status = response.status_code
                text = response.raw.read(BODY_KEPT, decode_content=True).decode("utf-8", "replace")
            finally:
                response.close()
    except DomainError as refused:
        error = refused.message
    except InvalidIPAddress as refused:
        error = f"Refused: {endpoint.url} resolved to {refused}, which is not a public address."
    except requests.RequestException as failure:
        error = f"{type(failure).__name__}: {failure}"[:2000]
    duration_ms = round((time.monotonic() - started) * 1000)
    if status is not None and duration_ms > TIMEOUT_SECONDS * 1000:
        error = f"The answer took {duration_ms / 1000:.1f} s, more than {TIMEOUT_SECONDS} s."
    if status is not None and 300 <= status < 400:
        error = "Redirects are not followed: give the final URL."
    return Answer(response_status=status, body=text[:BODY_KEPT], error=error, duration_ms=duration_ms)


# --- One attempt -------------------------------------------------------------------------------------


def _claim(delivery_id: int) -> tuple[WebhookDelivery, WebhookAttempt] | None:
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint", "event")
            .filter(pk=delivery_id)
            .first()
        )
        now = clock.now()
        if delivery is None or delivery.status != Status.PENDING or not delivery.endpoint.enabled:
            return None
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return None  # not due, or an attempt is under way
        delivery.attempts += 1
        delivery.round_attempts += 1
        delivery.next_attempt_at = now + LOST_AFTER  # retried from here if this attempt is lost
        delivery.save(update_fields=["attempts", "round_attempts", "next_attempt_at"])
        attempt = WebhookAttempt.objects.create(delivery=delivery, number=delivery.attempts, started_at=now)
        return delivery, attempt


def _record(delivery: WebhookDelivery, attempt: WebhookAttempt, answer: Answer) -> str:
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update(of=("self",)).get(pk=delivery.pk)
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        WebhookAttempt.objects.filter(pk=attempt.pk).update(
            duration_ms=answer.duration_ms,
            response_status=answer.response_status,
            response_body=answer.body,
            error=answer.error,
            succeeded=answer.succeeded,
        )
        now = clock.now()
        delivery.response_status = answer.response_status
        if answer.succeeded:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = Status.SUCCEEDED, now, None
            outcome = "succeeded"
            if endpoint.failing_since is not None:
                endpoint.failing_since = None
                endpoint.save(update_fields=["failing_since"])
        else:
            if delivery.round_attempts >= ATTEMPTS_PER_ROUND:
                delivery.status, delivery.next_attempt_at = Status.FAILED, None
                outcome = "failed"
            else:
                delivery.next_attempt_at = now + RETRY_DELAYS[delivery.round_attempts - 1]
                outcome = "retrying"
                _enqueue_retry_after_commit(delivery.pk, delivery.next_attempt_at)
            _endpoint_failed(endpoint, attempt_started_at=attempt.started_at, now=now, answer=answer)
        delivery.save(update_fields=["status", "delivered_at", "next_attempt_at", "response_status"])
    return outcome


def _enqueue_retry_after_commit(delivery_id: int, retry_at: dt.datetime) -> None:
    def enqueue():
        if webhook_deliver.get_backend().supports_defer:
            webhook_deliver.using(run_after=retry_at).enqueue(delivery_id)
        # Otherwise `webhook_deliveries_due` (the scheduler) sends it when it is due.

    transaction.on_commit(enqueue)


def _endpoint_failed(endpoint: WebhookEndpoint, *, attempt_started_at, now, answer: Answer) -> None:
    if endpoint.failing_since is None:
        endpoint.failing_since = attempt_started_at
        endpoint.save(update_fields=["failing_since"])
    elif endpoint.enabled and now - endpoint.failing_since >= DISABLE_AFTER:
        _endpoint_disable(endpoint, answer=answer, now=now)


def _endpoint_disable(endpoint: WebhookEndpoint, *, answer: Answer, now) -> None:
    """Stops sending to an endpoint that has failed for 3 days, and tells its owner. Its pending
    deliveries wait: they go out when the endpoint is turned on again."""
    endpoint.enabled = False
    endpoint.disabled_at = now
    endpoint.save(update_fields=["enabled", "disabled_at"])
    last = (
        f"HTTP {answer.response_status}"
        if answer.response_status is not None
        else (answer.error or "no answer")
    )
    audit_record(
        creator=endpoint.creator,
        type=AuditEventType.WEBHOOK_ENDPOINT_DISABLED,
        actor=Actor.system(),
        source=AuditSource.WEBHOOKS,
        subject=endpoint,
        data={"url": endpoint.url, "failing_since": clock.iso(endpoint.failing_since), "last_answer": last},
    )
    page = settings.SITE_URL + reverse("desk:webhooks")
    email_queue(
        creator=endpoint.creator,
        kind=OutboundEmail.Kind.WEBHOOK_ENDPOINT_DISABLED,
        to=endpoint.creator.email,
        subject="A webhook endpoint was turned off",
        text_body=(
            f"Hello,\n\nCourseDesk could not deliver events to {endpoint.url} since "
            f"{endpoint.failing_since:%Y-%m-%d %H:%M} UTC (last answer: {last}), so it stopped sending "
            "to it.\n\nWhen the receiver works again, turn the endpoint back on and redeliver the "
            f"failed events on the Webhooks page:\n{page}\n\nEvents that were waiting are sent as soon "
            "as it is on again.\n\nCourseDesk"
        ),
        actor=Actor.system(),
        source=AuditSource.WEBHOOKS,
    )


def webhook_delivery_attempt(delivery_id: int) -> str:
    """One attempt of one delivery: 'succeeded', 'retrying', 'failed' or 'skipped' (not due, done,
    or its endpoint is off)."""
    claimed = _claim(delivery_id)
    if claimed is None:
        return "skipped"
    delivery, attempt = claimed
    answer = _post(delivery.endpoint, delivery.event)
    if not answer.succeeded:
        logger.info(
            "webhook delivery %s attempt %s failed: %s %s",
            delivery.pk,
            attempt.number,
            answer.response_status,
            answer.error,
        )
    return _record(delivery, attempt, answer)


@task()
def webhook_deliver(delivery_id: int) -> str:
    return webhook_delivery_attempt(delivery_id)


def webhook_deliveries_due(*, limit: int = 500) -> dict[str, int]:
    """Attempts every pending delivery that is due (retries, lost tasks) of enabled endpoints;
    returns counts by outcome. The scheduler runs it every minute."""
    due = (
        WebhookDelivery.objects.filter(
            status=Status.PENDING, next_attempt_at__lte=clock.now(), endpoint__enabled=True
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    outcomes: dict[str, int] = {}
    for delivery_id in list(due):
        outcome = webhook_delivery_attempt(delivery_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


# --- Redelivery and test events ------------------------------------------------------------------------


def deliveries_resume(*, endpoint: WebhookEndpoint) -> int:
    """Sends now what waited while the endpoint was off (in its transaction, after the commit)."""
    waiting = list(endpoint.deliveries.filter(status=Status.PENDING).values_list("pk", flat=True))
    WebhookDelivery.objects.filter(pk__in=waiting).update(next_attempt_at=clock.now())
    _enqueue_after_commit(waiting)
    return len(waiting)


def webhook_delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Sends a delivery again now, with a fresh retry schedule and the same event id; the endpoint
    must be on."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .get(pk=delivery.pk)
        )
        if not delivery.endpoint.enabled:
            raise DomainError(
                "This endpoint is turned off. Turn it on first, then redeliver.",
                code="webhook_endpoint_disabled",
            )
        delivery.status = Status.PENDING
        delivery.round_attempts = 0
        delivery.next_attempt_at = clock.now()
        delivery.save(update_fields=["status", "round_attempts", "next_attempt_at"])
        _enqueue_after_commit([delivery.pk])
    return delivery


def webhook_deliveries_redeliver_failed(*, endpoint: WebhookEndpoint, since: dt.datetime) -> int:
    """Redelivers every failed delivery of the endpoint whose event happened since `since`; returns
    how many."""
    if not endpoint.enabled:
        raise DomainError(
            "This endpoint is turned off. Turn it on first, then redeliver.", code="webhook_endpoint_disabled"
        )
    failed = endpoint.deliveries.filter(status=Status.FAILED, event__created_at__gte=since)
    count = 0
    for delivery in failed.order_by("event__created_at", "pk"):
        webhook_delivery_redeliver(delivery=delivery)
        count += 1
    return count


def webhook_endpoint_test_send(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.test` event for this endpoint only (never in the feed), delivered like any other."""
    if not endpoint.enabled:
        raise DomainError("This endpoint is turned off. Turn it on first.", code="webhook_endpoint_disabled")
    with transaction.atomic():
        event = PublicEvent.objects.create(
            creator_id=endpoint.creator_id,
            type=TEST_EVENT_TYPE,
            is_test=True,
            data={"endpoint_id": str(endpoint.pk), "message": "A test event from CourseDesk."},
        )
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event=event, next_attempt_at=event.created_at
        )
        _enqueue_after_commit([delivery.pk])
    return delivery
