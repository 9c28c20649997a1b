"""Desk fixtures: a customer with an enrolment, payments, a refund and a subscription."""

import datetime as dt

import pytest

from coursedesk.audit.models import AuditEvent
from coursedesk.billing.models import Payment, Refund, Subscription
from coursedesk.mail.models import OutboundEmail
from tests.factories import make_course, make_enrolment, make_page


def make_payment(customer, course, amount=4900, **fields):
    fields.setdefault("currency", "usd")
    fields.setdefault("status", Payment.Status.SUCCEEDED)
    fields.setdefault("gateway", "sandbox")
    return Payment.objects.create(customer=customer, course=course, amount=amount, **fields)


def make_refund(payment, amount, **fields):
    fields.setdefault("status", Refund.Status.SUCCEEDED)
    return Refund.objects.create(payment=payment, amount=amount, currency=payment.currency, **fields)


def make_subscription(customer, course, page, **fields):
    fields.setdefault("status", Subscription.Status.ACTIVE)
    fields.setdefault("next_payment_at", dt.datetime(2026, 12, 21, 10, 0, tzinfo=dt.UTC))
    return Subscription.objects.create(
        customer=customer,
        course=course,
        payment_page=page,
        amount=page.amount,
        currency=page.currency,
        interval=page.interval,
        gateway="sandbox",
        **fields,
    )


def snapshot():
    """Counts of everything an action could change or send."""
    return {
        "audit": AuditEvent.objects.count(),
        "emails": OutboundEmail.objects.count(),
        "refunds": list(Refund.objects.values_list("pk", "amount", "status")),
        "subscriptions": list(Subscription.objects.values_list("pk", "status", "next_payment_at")),
    }


@pytest.fixture
def enrolment(customer, course, one_time_page, frozen_now):
    return make_enrolment(customer, course, payment_page=one_time_page, source="checkout")


@pytest.fixture
def payment(customer, course, one_time_page, enrolment):
    return make_payment(customer, course, 4900, payment_page=one_time_page)


@pytest.fixture
def monthly_page(course):
    return make_page(course, "subscription", name="Monthly", amount=2900)


@pytest.fixture
def subscription(customer, course, monthly_page, frozen_now):
    return make_subscription(customer, course, monthly_page)


@pytest.fixture
def second_course(creator):
    return make_course(creator, title="Ink Sketching", slug="ink")
