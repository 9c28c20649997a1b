"""Public events are written as the audit log is written.

The services already record an audit event for everything that happens, in the transaction that
makes it happen. `public_event_record` follows those writes (audit.services.audit_follow): for an
audit type with a public name it stores the public event, with the object as the API shows it at
that moment, and one delivery for each endpoint that asked for the type. Nothing else decides what
happened, and a rolled-back action leaves no event behind.
"""

from __future__ import annotations

from django.db import transaction

from coursedesk.integrations.deliveries import deliveries_create
from coursedesk.integrations.events import FROM_AUDIT, events_sequence
from coursedesk.integrations.models import PublicEvent
from coursedesk.integrations.shapes import object_data


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
    transaction.on_commit(lambda: events_sequence(creator_id=creator_id))
    deliveries_create(event)
    return event
