"""The customer profile that the desk and the API show: customer, enrolments, payments (with what was
refunded and what is left), subscriptions, emails and timeline, in one query per list."""

from __future__ import annotations

from dataclasses import dataclass

from coursedesk.billing.models import Payment, Subscription
from coursedesk.billing.selectors import payments_with_refund_amounts
from coursedesk.customers.models import Customer
from coursedesk.customers.selectors import customer_enrolments, customer_timeline
from coursedesk.mail.models import OutboundEmail


def customer_payments(*, customer):
    """The customer's payments, newest first, each annotated with `refunded_amount` and
    `refundable_amount`."""
    return payments_with_refund_amounts(
        Payment.objects.filter(customer=customer).select_related("course").order_by("-paid_at", "-pk")
    )


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
    return CustomerProfile(
        customer=customer,
        enrolments=list(customer_enrolments(customer=customer)),
        payments=list(customer_payments(customer=customer)),
        subscriptions=list(customer_subscriptions(customer=customer)),
        emails=list(customer_emails(customer=customer)[:PROFILE_EMAILS]),
        timeline=list(customer_timeline(customer=customer)[:PROFILE_TIMELINE]),
    )
