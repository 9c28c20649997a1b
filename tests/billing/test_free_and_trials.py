"""Free pages enrol at once without a gateway; a subscription's free trial charges first when it ends."""

from __future__ import annotations

import datetime as dt

import pytest

from coursedesk.billing.checkout import checkout_free
from coursedesk.billing.models import Payment, Subscription
from coursedesk.billing.renewals import renewals_run
from coursedesk.core import clock
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import Customer, Enrolment
from coursedesk.mail.models import OutboundEmail
from tests.billing.test_checkout import buy
from tests.factories import make_page


def test_a_free_page_enrols_at_once_without_a_payment(frozen_now, course):
    page = make_page(course, "free", amount=0, name="Free")

    session = checkout_free(
        page=page, intent_key="free-1", email="ada@example.com", first_name="Ada", password="a long password"
    )

    assert session.status == "completed"
    customer = Customer.objects.get()
    enrolment = Enrolment.objects.get()
    assert (enrolment.customer, enrolment.course, enrolment.status) == (customer, course, "active")
    assert Payment.objects.count() == 0 and Subscription.objects.count() == 0
    assert list(OutboundEmail.objects.values_list("kind", flat=True)) == ["welcome"]

    again = checkout_free(
        page=page, intent_key="free-1", email="ada@example.com", first_name="Ada", password="a long password"
    )
    assert again.pk == session.pk and Enrolment.objects.count() == 1


def test_a_paid_page_cannot_be_taken_for_free(frozen_now, course, one_time_page):
    with pytest.raises(DomainError) as refused:
        checkout_free(
            page=one_time_page,
            intent_key="k",
            email="ada@example.com",
            first_name="Ada",
            password="a long password",
        )

    assert refused.value.code == "not_free"
    assert (Customer.objects.count(), Enrolment.objects.count()) == (0, 0)


def test_a_trial_starts_without_a_charge_and_the_first_payment_comes_after_n_days(frozen_now, course):
    page = make_page(course, "subscription", amount=1900, interval="month", trial_days=7)

    buy(page)

    subscription = Subscription.objects.get()
    assert (subscription.status, subscription.next_payment_at) == (
        "active",
        frozen_now + dt.timedelta(days=7),
    )
    assert Payment.objects.count() == 0
    assert Enrolment.objects.get().status == "active"
    assert list(OutboundEmail.objects.values_list("kind", flat=True)) == ["welcome"]

    clock.advance(dt.timedelta(days=6, hours=23))
    renewals_run()
    assert Payment.objects.count() == 0

    clock.advance(dt.timedelta(hours=1))
    renewals_run()
    payment = Payment.objects.get()
    assert (payment.amount, payment.status, payment.paid_at) == (
        1900,
        "succeeded",
        frozen_now + dt.timedelta(days=7),
    )
    subscription.refresh_from_db()
    assert subscription.next_payment_at == dt.datetime(2026, 12, 28, 10, 0, tzinfo=dt.UTC)
