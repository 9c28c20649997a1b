"""Writing the timeline. Every service that changes state calls `audit_record` in its transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.types import AuditEventType, AuditSource


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did it: a creator, the customer, an operator, the payment gateway or CourseDesk."""

    kind: str
    label: str
    creator_id: int | None = None

    @classmethod
    def creator(cls, creator) -> Actor:
        return cls(AuditEvent.ActorKind.CREATOR, creator.email, creator.pk)

    @classmethod
    def customer(cls, customer) -> Actor:
        return cls(AuditEvent.ActorKind.CUSTOMER, customer.email)

    @classmethod
    def buyer(cls, email: str) -> Actor:
        """A person at checkout, before their customer record exists."""
        return cls(AuditEvent.ActorKind.CUSTOMER, email)

    @classmethod
    def operator(cls, label: str = "operator") -> Actor:
        return cls(AuditEvent.ActorKind.OPERATOR, label)

    @classmethod
    def gateway(cls, name: str = "stripe") -> Actor:
        return cls(AuditEvent.ActorKind.GATEWAY, name)

    @classmethod
    def system(cls) -> Actor:
        return cls(AuditEvent.ActorKind.SYSTEM, "CourseDesk")


# Called with every event and its subject (the object as the service holds it) right after the event
# is written, inside the same transaction. Integrations follows the timeline this way (public events,
# webhook deliveries): the layers let it import audit, never the other way round. A follower that
# raises rolls the whole action back, like any failed write.
_followers: list[Callable[[AuditEvent, Any], None]] = []


def audit_follow(follower: Callable[[AuditEvent, Any], None]) -> None:
    if follower not in _followers:
        _followers.append(follower)


def audit_record(
    *,
    creator,
    type: AuditEventType,
    actor: Actor,
    source: AuditSource,
    customer=None,
    subject=None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Appends one event. `data` holds old/new values as {"field": {"old": …, "new": …}} or facts.

    An unknown type or source is a programming error (ValueError): every type has its sentence.
    """
    type, source = AuditEventType(type), AuditSource(source)
    with transaction.atomic():  # the event and what its followers write stand or fall together
        event = AuditEvent.objects.create(
            creator=creator,
            customer=customer,
            type=type,
            actor_kind=actor.kind,
            actor_label=actor.label,
            actor_creator_id=actor.creator_id,
            source=source,
            subject_type=subject._meta.model_name if subject is not None else "",
            subject_id=str(subject.pk) if subject is not None else "",
            data=data or {},
        )
        for follower in _followers:
            follower(event, subject)
    return event


def change(old: Any, new: Any) -> dict[str, Any]:
    """The shape of one changed value in `data`."""
    return {"old": old, "new": new}
