"""Shapes of the API (API.md "Shapes"), each declared once: routes return model instances (or the
profile's lists) and `response=` serialises them through these schemas."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Schema
from pydantic import BeforeValidator

from coursedesk.audit.describe import event_sentence
from coursedesk.usecases.profile import payment_refundable_amount, refunded_total_subquery


def _as_text(value):
    return None if value is None else str(value)


# IDs are strings in the API (API.md "Conventions"), whatever the database uses.
Id = Annotated[str, BeforeValidator(_as_text)]


class ErrorDetail(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorDetail


class EnrolmentOut(Schema):
    id: Id
    customer_id: Id
    course_id: Id
    course_title: str
    status: str
    granted_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @staticmethod
    def resolve_course_title(enrolment) -> str:
        return enrolment.course.title


# Schemas' docstrings would become descriptions in the OpenAPI schema, hence comments here.
class PaymentOut(Schema):  # from a payment carrying the `refunded_amount` annotation
    id: Id
    course_id: Id
    amount: int
    currency: str
    amount_refunded: int
    refundable_amount: int
    status: str
    paid_at: dt.datetime
    subscription_id: Id | None
    gateway: str

    @staticmethod
    def resolve_amount_refunded(payment) -> int:
        return payment.refunded_amount

    @staticmethod
    def resolve_refundable_amount(payment) -> int:
        return payment_refundable_amount(payment)


class RefundOut(Schema):
    id: Id
    payment_id: Id
    amount: int
    currency: str
    status: str
    created_at: dt.datetime


class SubscriptionOut(Schema):
    id: Id
    course_id: Id
    status: str
    amount: int
    currency: str
    interval: str
    next_payment_at: dt.datetime | None
    paused_until: dt.date | None
    canceled_at: dt.datetime | None


class EmailOut(Schema):
    id: Id
    kind: str
    to: str
    subject: str
    status: str
    created_at: dt.datetime
    sent_at: dt.datetime | None


class CustomerOut(Schema):
    id: Id
    first_name: str
    last_name: str
    email: str
    created_at: dt.datetime
    last_login_at: dt.datetime | None


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


class EventList(Schema):
    results: list[EventOut]
    next: str | None


# --- Finding the creator's objects by their string id ---------------------------------------------


def owned(queryset, object_id: str):
    """The object with this id among the creator's; anything else (foreign, missing, not a number)
    is the same 404."""
    if not object_id.isdigit():
        raise Http404
    return get_object_or_404(queryset, pk=int(object_id))


def payment_with_refunds(queryset, object_id: str):
    return owned(queryset.annotate(refunded_amount=refunded_total_subquery()), object_id)
