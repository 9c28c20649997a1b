"""The customer profile that the desk and the API show: customer, enrolments, payments (with what was
refunded and what is left), subscriptions, emails and timeline, in one query per list."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Lower, Trim
from django.http import Http404

from coursedesk.accounts.models import Creator
from coursedesk.billing.models import Payment, Subscription
from coursedesk.billing.selectors import payments_with_receipts, payments_with_refund_amounts
from coursedesk.catalog.links import course_links
from coursedesk.catalog.models import PaymentPage
from coursedesk.core import clock
from coursedesk.core.json_rows import JSONRows, json_rows_read
from coursedesk.core.money import Money
from coursedesk.core.prepared import MOMENTS, PreparedQuery, run_together
from coursedesk.customers.models import Customer, CustomerNote, Enrolment
from coursedesk.customers.selectors import customer_notes, customer_timeline
from coursedesk.mail.models import EmailSuppression, OutboundEmail
from coursedesk.mail.services import email_suppression_known
from coursedesk.usecases.progress import with_progress

# Stand-ins for the ids that change between two profiles: ids no row has.
_CUSTOMER = (-7_301_942_113, -7_301_942_127)
_CREATOR = (-6_204_117_331, -6_204_117_349)


def customer_payments(*, customer):
    """The customer's payments, newest first, each annotated with `refunded_amount`,
    `refundable_amount`, `receipt_number` and `receipt_key`."""
    payments = payments_with_receipts(payments_with_refund_amounts(Payment.objects.select_related("course")))
    return payments.filter(customer=customer).order_by("-paid_at", "-pk")


def _enrolments(customer_id, now):
    return (
        with_progress(Enrolment.objects.select_related("course", "payment_page"))
        .filter(customer_id=customer_id)
        .with_status(now)
        .order_by("-granted_at", "-pk")
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
    past_due: list = field(default_factory=list)
    # The rows of the customer and of every list as the database answered them, when read together
    # by profile_open: the desk keys its kept HTML on them (coursedesk/desk/rendered.py).
    answered: list | None = field(default=None, repr=False)

    @cached_property
    def links(self) -> list[CourseLinks]:
        """Each enrolled course's links, made when the page shows them (a page kept from an earlier
        answer does not)."""
        links = []
        for enrolment in self.enrolments:
            urls = course_links(enrolment.course)
            links.append(
                CourseLinks(
                    course_id=enrolment.course_id,
                    title=enrolment.course.title,
                    login_url=urls["login_url"],
                    billing_url=urls["billing_url"],
                    password_reset_url=urls["password_reset_url"],
                )
            )
        return links


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


def _profile_customers(creator_id, customer_id):
    return _customers_for_profile().for_creator(Creator(pk=creator_id)).filter(pk=customer_id)


_prepared_customer = PreparedQuery(_profile_customers, creator_id=_CREATOR, customer_id=_CUSTOMER)
# The customer's enrolments, newest first, with their status now and their course's progress.
_prepared_enrolments = PreparedQuery(_enrolments, customer_id=_CUSTOMER, now=MOMENTS)
_prepared_payments = PreparedQuery(
    lambda customer_id: customer_payments(customer=Customer(pk=customer_id)), customer_id=_CUSTOMER
)
_prepared_subscriptions = PreparedQuery(
    lambda customer_id: customer_subscriptions(customer=Customer(pk=customer_id)), customer_id=_CUSTOMER
)
_prepared_emails = PreparedQuery(
    lambda customer_id: customer_emails(customer=Customer(pk=customer_id))[:PROFILE_EMAILS],
    customer_id=_CUSTOMER,
)
_prepared_timeline = PreparedQuery(
    lambda customer_id: customer_timeline(customer=Customer(pk=customer_id))[:PROFILE_TIMELINE],
    customer_id=_CUSTOMER,
)


def _customer_read(found: list) -> Customer:
    """The creator's customer for the profile (a foreign or missing one is a 404), with, in the same
    query, the active suppression of its address (so whether the address is deliverable, and why not,
    costs no query of its own), its newest notes, and `creator_currencies`, how many currencies the
    creator's payment pages ask for (amounts carry their code when there are several)."""
    if not found:
        raise Http404("No such customer.")
    customer = found[0]
    suppressions = json_rows_read(customer.suppression_rows, EmailSuppression)
    email_suppression_known(customer, suppressions[0] if suppressions else None)
    customer.profile_notes = json_rows_read(customer.note_rows, CustomerNote)
    return customer


def _customer_call(creator, customer_id) -> tuple:
    if not getattr(creator, "pk", None):
        raise Http404("No such customer.")
    return _prepared_customer, {"creator_id": creator.pk, "customer_id": int(customer_id)}


def _list_calls(customer_id: int, *, timeline: bool) -> dict[str, tuple]:
    calls = {
        "enrolments": (_prepared_enrolments, {"customer_id": customer_id, "now": clock.now()}),
        "payments": (_prepared_payments, {"customer_id": customer_id}),
        "subscriptions": (_prepared_subscriptions, {"customer_id": customer_id}),
        "emails": (_prepared_emails, {"customer_id": customer_id}),
    }
    if timeline:
        calls["timeline"] = (_prepared_timeline, {"customer_id": customer_id})
    return calls


def _lists(customer: Customer, *, timeline: bool) -> dict[str, list]:
    calls = _list_calls(customer.pk, timeline=timeline)
    return dict(zip(calls, run_together(*calls.values()), strict=True))


def customer_lists(*, customer: Customer) -> dict[str, list]:
    """The customer's enrolments, payments, subscriptions and newest emails, one query each: what the
    API's customer detail returns besides the customer, and what the profile shows besides its
    timeline and notes. Each is a prepared query: compiled once, then run for each customer; on
    PostgreSQL they travel together, in one round trip."""
    return _lists(customer, timeline=False)


def customer_profile(*, customer: Customer) -> CustomerProfile:
    """Everything the profile of a customer already read shows, in a fixed number of queries (one per
    list; the notes come with a customer read by `profile_open`)."""
    return _profile(customer, _lists(customer, timeline=True))


def _profile(customer: Customer, lists: dict[str, list]) -> CustomerProfile:
    notes = (
        customer.profile_notes
        if hasattr(customer, "profile_notes")
        else list(customer_notes(customer=customer)[:PROFILE_NOTES])
    )
    return _header(CustomerProfile(customer=customer, notes=notes, **lists))


def profile_open(*, creator, customer_id) -> CustomerProfile:
    """The creator's customer (a foreign or missing one is a 404) and everything its profile shows:
    on PostgreSQL the customer and the lists travel in one round trip. The lists are read by the
    customer's id before the customer is known to be the creator's; when it is not, they are dropped
    unseen and the answer is a 404."""
    customer_call = _customer_call(creator, customer_id)
    calls = _list_calls(customer_call[1]["customer_id"], timeline=True)
    answered = []
    found, *lists = run_together(customer_call, *calls.values(), answered=answered)
    customer = _customer_read(found)
    profile = _profile(customer, dict(zip(calls, lists, strict=True)))
    profile.answered = answered
    return profile
