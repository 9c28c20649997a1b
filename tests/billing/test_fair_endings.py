"""Fair endings, with the clock moved: cancel now or at the end of the paid period (and take it
back), the student's own cancel as the creator chose, and a payment plan's own words."""

from __future__ import annotations

import datetime as dt

import pytest

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing.checkout import checkout_pay_with_card
from coursedesk.billing.dunning import payment_policy_update
from coursedesk.billing.models import Payment, Subscription
from coursedesk.billing.renewals import renewals_run
from coursedesk.billing.selectors import ending_words
from coursedesk.billing.subscriptions import (
    subscription_cancel,
    subscription_cancel_by_customer,
    subscription_pause,
    subscription_uncancel,
)
from coursedesk.core import clock
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import Enrolment

PAID_UNTIL = dt.datetime(2026, 12, 21, 10, 0, tzinfo=dt.UTC)


def bought(page) -> Subscription:
    checkout_pay_with_card(
        page=page,
        intent_key=f"endings-{page.pk}",
        email="ada@example.com",
        first_name="Ada",
        password="a long password",
        card_number="4242424242424242",
    )
    return Subscription.objects.get()


def types(prefix=""):
    return [e.type for e in AuditEvent.objects.filter(type__startswith=prefix).order_by("pk")]


def test_a_cancel_at_the_period_end_keeps_it_running_until_then(frozen_now, creator, monthly_page):
    subscription = bought(monthly_page)

    subscription = subscription_cancel(
        subscription=subscription, at_period_end=True, actor=Actor.creator(creator), source="desk"
    )

    assert (subscription.status, subscription.cancel_at_period_end) == ("active", True)
    scheduled = AuditEvent.objects.get(type="subscription.cancel_scheduled")
    assert scheduled.data["ends_at"] == "2026-12-21T10:00:00+00:00"
    clock.set_now(PAID_UNTIL - dt.timedelta(minutes=1))
    assert renewals_run().charged == []
    assert Subscription.objects.get().status == "active"

    clock.set_now(PAID_UNTIL + dt.timedelta(minutes=1))
    report = renewals_run()

    subscription.refresh_from_db()
    assert (report.charged, report.failed) == ([], [])
    assert (subscription.status, subscription.canceled_at, subscription.next_payment_at) == (
        "canceled",
        PAID_UNTIL,
        None,
    )
    canceled = AuditEvent.objects.get(type="subscription.canceled")
    assert (canceled.data["reason"], canceled.actor_kind) == ("paid period ended", "system")
    assert Payment.objects.count() == 1
    assert Enrolment.objects.get().status == "active"  # the creator's cancel never takes access


def test_an_uncancel_before_the_end_keeps_the_payments_going(frozen_now, creator, monthly_page):
    subscription = bought(monthly_page)
    subscription_cancel(
        subscription=subscription, at_period_end=True, actor=Actor.creator(creator), source="desk"
    )
    clock.advance(dt.timedelta(days=10))

    subscription = subscription_uncancel(
        subscription=subscription, actor=Actor.creator(creator), source="desk"
    )

    assert (subscription.status, subscription.cancel_at_period_end) == ("active", False)
    undone = AuditEvent.objects.get(type="subscription.cancel_undone")
    assert undone.data["cancel_at_period_end"] == {"old": True, "new": False}
    clock.set_now(PAID_UNTIL)
    assert len(renewals_run().charged) == 1
    assert Subscription.objects.get().status == "active"
    with pytest.raises(DomainError) as refused:
        subscription_uncancel(subscription=subscription, actor=Actor.creator(creator), source="desk")
    assert refused.value.code == "subscription_not_ending"


def test_a_paused_subscription_cannot_end_at_a_period_end_and_nothing_changes(
    frozen_now, creator, monthly_page
):
    subscription = bought(monthly_page)
    subscription_pause(
        subscription=subscription, resume_on=dt.date(2027, 1, 5), actor=Actor.creator(creator), source="desk"
    )
    before = types()

    with pytest.raises(DomainError) as refused:
        subscription_cancel(
            subscription=subscription, at_period_end=True, actor=Actor.creator(creator), source="desk"
        )

    assert refused.value.message == (
        "A paused subscription has no paid period to finish; cancel it now instead."
    )
    assert (Subscription.objects.get().status, Subscription.objects.get().cancel_at_period_end) == (
        "paused",
        False,
    )
    assert types() == before


def test_a_students_own_cancel_ends_access_at_once_by_default(frozen_now, monthly_page):
    subscription = bought(monthly_page)

    subscription_cancel_by_customer(
        subscription=subscription, actor=Actor.customer(subscription.customer), source="student"
    )

    subscription.refresh_from_db()
    assert (subscription.status, subscription.canceled_by_customer) == ("canceled", True)
    assert Enrolment.objects.get().status == "revoked"


def test_a_students_own_cancel_at_the_period_end_keeps_access_until_then(frozen_now, creator, monthly_page):
    payment_policy_update(
        creator=creator, customer_cancel_at_period_end=True, actor=Actor.creator(creator), source="desk"
    )
    subscription = bought(monthly_page)

    subscription_cancel_by_customer(
        subscription=subscription, actor=Actor.customer(subscription.customer), source="student"
    )

    subscription.refresh_from_db()
    assert (subscription.status, subscription.cancel_at_period_end) == ("active", True)
    assert Enrolment.objects.get().status == "active"
    clock.set_now(PAID_UNTIL + dt.timedelta(minutes=1))
    renewals_run()
    subscription.refresh_from_db()
    assert (subscription.status, subscription.canceled_at) == ("canceled", PAID_UNTIL)
    assert Enrolment.objects.get().status == "revoked"
    assert types("subscription.")[-2:] == ["subscription.cancel_scheduled", "subscription.canceled"]
    assert AuditEvent.objects.get(type="enrolment.revoked").data["reason"] == (
        "The customer canceled their recurring payments."
    )


def test_a_payment_plan_says_what_stays_unpaid_and_a_subscription_says_when_it_ends(
    frozen_now, plan_page, monthly_page
):
    plan = bought(plan_page)

    assert ending_words(plan, at_period_end=False, access_ends=False) == (
        "The payment plan stops now: 1 of 3 payments are made, and the 2 left ($40.00) will not be "
        "charged. Access to the course stays."
    )
    monthly = Subscription(
        customer=plan.customer,
        course=plan.course,
        payment_page=monthly_page,
        amount=1900,
        currency="usd",
        interval="month",
        next_payment_at=PAID_UNTIL,
    )
    assert ending_words(monthly, at_period_end=True, access_ends=True) == (
        "The subscription ends after the period already paid for, on December 21, 2026: no further "
        "payments. Nothing is refunded. Access to the course ends then."
    )
