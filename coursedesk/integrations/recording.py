"""Public events are written as the audit log is written.

The services already record an audit event for everything that happens, in the transaction that
makes it happen. `public_event_record` follows those writes (audit.services.audit_follow): for an
audit type with a public name it stores the public event, with the object as the API shows it at
that moment, and one delivery for each endpoint that asked for the type. Nothing else decides what
happened, and a rolled-back action leaves no event behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import transaction

from coursedesk.integrations.deliveries import deliveries_create
from coursedesk.integrations.events import FROM_AUDIT, events_sequence
from coursedesk.integrations.models import PublicEvent, WebhookEndpoint
from coursedesk.integrations.shapes import object_data


@dataclass
class _Batch:
    endpoints: dict[int, list[WebhookEndpoint]] = field(default_factory=dict)
    creator_ids: set[int] = field(default_factory=set)


_batch: ContextVar[_Batch | None] = ContextVar("coursedesk_public_events_batch", default=None)


@contextmanager
def public_events_batched() -> Iterator[None]:
    """For many changes in one transaction (a bulk job's batch of customers), inside that
    transaction: each creator's webhook endpoints are read once, not for every event, and the feed
    gives the events their positions in one call after the commit instead of one call per event.
    A rolled-back transaction drops that call with its events."""
    batch = _Batch()
    token = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(token)
        for creator_id in batch.creator_ids:
            transaction.on_commit(lambda creator_id=creator_id: events_sequence(creator_id=creator_id))


def public_event_record(audit_event, subject=None) -> PublicEvent | None:
    """The public event of `audit_event`, written in its transaction, or None for a private type.
    `subject` is the object as the service holds it: some services save it just after the event."""
    public_type = FROM_AUDIT.get(audit_event.type)
    if public_type is None:
        return None
    event = PublicEvent.objects.create(
        creator_id=audit_event.creator_id,
        audit_event=audit_event,
        type=public_type,
        created_at=audit_event.occurred_at,
        data=object_data(subject),
    )
    creator_id = audit_event.creator_id
    batch = _batch.get()
    if batch is None:
        transaction.on_commit(lambda: events_sequence(creator_id=creator_id))
        deliveries_create(event)
        return event
    batch.creator_ids.add(creator_id)
    endpoints = batch.endpoints.get(creator_id)
    if endpoints is None:
        endpoints = batch.endpoints[creator_id] = list(
            WebhookEndpoint.objects.filter(creator_id=creator_id, enabled=True)
        )
    deliveries_create(event, endpoints=endpoints)
    return event
