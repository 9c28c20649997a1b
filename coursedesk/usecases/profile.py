"""The customer profile that the desk and the API show: customer, enrolments, payments (with what was
refunded and what is left), subscriptions, emails and timeline, in one query per list."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower, Trim
from django.shortcuts import get_object_or_404

from coursedesk.billing.models import Payment, Subscription
from coursedesk.billing.selectors import payments_with_refund_amounts
from coursedesk.customers.models import Customer
from coursedesk.customers.selectors import customer_enrolments, customer_notes, customer_timeline
from coursedesk.mail.models import EmailSuppression, OutboundEmail


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
PROFILE_NOTES = 50


@dataclass
class CustomerProfile:
    customer: Customer
    enrolments: list
    payments: list
    subscriptions: list
    emails: list
    timeline: list
    notes: list


def profile_customer(*, creator, customer_id) -> Customer:
    """The creator's customer for the profile (a foreign or missing one is a 404), with
    `email_suppressed` read in the same query, so a deliverable address costs no query of its own."""
    suppressed = EmailSuppression.objects.filter(
        creator_id=OuterRef("creator_id"), cleared_at__isnull=True, address=Lower(Trim(OuterRef("email")))
    )
    customers = Customer.objects.for_creator(creator).annotate(email_suppressed=Exists(suppressed))
    return get_object_or_404(customers, pk=customer_id)


def customer_profile(*, customer: Customer) -> CustomerProfile:
    """Everything the profile shows, in a fixed number of queries (one per list)."""
    return CustomerProfile(
        customer=customer,
        enrolments=list(customer_enrolments(customer=customer)),
        payments=list(customer_payments(customer=customer)),
        subscriptions=list(customer_subscriptions(customer=customer)),
        emails=list(customer_emails(customer=customer)[:PROFILE_EMAILS]),
        timeline=list(customer_timeline(customer=customer)[:PROFILE_TIMELINE]),
        notes=list(customer_notes(customer=customer)[:PROFILE_NOTES]),
    )
