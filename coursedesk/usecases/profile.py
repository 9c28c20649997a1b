"""The customer profile that the desk and the API show: customer, enrolments, payments (with what was
refunded and what is left), subscriptions, emails and timeline, in one query per list."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from coursedesk.billing.models import Payment, Refund, Subscription
from coursedesk.customers.models import Customer
from coursedesk.customers.selectors import customer_enrolments, customer_timeline
from coursedesk.mail.models import OutboundEmail


def refunded_total_subquery(payment_ref: str = "pk"):
    """SUM of a payment's counted refunds (pending + succeeded), for annotating payment rows."""
    return Coalesce(
        Subquery(
            Refund.objects.filter(payment=OuterRef(payment_ref), status__in=Refund.COUNTED_STATUSES)
            .order_by()
            .values("payment")
            .annotate(total=Sum("amount"))
            .values("total"),
            output_field=IntegerField(),
        ),
        Value(0),
    )


def customer_payments(*, customer):
    """The customer's payments, newest first, each annotated with `refunded_amount`."""
    return (
        Payment.objects.filter(customer=customer)
        .select_related("course")
        .annotate(refunded_amount=refunded_total_subquery())
        .order_by("-paid_at", "-pk")
    )


def payment_refundable_amount(payment) -> int:
    """What is left to refund, from the `refunded_amount` annotation (no query)."""
    if payment.status != payment.Status.SUCCEEDED:
        return 0
    return max(payment.amount - payment.refunded_amount, 0)


def customer_subscriptions(*, customer):
    return (
        Subscription.objects.filter(customer=customer)
        .select_related("course", "payment_page")
        .order_by("-started_at", "-pk")
    )


def customer_emails(*, customer):
    return OutboundEmail.objects.filter(customer=customer).order_by("-created_at", "-pk")


PROFILE_EMAILS = 50
PROFILE_TIMELINE = 100


@dataclass
class CustomerProfile:
    customer: Customer
    enrolments: list
    payments: list
    subscriptions: list
    emails: list
    timeline: list


def customer_profile(*, customer: Customer) -> CustomerProfile:
    """Everything the profile shows, in a fixed number of queries (one per list)."""
    payments = list(customer_payments(customer=customer))
    for payment in payments:
        payment.refundable_amount = payment_refundable_amount(payment)
    return CustomerProfile(
        customer=customer,
        enrolments=list(customer_enrolments(customer=customer)),
        payments=payments,
        subscriptions=list(customer_subscriptions(customer=customer)),
        emails=list(customer_emails(customer=customer)[:PROFILE_EMAILS]),
        timeline=list(customer_timeline(customer=customer)[:PROFILE_TIMELINE]),
    )
