"""The customer profile that the desk and the API show: customer, enrolments, payments (with what was
refunded and what is left), subscriptions, emails and timeline, in one query per list."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Lower, Trim
from django.shortcuts import get_object_or_404

from coursedesk.billing.models import Payment, Subscription
from coursedesk.billing.selectors import payments_with_receipts, payments_with_refund_amounts
from coursedesk.catalog.links import course_links
from coursedesk.catalog.models import PaymentPage
from coursedesk.core.json_rows import JSONRows, json_rows_read
from coursedesk.core.money import Money
from coursedesk.customers.models import Customer, CustomerNote, Enrolment
from coursedesk.customers.selectors import customer_notes, customer_timeline
from coursedesk.mail.models import EmailSuppression, OutboundEmail
from coursedesk.mail.services import email_suppression_known
from coursedesk.usecases.progress import with_progress

_built = threading.local()


def _built_once(name: str, build: Callable[[], QuerySet]) -> QuerySet:
    """The queryset `build` makes, made once per thread and then filtered for each customer.
    Resolving the annotations of a list (the subqueries of refunds, receipts and lesson progress) is
    about half of what building and running its query costs, and they do not depend on the customer.
    Once per thread, not per process: compiling a clone reads the subqueries all clones share."""
    querysets = _built.__dict__.setdefault("querysets", {})
    if name not in querysets:
        querysets[name] = build()
    return querysets[name]


def customer_payments(*, customer):
    """The customer's payments, newest first, each annotated with `refunded_amount`,
    `refundable_amount`, `receipt_number` and `receipt_key`."""
    payments = _built_once(
        "payments",
        lambda: payments_with_receipts(
            payments_with_refund_amounts(Payment.objects.select_related("course"))
        ),
    )
    return payments.filter(customer=customer).order_by("-paid_at", "-pk")


def customer_enrolments_with_progress(*, customer):
    """The customer's enrolments, newest first, with their status now and their course's progress
    (`with_progress`)."""
    enrolments = _built_once(
        "enrolments", lambda: with_progress(Enrolment.objects.select_related("course", "payment_page"))
    )
    return enrolments.filter(customer=customer).with_status().order_by("-granted_at", "-pk")


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


@dataclass(frozen=True)
class CourseLinks:
    """A course's sign-in, billing and password-reset pages, to copy for the customer."""

    course_id: int
    title: str
    login_url: str
    billing_url: str
    password_reset_url: str

    @property
    def rows(self) -> list[tuple[str, str, str]]:
        """(label, key, address) of each link, in the order the header lists them."""
        return [
            ("Sign-in", "login", self.login_url),
            ("Billing", "billing", self.billing_url),
            ("Password reset", "reset", self.password_reset_url),
        ]


@dataclass
class CustomerProfile:
    customer: Customer
    enrolments: list
    payments: list
    subscriptions: list
    emails: list
    timeline: list
    notes: list
    # The header's figures, read from the lists above (no query of their own).
    paid: list[Money] = field(default_factory=list)
    refunded: list[Money] = field(default_factory=list)
    links: list[CourseLinks] = field(default_factory=list)
    past_due: list = field(default_factory=list)


def _totals(amounts) -> list[Money]:
    """Amounts added up per currency, the currencies in alphabetical order."""
    sums: dict[str, int] = defaultdict(int)
    for amount, currency in amounts:
        sums[currency] += amount
    return [Money(sums[currency], currency) for currency in sorted(sums)]


def _header(profile: CustomerProfile) -> CustomerProfile:
    paid = [payment for payment in profile.payments if payment.status == Payment.Status.SUCCEEDED]
    profile.paid = _totals((payment.amount, payment.currency) for payment in paid)
    profile.refunded = [
        money
        for money in _totals((payment.refunded_amount, payment.currency) for payment in paid)
        if money.amount
    ]
    profile.links = []
    for enrolment in profile.enrolments:
        links = course_links(enrolment.course)
        profile.links.append(
            CourseLinks(
                course_id=enrolment.course_id,
                title=enrolment.course.title,
                login_url=links["login_url"],
                billing_url=links["billing_url"],
                password_reset_url=links["password_reset_url"],
            )
        )
    profile.past_due = [s for s in profile.subscriptions if s.status == Subscription.Status.PAST_DUE]
    return profile


def _customers_for_profile() -> QuerySet:
    suppressed = EmailSuppression.objects.filter(
        creator_id=OuterRef("creator_id"), cleared_at__isnull=True, address=Lower(Trim(OuterRef("email")))
    )
    currencies = (
        PaymentPage.objects.filter(course__creator_id=OuterRef("creator_id"))
        .order_by()
        .values("course__creator_id")
        .annotate(count=Count("currency", distinct=True))
        .values("count")
    )
    return Customer.objects.annotate(
        # At most one suppression is active per address.
        suppression_rows=JSONRows(suppressed.order_by()[:1]),
        note_rows=JSONRows(customer_notes(customer=OuterRef("pk"))[:PROFILE_NOTES]),
        creator_currencies=Subquery(currencies, output_field=IntegerField()),
    )


def profile_customer(*, creator, customer_id) -> Customer:
    """The creator's customer for the profile (a foreign or missing one is a 404), with, in the same
    query, the active suppression of its address (so whether the address is deliverable, and why not,
    costs no query of its own), its newest notes, and `creator_currencies`, how many currencies the
    creator's payment pages ask for (amounts carry their code when there are several)."""
    customers = _built_once("customers", _customers_for_profile).for_creator(creator)
    customer = get_object_or_404(customers, pk=customer_id)
    suppressions = json_rows_read(customer.suppression_rows, EmailSuppression)
    email_suppression_known(customer, suppressions[0] if suppressions else None)
    customer.profile_notes = json_rows_read(customer.note_rows, CustomerNote)
    return customer


def customer_lists(*, customer: Customer) -> dict[str, list]:
    """The customer's enrolments, payments, subscriptions and newest emails, one query each: what the
    API's customer detail returns besides the customer, and what the profile shows besides its
    timeline and notes."""
    return {
        "enrolments": list(customer_enrolments_with_progress(customer=customer)),
        "payments": list(customer_payments(customer=customer)),
        "subscriptions": list(customer_subscriptions(customer=customer)),
        "emails": list(customer_emails(customer=customer)[:PROFILE_EMAILS]),
    }


def customer_profile(*, customer: Customer) -> CustomerProfile:
    """Everything the profile shows, in a fixed number of queries (one per list; the notes come with
    a customer read by `profile_customer`)."""
    return _header(
        CustomerProfile(
            customer=customer,
            **customer_lists(customer=customer),
            timeline=list(customer_timeline(customer=customer)[:PROFILE_TIMELINE]),
            notes=(
                customer.profile_notes
                if hasattr(customer, "profile_notes")
                else list(customer_notes(customer=customer)[:PROFILE_NOTES])
            ),
        )
    )
