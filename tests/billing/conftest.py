"""Billing fixtures: a paid payment, a running subscription, and builders for more."""

from __future__ import annotations

import datetime as dt

import pytest

from coursedesk.billing.models import Payment, Subscription
from coursedesk.core import clock
from tests.factories import make_enrolment, make_page


def make_payment(
    customer, course, *, amount=4900, currency="usd", status="succeeded", gateway="sandbox", **fields
) -> Payment:
    fields.setdefault("gateway_payment_id", f"sbx_ch_test_{Payment.objects.count() + 1}")
    fields.setdefault("paid_at", clock.now())
    return Payment.objects.create(
        customer=customer,
        course=course,
        amount=amount,
        currency=currency,
        status=status,
        gateway=gateway,
        **fields,
    )


def make_subscription(customer, page, **fields) -> Subscription:
    fields.setdefault("status", Subscription.Status.ACTIVE)
    fields.setdefault("started_at", clock.now())
    fields.setdefault("next_payment_at", clock.now() + dt.timedelta(days=30))
    fields.setdefault("gateway", "sandbox")
    fields.setdefault("gateway_payment_method_id", "sbx_pm_ok_4242_test")
    fields.setdefault("card_brand", "visa")
    fields.setdefault("card_last4", "4242")
    return Subscription.objects.create(
        customer=customer,
        course=page.course,
        payment_page=page,
        amount=page.amount,
        currency=page.currency,
        interval=page.interval,
        installments_total=page.installments,
        **fields,
    )


@pytest.fixture
def enrolment(customer, course):
    return make_enrolment(customer, course, granted_at=clock.now())


@pytest.fixture
def payment(frozen_now, customer, course, one_time_page, enrolment):
    return make_payment(customer, course, payment_page=one_time_page, amount=4900)


@pytest.fixture
def monthly_page(course):
    return make_page(course, "subscription", name="Monthly", amount=1900, interval="month")


@pytest.fixture
def plan_page(course):
    return make_page(course, "payment_plan", name="Three payments", amount=2000, installments=3)


@pytest.fixture
def subscription(frozen_now, customer, monthly_page, enrolment):
    return make_subscription(customer, monthly_page)
