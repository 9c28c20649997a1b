"""Failed payments on the sandbox, with the clock moved: the creator's retry days, each final action,
the notices, and recovery when the student gives a new card."""

from __future__ import annotations

import datetime as dt

import pytest

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing.checkout import checkout_pay_with_card
from coursedesk.billing.dunning import payment_policy_of, payment_policy_update, retry_days_parse
from coursedesk.billing.models import Payment, PaymentPolicy, Subscription
from coursedesk.billing.renewals import renewals_run
from coursedesk.billing.subscriptions import subscription_card_update_with_test_card
from coursedesk.core import clock
from coursedesk.core.errors import InvalidValue
from coursedesk.customers.models import Enrolment
from coursedesk.mail.models import OutboundEmail

DUE = dt.datetime(2026, 12, 21, 10, 0, tzinfo=dt.UTC)
FAILING_CARD = "4000000000000341"


def failing_subscription(page) -> Subscription:
    """Bought on November 21; then the student switched to Stripe's "attaches, then fails" test card."""
    checkout_pay_with_card(
        page=page,
        intent_key=f"dunning-{page.pk}",
        email="ada@example.com",
        first_name="Ada",
        password="a long password",
        card_number="4242424242424242",
    )
    Subscription.objects.update(gateway_payment_method_id="sbx_pm_fails_0341_x")
    return Subscription.objects.get()


def set_policy(creator, **values):
    payment_policy_update(creator=creator, actor=Actor.creator(creator), source="desk", **values)


def types_since(pk):
    return [e.type for e in AuditEvent.objects.filter(pk__gt=pk).order_by("pk")]


def last_pk():
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def notices():
    return list(OutboundEmail.objects.filter(kind="payment_failed").order_by("pk"))


def test_the_default_policy_retries_3_5_and_7_days_after_the_failure_then_keeps_it_past_due(
    frozen_now, monthly_page
):
    subscription = failing_subscription(monthly_page)
    clock.set_now(DUE)

    assert len(renewals_run().failed) == 1
    subscription.refresh_from_db()
    assert (subscription.status, subscription.retries_left) == ("past_due", 3)
    assert subscription.past_due_since == DUE
    assert subscription.next_retry_at == DUE + dt.timedelta(days=3)
    first = notices()[0]
    assert "We could not take your payment of $19.00 for Watercolor Foundations" in first.text_body
    assert "/c/watercolor/billing/" in first.text_body
    assert "We will try again on December 24, 2026;" in first.text_body

    # nothing before the retry day
    clock.set_now(DUE + dt.timedelta(days=2, hours=23))
    assert renewals_run().failed == []
    for day, left, next_day in ((3, 2, 5), (5, 1, 7)):
        clock.set_now(DUE + dt.timedelta(days=day))
        assert len(renewals_run().failed) == 1
        subscription.refresh_from_db()
        assert (subscription.retries_left, subscription.next_retry_at) == (
            left,
            DUE + dt.timedelta(days=next_day),
        )

    clock.set_now(DUE + dt.timedelta(days=7))
    mark = last_pk()
    assert len(renewals_run().failed) == 1

    subscription.refresh_from_db()
    assert (subscription.status, subscription.retries_left, subscription.next_retry_at) == (
        "past_due",
        0,
        None,
    )
    assert types_since(mark) == ["payment.failed", "email.queued", "subscription.retries_exhausted"]
    assert (
        AuditEvent.objects.get(type="subscription.retries_exhausted").data["final_action"] == "keep_past_due"
    )
    last = notices()[-1]
    assert "That was our last try. Your subscription stays open" in last.text_body
    assert len(notices()) == 4
    assert Enrolment.objects.get().status == "active"
    # past due never retries again by itself
    clock.set_now(DUE + dt.timedelta(days=60))
    assert renewals_run().failed == []
    assert Payment.objects.filter(status="failed").count() == 4


def test_cancel_after_the_last_retry_cancels_and_keeps_access(frozen_now, creator, monthly_page):
    set_policy(creator, retry_days=[2], final_action="cancel")
    subscription = failing_subscription(monthly_page)
    clock.set_now(DUE)
    renewals_run()
    clock.set_now(DUE + dt.timedelta(days=2))
    mark = last_pk()

    renewals_run()

    subscription.refresh_from_db()
    assert (subscription.status, subscription.canceled_at, subscription.next_payment_at) == (
        "canceled",
        DUE + dt.timedelta(days=2),
        None,
    )
    assert types_since(mark) == [
        "payment.failed",
        "email.queued",
        "subscription.retries_exhausted",
        "subscription.canceled",
    ]
    canceled = AuditEvent.objects.get(type="subscription.canceled")
    assert (canceled.actor_kind, canceled.source) == ("system", "renewal")
    assert "your subscription is now canceled and nothing more will be charged" in notices()[-1].text_body
    assert Enrolment.objects.get().status == "active"


def test_cancel_and_revoke_with_no_retries_ends_at_the_first_failure(frozen_now, creator, monthly_page):
    set_policy(creator, retry_days=[], final_action="cancel_and_revoke")
    subscription = failing_subscription(monthly_page)
    clock.set_now(DUE)
    mark = last_pk()

    renewals_run()

    subscription.refresh_from_db()
    assert subscription.status == "canceled"
    assert Enrolment.objects.get().status == "revoked"
    assert types_since(mark) == [
        "payment.failed",
        "subscription.past_due",
        "email.queued",
        "subscription.retries_exhausted",
        "subscription.canceled",
        "enrolment.revoked",
    ]
    revoked = AuditEvent.objects.get(type="enrolment.revoked")
    assert revoked.data["reason"] == "The payment failed after every retry."
    assert "your access to Watercolor Foundations has ended" in notices()[-1].text_body


def test_a_new_card_retries_at_once_and_the_subscription_is_active_again(frozen_now, monthly_page):
    subscription = failing_subscription(monthly_page)
    clock.set_now(DUE)
    renewals_run()
    clock.set_now(DUE + dt.timedelta(days=1))
    mark = last_pk()

    subscription = subscription_card_update_with_test_card(
        subscription=subscription,
        card_number="4242424242424242",
        actor=Actor.customer(subscription.customer),
        source="student",
    )

    assert subscription.status == "active"
    assert (subscription.past_due_since, subscription.next_retry_at, subscription.retries_left) == (
        None,
        None,
        None,
    )
    # the calendar does not move: the payment due on December 21 is paid, the next is January 21
    assert subscription.next_payment_at == dt.datetime(2027, 1, 21, 10, 0, tzinfo=dt.UTC)
    assert types_since(mark) == [
        "subscription.card_updated",
        "payment.succeeded",
        "subscription.recovered",
        "email.queued",
    ]
    assert Payment.objects.filter(status="succeeded").count() == 2
    # and no retry is charged later
    clock.set_now(DUE + dt.timedelta(days=3))
    assert (renewals_run().charged, renewals_run().failed) == ([], [])


def test_a_new_card_that_fails_too_keeps_the_retry_schedule(frozen_now, monthly_page):
    subscription = failing_subscription(monthly_page)
    clock.set_now(DUE)
    renewals_run()
    clock.set_now(DUE + dt.timedelta(days=1))

    subscription = subscription_card_update_with_test_card(
        subscription=subscription,
        card_number=FAILING_CARD,
        actor=Actor.customer(subscription.customer),
        source="student",
    )

    assert (subscription.status, subscription.retries_left) == ("past_due", 3)
    assert subscription.next_retry_at == DUE + dt.timedelta(days=3)
    assert Payment.objects.filter(status="failed").count() == 2
    assert len(notices()) == 2


def test_the_policy_is_refused_with_days_out_of_order_and_nothing_changes(creator):
    with pytest.raises(InvalidValue) as refused:
        set_policy(creator, retry_days=[5, 3])
    assert refused.value.message.startswith("Retry days count from the failure")
    with pytest.raises(InvalidValue):
        retry_days_parse("3, soon")
    assert not PaymentPolicy.objects.exists()
    assert not AuditEvent.objects.exists()
    assert payment_policy_of(creator).retry_days == [3, 5, 7]


def test_a_policy_change_is_audited_with_old_and_new_values(creator):
    set_policy(creator, retry_days=[1, 4], final_action="cancel", access_while_past_due=False)

    event = AuditEvent.objects.get(type="payment_policy.updated")
    assert event.data == {
        "retry_days": {"old": [3, 5, 7], "new": [1, 4]},
        "final_action": {"old": "keep_past_due", "new": "cancel"},
        "access_while_past_due": {"old": True, "new": False},
    }
    # the same values again change nothing
    set_policy(creator, retry_days=[1, 4])
    assert AuditEvent.objects.count() == 1
