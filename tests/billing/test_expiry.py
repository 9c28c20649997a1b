"""Access that ends, with the clock moved: one reminder per expiry date, and renewals that extend
from the current expiration (or from today once it has passed)."""

from __future__ import annotations

import datetime as dt

import pytest

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing.checkout import checkout_pay_with_card
from coursedesk.billing.dunning import payment_policy_update
from coursedesk.billing.expiry import expiry_reminders_send
from coursedesk.catalog.links import checkout_url
from coursedesk.core import clock
from coursedesk.customers.models import Enrolment
from coursedesk.customers.services import (
    enrolment_expiration_set,
    enrolment_revoke,
    enrolments_expired_record,
)
from coursedesk.mail.models import OutboundEmail
from tests.factories import make_customer, make_enrolment, make_page

START = dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def yearly_page(course):
    return make_page(course, "one_time", name="One year", amount=9900, access_days=30)


@pytest.fixture
def ending(frozen_now, customer, course, yearly_page):
    """Access bought with the 30-day page, ending ten days from now."""
    return make_enrolment(
        customer, course, payment_page=yearly_page, granted_at=START, expires_at=START + dt.timedelta(days=10)
    )


def reminders():
    return list(OutboundEmail.objects.filter(kind="expiry_reminder").order_by("pk"))


def test_the_reminder_goes_once_seven_days_before_with_the_renewal_link(ending, yearly_page):
    clock.set_now(START + dt.timedelta(days=2, hours=23))
    assert expiry_reminders_send() == 0

    clock.set_now(START + dt.timedelta(days=3))
    assert expiry_reminders_send() == 1

    [email] = reminders()
    assert email.subject == "Your access to Watercolor Foundations ends on December 1, 2026"
    assert "Your access to Watercolor Foundations ends on December 1, 2026." in email.text_body
    assert "renew it here ($99.00); the new period starts when the current one ends" in email.text_body
    assert checkout_url(yearly_page) in email.text_body
    queued = AuditEvent.objects.get(type="email.queued")
    assert (queued.customer_id, queued.data["subject"]) == (ending.customer_id, email.subject)
    # once per enrolment and expiry date, however often the scheduler runs
    clock.advance(dt.timedelta(days=1))
    assert expiry_reminders_send() == 0
    assert len(reminders()) == 1


def test_a_new_expiry_date_gets_its_own_reminder(ending, creator):
    clock.set_now(START + dt.timedelta(days=3))
    expiry_reminders_send()
    enrolment_expiration_set(
        enrolment=ending,
        expires_at=START + dt.timedelta(days=40),
        actor=Actor.creator(creator),
        source="desk",
    )
    clock.set_now(START + dt.timedelta(days=32))
    assert expiry_reminders_send() == 0

    clock.set_now(START + dt.timedelta(days=33))
    assert expiry_reminders_send() == 1
    assert [e.subject for e in reminders()][
        -1
    ] == "Your access to Watercolor Foundations ends on December 31, 2026"


def test_the_creator_chooses_the_notice_or_turns_reminders_off(ending, creator):
    payment_policy_update(
        creator=creator, expiry_reminder_days=2, actor=Actor.creator(creator), source="desk"
    )
    clock.set_now(START + dt.timedelta(days=7))
    assert expiry_reminders_send() == 0
    clock.set_now(START + dt.timedelta(days=8))
    assert expiry_reminders_send() == 1

    lee = make_customer(creator, email="lee@example.com", first_name="Lee")
    other = make_enrolment(lee, ending.course, expires_at=START + dt.timedelta(days=9))
    payment_policy_update(
        creator=creator, expiry_reminder_days=None, actor=Actor.creator(creator), source="desk"
    )
    assert expiry_reminders_send() == 0
    assert Enrolment.objects.get(pk=other.pk).expiry_reminded_for is None


def test_revoked_access_gets_no_reminder(ending, creator):
    enrolment_revoke(enrolment=ending, actor=Actor.creator(creator), source="desk")
    clock.set_now(START + dt.timedelta(days=5))
    assert expiry_reminders_send() == 0
    assert reminders() == []


def buy(page):
    checkout_pay_with_card(
        page=page,
        intent_key=f"renew-{clock.now():%Y%m%d%H%M}",
        email="zoe@example.com",
        first_name="Zoë",
        password="a long password",
        card_number="4242424242424242",
    )


def test_renewing_early_extends_from_the_current_expiry_in_one_audited_step(ending, yearly_page):
    clock.set_now(START + dt.timedelta(days=5))
    mark = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    buy(yearly_page)

    ending.refresh_from_db()
    assert ending.expires_at == START + dt.timedelta(days=40)  # 10 days left + 30 bought
    renewed = AuditEvent.objects.get(type="enrolment.renewed")
    assert renewed.data["expires_at"] == {
        "old": "2026-12-01T10:00:00+00:00",
        "new": "2026-12-31T10:00:00+00:00",
    }
    assert renewed.data["days"] == 30
    assert [e.type for e in AuditEvent.objects.filter(pk__gt=mark).order_by("pk")] == [
        "enrolment.renewed",
        "payment.succeeded",
        "email.queued",
    ]
    assert OutboundEmail.objects.filter(kind="welcome").count() == 0  # a renewal is not a welcome
    assert OutboundEmail.objects.filter(kind="receipt").count() == 1


def test_renewing_after_expiry_extends_from_today_and_the_next_expiry_is_announced_again(ending, yearly_page):
    clock.set_now(START + dt.timedelta(days=12))
    assert enrolments_expired_record() == 1
    assert ending.customer.enrolments.get().status == "expired"

    buy(yearly_page)

    ending.refresh_from_db()
    assert ending.expires_at == START + dt.timedelta(days=42)
    assert (ending.status, ending.expiry_recorded_at) == ("active", None)
    clock.set_now(START + dt.timedelta(days=42, minutes=1))
    assert enrolments_expired_record() == 1
    assert AuditEvent.objects.filter(type="enrolment.expired").count() == 2
