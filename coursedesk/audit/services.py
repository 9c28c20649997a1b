"""Writing the timeline. Every service that changes state calls `audit_record` in its transaction."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.types import AuditEventType, AuditSource


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did it: a creator or a member of their team, the customer, an operator, the payment
    gateway or CourseDesk.

    For a person working on an account, `creator_id` is that person (their own Creator row), `role`
    their role on the account and `membership_id` their membership (None for the account's creator).
    """

    kind: str
    label: str
    creator_id: int | None = None
    role: str = ""
    membership_id: int | None = None

    @classmethod
    def creator(cls, creator) -> Actor:
        """Whoever acts for `creator`'s account in this request: the member signed in to it (set by
        the page or API authentication), else the creator themself."""
        acting = _acting_member.get()
        if acting is not None and acting.account_id == creator.pk:
            return acting.actor
        return cls(AuditEvent.ActorKind.CREATOR, creator.email, creator.pk, role="owner")

    @classmethod
    def member(cls, *, person, role: str, membership_id: int | None) -> Actor:
        return cls(AuditEvent.ActorKind.CREATOR, person.email, person.pk, role, membership_id)

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


@dataclass(frozen=True, slots=True)
class ActingMember:
    account_id: int
    actor: Actor


# Who acts for which account in the current request; set by creator pages and API authentication,
# cleared after every request (accounts.middleware), so services that receive Actor.creator(account)
# name the member who acted without each page passing it along.
_acting_member: ContextVar[ActingMember | None] = ContextVar("coursedesk_acting_member", default=None)


def acting_member_use(*, account_id: int | None, actor: Actor | None = None) -> None:
    _acting_member.set(ActingMember(account_id, actor) if account_id is not None and actor else None)


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
    # The event and what its followers write stand or fall together. No savepoint of its own: every
    # caller is a service inside its transaction, and a failed write here fails that transaction.
    with transaction.atomic(savepoint=False):
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
