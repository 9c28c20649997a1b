"""A Stripe pause records the date Stripe will charge next.

Stripe's `pause_collection` with `behavior=void` keeps the billing cycle: the invoices falling in
the pause are made and voided, and the next charge is the first cycle date at or after `resumes_at`
(Stripe's "Pause payment collection" guide). localstripe has no pause_collection, so the request
CourseDesk sends is read where the Stripe library sends it, and Stripe's answers come as its
documented JSON (stripe_json.py).
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
import stripe

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing.models import Subscription, WebhookEvent
from coursedesk.billing.subscriptions import subscription_pause, subscription_resume
from coursedesk.core import clock
from tests.billing import stripe_json as sj
from tests.billing.test_webhooks import bought_monthly, deliver, hosted, stripe_account  # noqa: F401 - fixtures

DUE = dt.datetime(2026, 12, 21, 10, 0, tzinfo=dt.UTC)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.fixture
def sent(monkeypatch):
    """The subscription updates CourseDesk sends to Stripe, answered as Stripe would."""
    requests = []

    def update(self, subscription_id, params=None, options=None):
        requests.append((subscription_id, params))
        return stripe.Subscription.construct_from(sj.subscription(subscription_id=subscription_id), "sk_test")

    monkeypatch.setattr(stripe.SubscriptionService, "update", update)
    return requests


@pytest.fixture
def monthly(bought_monthly):  # noqa: F811
    Subscription.objects.filter(pk=bought_monthly.pk).update(next_payment_at=DUE)
    bought_monthly.refresh_from_db()
    return bought_monthly


def paused_event(resumes_at: dt.datetime | None, created: int) -> dict:
    pause = {"behavior": "void", "resumes_at": int(resumes_at.timestamp()) if resumes_at else None}
    return sj.event(
        "customer.subscription.updated",
        sj.subscription(subscription_id="sub_test_1", pause_collection=pause),
        created=created,
    )


def test_a_desk_pause_records_the_first_cycle_date_after_the_resume_day(
    client,
    creator,
    monthly,
    stripe_account,  # noqa: F811
    sent,
):
    # given a monthly subscription due on the 21st
    # when the creator pauses it until January 5
    subscription = subscription_pause(
        subscription=monthly, resume_on=dt.date(2027, 1, 5), actor=Actor.creator(creator), source="desk"
    )

    # then Stripe is asked to void what falls in the pause and resume collecting on January 5 (UTC)
    assert sent == [
        (
            "sub_test_1",
            {"pause_collection": {"behavior": "void", "resumes_at": int(utc(2027, 1, 5).timestamp())}},
        )
    ]
    # and the next payment recorded is the one Stripe will take: January 21, not January 5
    assert (subscription.status, subscription.paused_until) == ("paused", dt.date(2027, 1, 5))
    assert subscription.next_payment_at == utc(2027, 1, 21, 10)
    assert subscription.next_payment_before_pause_at == DUE
    event = AuditEvent.objects.get(type="subscription.paused")
    assert event.data["next_payment_at"] == {
        "old": "2026-12-21T10:00:00+00:00",
        "new": "2027-01-21T10:00:00+00:00",
    }

    # and Stripe's echo of the same pause changes nothing
    deliver(client, stripe_account, paused_event(utc(2027, 1, 5), int(time.time())))
    subscription.refresh_from_db()
    assert subscription.next_payment_at == utc(2027, 1, 21, 10)
    assert AuditEvent.objects.filter(type="subscription.paused").count() == 1


def test_a_pause_ending_on_a_billing_day_charges_that_day(creator, monthly, stripe_account, sent):  # noqa: F811
    subscription = subscription_pause(
        subscription=monthly, resume_on=dt.date(2026, 12, 21), actor=Actor.creator(creator), source="desk"
    )
    # collection resumes at midnight, before the invoice of 10:00 that day
    assert subscription.next_payment_at == DUE


def test_the_desk_says_the_date_stripe_will_charge_before_confirming(
    creator_client,
    monthly,
    stripe_account,  # noqa: F811
    sent,
):
    response = creator_client.post(f"/desk/subscriptions/{monthly.pk}/pause/", {"resume_on": "2027-01-05"})

    html = response.content.decode()
    assert (
        "no payment before then, the next one is taken on 21 Jan 2027 (Stripe keeps the billing cycle" in html
    )
    assert sent == []  # nothing is done before the creator confirms


def test_a_pause_made_in_stripes_dashboard_records_stripes_next_charge(client, monthly, stripe_account):  # noqa: F811
    deliver(client, stripe_account, paused_event(utc(2027, 2, 1, 12), int(time.time())))

    subscription = Subscription.objects.get()
    assert (subscription.status, subscription.paused_until) == ("paused", dt.date(2027, 2, 1))
    assert subscription.next_payment_at == utc(2027, 2, 21, 10)
    event = AuditEvent.objects.get(type="subscription.paused")
    assert (event.source, event.data["next_payment_at"]["new"]) == ("stripe", "2027-02-21T10:00:00+00:00")


def test_resuming_before_the_due_date_returns_to_it(creator, monthly, stripe_account, sent):  # noqa: F811
    subscription_pause(
        subscription=monthly, resume_on=dt.date(2027, 3, 1), actor=Actor.creator(creator), source="desk"
    )

    subscription = subscription_resume(subscription=monthly, actor=Actor.creator(creator), source="desk")

    assert sent[-1] == ("sub_test_1", {"pause_collection": ""})
    assert (subscription.status, subscription.next_payment_at) == ("active", DUE)


def test_resuming_in_stripe_after_a_voided_cycle_records_the_next_cycle_date(
    client,
    creator,
    monthly,
    stripe_account,  # noqa: F811
    sent,
):
    # given a pause until March 1, and the December 21 invoice voided during it
    subscription_pause(
        subscription=monthly, resume_on=dt.date(2027, 3, 1), actor=Actor.creator(creator), source="desk"
    )
    clock.set_now(utc(2027, 1, 2, 9))

    # when the pause is ended in Stripe's dashboard on January 2
    resumed = sj.event(
        "customer.subscription.updated",
        sj.subscription(subscription_id="sub_test_1"),
        created=int(time.time()) + 5,
    )
    deliver(client, stripe_account, resumed)

    # then the next charge is the next cycle date, January 21, not at once
    subscription = Subscription.objects.get()
    assert (subscription.status, subscription.next_payment_at) == ("active", utc(2027, 1, 21, 10))
    assert WebhookEvent.objects.get(event_id=resumed["id"]).status == "processed"
    event = AuditEvent.objects.get(type="subscription.resumed")
    assert event.data["next_payment_at"] == {
        "old": "2027-03-21T10:00:00+00:00",
        "new": "2027-01-21T10:00:00+00:00",
    }


def test_the_sandbox_still_charges_on_the_chosen_day(creator, customer, frozen_now):
    from tests.billing.conftest import make_subscription
    from tests.factories import make_course, make_page

    page = make_page(
        make_course(creator, slug="sandbox-course"), "subscription", amount=1900, interval="month"
    )
    subscription = make_subscription(customer, page, next_payment_at=DUE)

    subscription = subscription_pause(
        subscription=subscription, resume_on=dt.date(2027, 1, 5), actor=Actor.creator(creator), source="desk"
    )

    assert subscription.next_payment_at == utc(2027, 1, 5)
