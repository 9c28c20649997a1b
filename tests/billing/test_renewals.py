"""Sandbox renewals when the clock moves: charges, payment plans completing, past due, pauses."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing.checkout import checkout_pay_with_card
from coursedesk.billing.intervals import add_interval
from coursedesk.billing.models import Payment, Subscription
from coursedesk.billing.renewals import renewals_run
from coursedesk.billing.subscriptions import subscription_cancel, subscription_pause
from coursedesk.core import clock
from coursedesk.customers.models import Enrolment
from coursedesk.mail.models import OutboundEmail
from tests.billing.conftest import make_subscription

START = dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)


def bought(page, card="4242424242424242"):
    checkout_pay_with_card(
        page=page,
        intent_key=f"renewals-{page.pk}",
        email="ada@example.com",
        first_name="Ada",
        password="a long password",
        card_number=card,
    )
    return Subscription.objects.get()


def types_since(pk):
    return [e.type for e in AuditEvent.objects.filter(pk__gt=pk).order_by("pk")]


def last_event_pk():
    last = AuditEvent.objects.order_by("-pk").first()
    return last.pk if last else 0


def test_nothing_is_charged_before_the_due_date(frozen_now, monthly_page):
    bought(monthly_page)
    clock.advance(dt.timedelta(days=29))
    report = renewals_run()
    assert (report.charged, report.failed) == ([], [])
    assert Payment.objects.count() == 1


def test_a_monthly_subscription_renews_when_due(frozen_now, monthly_page):
    subscription = bought(monthly_page)
    mark = last_event_pk()
    clock.advance(dt.timedelta(days=30))

    report = renewals_run()

    assert len(report.charged) == 1
    renewal = Payment.objects.get(pk=report.charged[0])
    assert (renewal.amount, renewal.status, renewal.subscription) == (1900, "succeeded", subscription)
    assert renewal.gateway_payment_id == f"sbx_ch_renewal_{subscription.pk}_2"
    subscription.refresh_from_db()
    assert subscription.status == "active"
    assert subscription.next_payment_at == dt.datetime(2027, 1, 21, 10, 0, tzinfo=dt.UTC)
    assert types_since(mark) == ["payment.succeeded", "email.queued"]
    # one receipt at checkout, one for the renewal
    assert OutboundEmail.objects.filter(kind="receipt").count() == 2
    # running again in the same minute charges nothing more
    assert renewals_run().charged == []


def test_a_payment_plan_completes_after_its_payments_and_access_stays(frozen_now, plan_page):
    subscription = bought(plan_page)
    for _ in range(2):
        clock.set_now(subscription.next_payment_at)
        renewals_run()
        subscription.refresh_from_db()

    assert subscription.status == "completed"
    assert subscription.completed_at == add_interval(START, "month", 2)
    assert subscription.next_payment_at is None
    assert Payment.objects.filter(status="succeeded").count() == 3
    completed = AuditEvent.objects.get(type="subscription.completed")
    assert completed.data["status"] == {"old": "active", "new": "completed"}
    assert completed.data["payments_made"] == 3
    assert Enrolment.objects.get().status == "active"
    # a year later, nothing more is charged
    clock.advance(dt.timedelta(days=365))
    assert renewals_run().charged == []
    assert Payment.objects.count() == 3


def test_a_card_that_fails_later_makes_the_subscription_past_due(frozen_now, monthly_page):
    subscription = bought(monthly_page)
    # the student switched to Stripe's "attaches, then fails" test card
    Subscription.objects.filter(pk=subscription.pk).update(gateway_payment_method_id="sbx_pm_fails_0341_x")
    mark = last_event_pk()
    clock.advance(dt.timedelta(days=30))

    report = renewals_run()

    failed = Payment.objects.get(pk=report.failed[0])
    assert (failed.status, failed.failure_message) == ("failed", "Your card was declined.")
    subscription.refresh_from_db()
    assert subscription.status == "past_due"
    assert subscription.next_payment_at == dt.datetime(2026, 12, 21, 10, 0, tzinfo=dt.UTC)  # still due
    past_due = AuditEvent.objects.get(type="subscription.past_due")
    assert past_due.data["retry_at"] == "2026-12-24T10:00:00+00:00"
    # no retry before three days have passed
    clock.advance(dt.timedelta(days=2, hours=23))
    assert (renewals_run().charged, renewals_run().failed) == ([], [])
    assert types_since(mark) == ["payment.failed", "subscription.past_due", "email.queued"]
    email = OutboundEmail.objects.get(kind="payment_failed")
    assert "/c/watercolor/billing/" in email.text_body
    assert Enrolment.objects.get().status == "active"

    # a new card, and the retry three days later brings it back
    Subscription.objects.filter(pk=subscription.pk).update(gateway_payment_method_id="sbx_pm_ok_4242_y")
    clock.advance(dt.timedelta(hours=1))
    mark = last_event_pk()
    assert len(renewals_run().charged) == 1
    subscription.refresh_from_db()
    assert subscription.status == "active"
    assert types_since(mark) == ["payment.succeeded", "subscription.recovered", "email.queued"]
    assert subscription.next_payment_at == dt.datetime(2027, 1, 21, 10, 0, tzinfo=dt.UTC)


def test_a_paused_subscription_is_charged_only_from_its_resume_date(frozen_now, creator, monthly_page):
    subscription = bought(monthly_page)
    subscription_pause(
        subscription=subscription, resume_on=dt.date(2027, 2, 1), actor=Actor.creator(creator), source="desk"
    )
    clock.set_now(dt.datetime(2027, 1, 31, 23, 0, tzinfo=dt.UTC))
    assert renewals_run().charged == []

    clock.set_now(dt.datetime(2027, 2, 1, 0, 1, tzinfo=dt.UTC))
    mark = last_event_pk()
    assert len(renewals_run().charged) == 1
    subscription.refresh_from_db()
    assert (subscription.status, subscription.paused_until) == ("active", None)
    assert subscription.next_payment_at == dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
    assert types_since(mark) == ["subscription.resumed", "payment.succeeded", "email.queued"]


def test_canceled_and_stripe_subscriptions_are_not_charged(frozen_now, creator, customer, monthly_page):
    canceled = bought(monthly_page)
    subscription_cancel(subscription=canceled, actor=Actor.creator(creator), source="desk")
    make_subscription(
        customer, monthly_page, gateway="stripe", gateway_subscription_id="sub_1", next_payment_at=frozen_now
    )
    clock.advance(dt.timedelta(days=60))
    assert renewals_run().charged == []
    assert Payment.objects.count() == 1


def test_a_long_downtime_charges_once_and_moves_on(frozen_now, monthly_page):
    subscription = bought(monthly_page)
    clock.set_now(dt.datetime(2027, 3, 5, tzinfo=dt.UTC))
    assert len(renewals_run().charged) == 1
    subscription.refresh_from_db()
    assert subscription.next_payment_at == dt.datetime(2027, 3, 21, 10, 0, tzinfo=dt.UTC)


def test_run_renewals_command_reports_what_it_did(frozen_now, monthly_page):
    bought(monthly_page)
    clock.advance(dt.timedelta(days=31))
    out = StringIO()
    call_command("run_renewals", stdout=out)
    assert out.getvalue().strip() == "Renewals: 1 charged, 0 failed."


def test_run_scheduler_once_runs_the_renewals(frozen_now, monthly_page):
    bought(monthly_page)
    clock.advance(dt.timedelta(days=31))
    out = StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    assert "Renewals: 1 charged, 0 failed." in out.getvalue()
    assert Payment.objects.count() == 2


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (dt.datetime(2027, 1, 31, tzinfo=dt.UTC), dt.datetime(2027, 2, 28, tzinfo=dt.UTC)),
        (dt.datetime(2027, 12, 15, tzinfo=dt.UTC), dt.datetime(2028, 1, 15, tzinfo=dt.UTC)),
    ],
)
def test_month_arithmetic_keeps_the_day_where_it_exists(moment, expected):
    assert add_interval(moment, "month") == expected
    leap_day = dt.datetime(2028, 2, 29, tzinfo=dt.UTC)
    assert add_interval(leap_day, "year") == dt.datetime(2029, 2, 28, tzinfo=dt.UTC)


def test_a_subscription_without_a_card_fails_clearly(frozen_now, customer, monthly_page):
    subscription = make_subscription(
        customer, monthly_page, gateway_payment_method_id="", next_payment_at=frozen_now
    )
    report = renewals_run()
    failed = Payment.objects.get(pk=report.failed[0])
    assert failed.failure_message == "No card is on file for this subscription."
    subscription.refresh_from_db()
    assert subscription.status == "past_due"
