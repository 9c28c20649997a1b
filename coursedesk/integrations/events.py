"""Public events: their types, which audit event announces each, and their order in the feed.

They are written by `recording.public_event_record`, which follows the audit log's writes.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from coursedesk.audit.models import replace_personal_values
from coursedesk.audit.types import AuditEventType
from coursedesk.core import clock
from coursedesk.integrations.models import EventStream, PublicEvent

# The public event types (API.md, Integrations), in the order the documentation lists them.
EVENT_TYPES = (
    "customer.created",
    "customer.updated",
    "customer.merged",
    "enrolment.granted",
    "enrolment.revoked",
    "enrolment.restored",
    "enrolment.expiration_changed",
    "enrolment.expired",
    "payment.succeeded",
    "payment.failed",
    "payment.refunded",
    "subscription.created",
    "subscription.canceled",
    "subscription.paused",
    "subscription.resumed",
    "subscription.past_due",
    "subscription.completed",
)
TEST_EVENT_TYPE = "webhook.test"

# Which audit event announces which public event. Audit types not listed (sign-ins, emails, refused
# refunds, settings) stay private. A merge is announced once, by the survivor's event: its data is
# the surviving customer.
FROM_AUDIT: dict[str, str] = {
    audit_type.value: public_type
    for audit_type, public_type in (
        (AuditEventType.CUSTOMER_CREATED, "customer.created"),
        (AuditEventType.CUSTOMER_UPDATED, "customer.updated"),
        (AuditEventType.CUSTOMER_MERGED, "customer.merged"),
        (AuditEventType.ENROLMENT_GRANTED, "enrolment.granted"),
        (AuditEventType.ENROLMENT_REVOKED, "enrolment.revoked"),
        (AuditEventType.ENROLMENT_RESTORED, "enrolment.restored"),
        (AuditEventType.ENROLMENT_EXPIRATION_CHANGED, "enrolment.expiration_changed"),
        # A renewal is an expiration moved later, as far as a consumer is concerned.
        (AuditEventType.ENROLMENT_RENEWED, "enrolment.expiration_changed"),
        (AuditEventType.ENROLMENT_EXPIRED, "enrolment.expired"),
        (AuditEventType.PAYMENT_SUCCEEDED, "payment.succeeded"),
        (AuditEventType.PAYMENT_FAILED, "payment.failed"),
        (AuditEventType.PAYMENT_REFUNDED, "payment.refunded"),
        (AuditEventType.SUBSCRIPTION_CREATED, "subscription.created"),
        (AuditEventType.SUBSCRIPTION_CANCELED, "subscription.canceled"),
        (AuditEventType.SUBSCRIPTION_PAUSED, "subscription.paused"),
        (AuditEventType.SUBSCRIPTION_RESUMED, "subscription.resumed"),
        (AuditEventType.SUBSCRIPTION_PAST_DUE, "subscription.past_due"),
        (AuditEventType.SUBSCRIPTION_COMPLETED, "subscription.completed"),
    )
}
SEQUENCE_BATCH = 1000


def events_sequence(*, creator_id: int) -> int:
    """Gives the creator's committed events without a place in the feed the next positions, oldest
    first, under the stream's row lock; returns how many. Called after each commit that wrote an
    event, and by the feed before it reads (so an event whose after-commit call was lost still
    shows). The lock makes positions follow commit order: a reader that has seen position n will
    never later find a new event below n."""
    EventStream.objects.get_or_create(creator_id=creator_id)
    given = 0
    while True:
        with transaction.atomic():
            stream = EventStream.objects.select_for_update().get(creator_id=creator_id)
            waiting = list(
                PublicEvent.objects.filter(creator_id=creator_id, position__isnull=True, is_test=False)
                .order_by("pk")
                .only("pk")[:SEQUENCE_BATCH]
            )
            for event in waiting:
                stream.last_position += 1
                event.position = stream.last_position
            # One UPDATE for them all: a bulk job's commit brings thousands at once.
            PublicEvent.objects.bulk_update(waiting, ["position"])
            stream.save(update_fields=["last_position"])
        given += len(waiting)
        if len(waiting) < SEQUENCE_BATCH:
            return given


def event_body(event: PublicEvent) -> dict:
    """An event as the feed lists it and a webhook sends it: {id, type, created_at, data}."""
    return {
        "id": str(event.pk),
        "type": event.type,
        "created_at": event.created_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "data": event.data,
    }


def events_sequence_waiting(*, older_than: dt.timedelta = dt.timedelta(minutes=1)) -> int:
    """Gives their feed place to events whose after-commit call was lost (a process that died right
    after its commit); the scheduler runs it. Younger events are left to their own call."""
    creators = (
        PublicEvent.objects.filter(
            position__isnull=True, is_test=False, created_at__lte=clock.now() - older_than
        )
        .values_list("creator_id", flat=True)
        .distinct()
    )
    return sum(events_sequence(creator_id=creator_id) for creator_id in list(creators))


def public_events_redact(*, customer, replacements: dict[str, str]) -> int:
    """Only for an operator's erasure on request: blanks the person's values in the data of the
    public events about them (the events stay, as their audit events do)."""
    changed = 0
    for event in PublicEvent.objects.filter(audit_event__customer=customer):
        data = replace_personal_values(event.data, replacements)
        if data != event.data:
            PublicEvent.objects.filter(pk=event.pk).update(data=data)
            changed += 1
    return changed
