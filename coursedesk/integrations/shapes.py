"""The API's shapes of customers, enrolments, payments, refunds, subscriptions and emails (API.md
"Shapes"), declared once. The API's routes answer with them (api.schemas imports them) and each
public event's `data` is one of them, serialised the way the API serialises its answers, so an
event's object and the API's object cannot differ."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

from django.db.models import IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from ninja import Schema
from ninja.responses import NinjaJSONEncoder
from pydantic import BeforeValidator

from coursedesk.billing.models import Payment, Refund, Subscription
from coursedesk.customers.models import Customer, Enrolment


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
        if payment.status != payment.Status.SUCCEEDED:
            return 0
        return max(payment.amount - payment.refunded_amount, 0)


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


def payments_with_refunded_amount(payments):
    """`payments` annotated with `refunded_amount`: the sum of their counted refund rows."""
    refunded = (
        Refund.objects.filter(payment=OuterRef("pk"), status__in=Refund.COUNTED_STATUSES)
        .order_by()
        .values("payment")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return payments.annotate(
        refunded_amount=Coalesce(Subquery(refunded, output_field=IntegerField()), Value(0))
    )


# What each audit subject is read as, and in which shape it is shown.
SUBJECTS = {
    "customer": (lambda: Customer.objects.all(), CustomerOut),
    "enrolment": (lambda: Enrolment.objects.select_related("course"), EnrolmentOut),
    "payment": (lambda: payments_with_refunded_amount(Payment.objects.all()), PaymentOut),
    "subscription": (lambda: Subscription.objects.all(), SubscriptionOut),
}


def as_api_json(shape: type[Schema], obj) -> dict:
    """`obj` exactly as an API route answering with `shape` writes it (the same validation, dump and
    JSON encoder as django-ninja's response)."""
    return json.loads(json.dumps(shape.from_orm(obj).model_dump(), cls=NinjaJSONEncoder))


def object_data(subject_type: str, subject_id: str) -> dict:
    """The audit subject, read now (in the transaction that changed it), in its API shape."""
    if subject_type not in SUBJECTS or not subject_id.isdigit():
        return {}
    queryset, shape = SUBJECTS[subject_type]
    obj = queryset().filter(pk=int(subject_id)).first()
    return as_api_json(shape, obj) if obj is not None else {}
