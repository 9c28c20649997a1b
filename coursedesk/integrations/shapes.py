"""The API's shapes of customers, enrolments, payments, refunds, subscriptions and emails (API.md
"Shapes"), declared once. The API's routes answer with them (api.schemas imports them) and each
public event's `data` is one of them, serialised the way the API serialises its answers, so an
event's object and the API's object cannot differ."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Annotated

from django.db.models import Count, Q
from ninja import Schema
from ninja.responses import NinjaJSONEncoder
from pydantic import AliasChoices, BeforeValidator, Field

from coursedesk.billing.models import Payment, Receipt, Subscription
from coursedesk.billing.selectors import payment_refund_amounts
from coursedesk.catalog.models import Lesson
from coursedesk.customers.models import Customer, Enrolment, LessonProgress


def _as_text(value):
    return None if value is None else str(value)


# IDs are strings in the API (API.md "Conventions"), whatever the database uses.
Id = Annotated[str, BeforeValidator(_as_text)]


class EnrolmentOut(Schema):
    id: Id
    customer_id: Id
    course_id: Id
    course_title: str
    status: str
    granted_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    # The share of the course's lessons the student marked complete, rounded down.
    progress_percent: int

    @staticmethod
    def resolve_course_title(enrolment) -> str:
        return enrolment.course.title

    @staticmethod
    def resolve_progress_percent(enrolment) -> int:
        annotated = getattr(enrolment, "progress_percent", None)  # lists read it in their query
        if annotated is not None:
            return annotated
        # Both counts in one query: an event is written for each enrolment a bulk job changes.
        counts = Lesson.objects.filter(course_id=enrolment.course_id).aggregate(
            total=Count("pk"),
            done=Count(
                "pk",
                filter=Q(
                    pk__in=LessonProgress.objects.filter(customer_id=enrolment.customer_id).values(
                        "lesson_id"
                    )
                ),
            ),
        )
        total, done = counts["total"], counts["done"]
        return done * 100 // total if total else 0


# Schemas' docstrings would become descriptions in the OpenAPI schema, hence comments here.
class PaymentOut(Schema):  # from billing's payments_with_refund_amounts
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
    # none, partial or full: how much of a paid payment went back (status stays "succeeded").
    refund_status: str
    receipt_number: int | None

    @staticmethod
    def resolve_amount_refunded(payment) -> int:
        return payment.refunded_amount

    @staticmethod
    def resolve_refund_status(payment) -> str:
        if payment.refunded_amount <= 0:
            return "none"
        return "full" if payment.refunded_amount >= payment.amount else "partial"

    @staticmethod
    def resolve_refundable_amount(payment) -> int:
        return payment.refundable_amount


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
    cancel_at_period_end: bool
    retries_left: int | None
    next_retry_at: dt.datetime | None


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
    # The model's `tag_names`; "tags" when a shape is made from another shape's dump.
    tags: list[str] = Field(validation_alias=AliasChoices("tag_names", "tags"))


SHAPES = {Customer: CustomerOut, Enrolment: EnrolmentOut, Payment: PaymentOut, Subscription: SubscriptionOut}


def as_api_json(shape: type[Schema], obj) -> dict:
    """`obj` exactly as an API route answering with `shape` writes it (the same validation, dump and
    JSON encoder as django-ninja's response)."""
    return json.loads(json.dumps(shape.from_orm(obj).model_dump(), cls=NinjaJSONEncoder))


def object_data(subject) -> dict:
    """An audit event's subject in its API shape, as the service holds it when it records the event
    (a service may save the object just after). A payment's refund figures are read from its refund
    rows, which the refund services write before their event."""
    shape = SHAPES.get(type(subject))
    if shape is None:
        return {}
    if isinstance(subject, Payment):
        amounts = payment_refund_amounts(payment=subject)
        subject = copy.copy(subject)  # the service's own instance stays as it was
        subject.refunded_amount = amounts.refunded.amount
        subject.refundable_amount = amounts.refundable.amount
        subject.receipt_number = (
            subject.receipts.filter(kind=Receipt.Kind.PAYMENT).values_list("number", flat=True).first()
        )
    return as_api_json(shape, subject)
