"""Shapes of the API (API.md "Shapes") and the functions that fill them from rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Schema

from coursedesk.audit.describe import event_sentence
from coursedesk.customers.selectors import payment_refundable_amount, refunded_total_subquery

# --- Shapes ---------------------------------------------------------------------------------------


class ErrorDetail(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorDetail


class EnrolmentOut(Schema):
    id: str
    customer_id: str
    course_id: str
    course_title: str
    status: str
    granted_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class PaymentOut(Schema):
    id: str
    course_id: str
    amount: int
    currency: str
    amount_refunded: int
    refundable_amount: int
    status: str
    paid_at: dt.datetime
    subscription_id: str | None
    gateway: str


class RefundOut(Schema):
    id: str
    payment_id: str
    amount: int
    currency: str
    status: str
    created_at: dt.datetime


class SubscriptionOut(Schema):
    id: str
    course_id: str
    status: str
    amount: int
    currency: str
    interval: str
    next_payment_at: dt.datetime | None
    paused_until: dt.date | None
    canceled_at: dt.datetime | None


class EmailOut(Schema):
    id: str
    kind: str
    to: str
    subject: str
    status: str
    created_at: dt.datetime
    sent_at: dt.datetime | None


class CustomerOut(Schema):
    id: str
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
    id: str
    type: str
    occurred_at: dt.datetime
    actor: ActorOut
    source: str
    customer_id: str | None
    summary: str
    data: dict[str, Any]


class CustomerList(Schema):
    results: list[CustomerOut]
    next: str | None


class EventList(Schema):
    results: list[EventOut]
    next: str | None


# --- Filling them ---------------------------------------------------------------------------------


def _id(value) -> str | None:
    return None if value is None else str(value)


def enrolment_out(enrolment) -> dict:
    return {
        "id": str(enrolment.pk),
        "customer_id": str(enrolment.customer_id),
        "course_id": str(enrolment.course_id),
        "course_title": enrolment.course.title,
        "status": enrolment.status,
        "granted_at": enrolment.granted_at,
        "expires_at": enrolment.expires_at,
        "revoked_at": enrolment.revoked_at,
    }


def payment_out(payment) -> dict:
    """`payment` carries the `refunded_amount` annotation (see customer_payments)."""
    return {
        "id": str(payment.pk),
        "course_id": str(payment.course_id),
        "amount": payment.amount,
        "currency": payment.currency,
        "amount_refunded": payment.refunded_amount,
        "refundable_amount": payment_refundable_amount(payment),
        "status": payment.status,
        "paid_at": payment.paid_at,
        "subscription_id": _id(payment.subscription_id),
        "gateway": payment.gateway,
    }


def refund_out(refund) -> dict:
    return {
        "id": str(refund.pk),
        "payment_id": str(refund.payment_id),
        "amount": refund.amount,
        "currency": refund.currency,
        "status": refund.status,
        "created_at": refund.created_at,
    }


def subscription_out(subscription) -> dict:
    return {
        "id": str(subscription.pk),
        "course_id": str(subscription.course_id),
        "status": subscription.status,
        "amount": subscription.amount,
        "currency": subscription.currency,
        "interval": subscription.interval,
        "next_payment_at": subscription.next_payment_at,
        "paused_until": subscription.paused_until,
        "canceled_at": subscription.canceled_at,
    }


def email_out(email) -> dict:
    return {
        "id": str(email.pk),
        "kind": email.kind,
        "to": email.to,
        "subject": email.subject,
        "status": email.status,
        "created_at": email.created_at,
        "sent_at": email.sent_at,
    }


def customer_out(customer) -> dict:
    return {
        "id": str(customer.pk),
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "email": customer.email,
        "created_at": customer.created_at,
        "last_login_at": customer.last_login_at,
    }


def event_out(event) -> dict:
    return {
        "id": str(event.pk),
        "type": event.type,
        "occurred_at": event.occurred_at,
        "actor": {"kind": event.actor_kind, "label": event.actor_label},
        "source": event.source,
        "customer_id": _id(event.customer_id),
        "summary": event_sentence(event),
        "data": event.data,
    }


# --- Finding the creator's objects by their string id ---------------------------------------------


def owned(queryset, object_id: str):
    """The object with this id among the creator's; anything else (foreign, missing, not a number)
    is the same 404."""
    if not object_id.isdigit():
        from django.http import Http404

        raise Http404
    return get_object_or_404(queryset, pk=int(object_id))


def payment_with_refunds(queryset, object_id: str):
    return owned(queryset.annotate(refunded_amount=refunded_total_subquery()), object_id)
