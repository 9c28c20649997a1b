"""Shapes of the API (API.md "Shapes"), each declared once: routes return model instances (or the
profile's lists) and `response=` serialises them through these schemas. The shapes of the objects
themselves live in integrations.shapes, because public events carry them too."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Schema

from coursedesk.audit.describe import event_sentence
from coursedesk.billing.selectors import payments_with_refund_amounts
from coursedesk.integrations.shapes import (  # noqa: F401  (the API's shapes, imported from here)
    CustomerOut,
    EmailOut,
    EnrolmentOut,
    Id,
    PaymentOut,
    RefundOut,
    SubscriptionOut,
)


class ErrorDetail(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorDetail


class CustomerProfileOut(CustomerOut):
    enrolments: list[EnrolmentOut]
    payments: list[PaymentOut]
    subscriptions: list[SubscriptionOut]
    emails: list[EmailOut]


class ActorOut(Schema):
    kind: str
    label: str


class EventOut(Schema):
    id: Id
    type: str
    occurred_at: dt.datetime
    actor: ActorOut
    source: str
    customer_id: Id | None
    summary: str
    data: dict[str, Any]

    @staticmethod
    def resolve_actor(event) -> dict:
        return {"kind": event.actor_kind, "label": event.actor_label}

    @staticmethod
    def resolve_summary(event) -> str:
        return event_sentence(event)


class CustomerList(Schema):
    results: list[CustomerOut]
    next: str | None


class NoteOut(Schema):
    id: Id
    body: str
    author: str
    created_at: dt.datetime

    @staticmethod
    def resolve_author(note) -> str:
        return note.author_label


class NoteList(Schema):
    results: list[NoteOut]
    next: str | None


class EventList(Schema):
    results: list[EventOut]
    next: str | None


# --- Finding the creator's objects by their string id ---------------------------------------------


def owned(queryset, object_id: str):
    """The object with this id among the creator's; anything else (foreign, missing, not a number)
    is the same 404."""
    # isdigit() alone accepts "¹8" or Arabic-Indic digits, which int() refuses.
    if not (object_id.isascii() and object_id.isdigit()):
        raise Http404
    return get_object_or_404(queryset, pk=int(object_id))


def payment_with_refunds(queryset, object_id: str):
    return owned(payments_with_refund_amounts(queryset), object_id)
