"""A paying student's whole life in a real browser, with the clock moved between the scheduler's
runs: a renewal fails and says so by email, a new card recovers it at once, an expiry reminder
leads to a renewal that extends from the expiry, and a cancel at the period's end ends access then.
Emails arrive over SMTP; every payment taken has its numbered receipt, opened from its email."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from coursedesk.audit.services import Actor
from coursedesk.billing.dunning import payment_policy_update
from coursedesk.billing.expiry import expiry_reminders_send
from coursedesk.billing.models import Receipt, Subscription
from coursedesk.billing.renewals import renewals_run
from coursedesk.core import clock
from coursedesk.customers.models import Enrolment
from tests.factories import make_course, make_page

pytestmark = pytest.mark.browser
PASSWORD = "paint-daily-42"
STUDENT = "zoe@example.com"


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def link_in(text: str, path_part: str) -> str:
    return next(url for url in re.findall(r"https?://\S+", text) if path_part in url)


@pytest.fixture
def school(browser_creator):
    """A monthly subscription to one course and 30 days of another; students' own cancels take
    effect at the end of the period they paid for."""
    python = make_course(
        browser_creator, title="Python for Data", slug="python", contact_email="help@maya.example"
    )
    monthly = make_page(python, "subscription", name="Monthly", amount=1900, interval="month")
    sql = make_course(browser_creator, title="SQL Basics", slug="sql", contact_email="help@maya.example")
    season = make_page(sql, "one_time", name="30 days", amount=2900, access_days=30)
    payment_policy_update(
        creator=browser_creator,
        actor=Actor.creator(browser_creator),
        source="desk",
        customer_cancel_at_period_end=True,
        business_name="Maya Studio Ltd",
    )
    return python, monthly, sql, season


def buy(page, payment_page, card="4242 4242 4242 4242"):
    page.goto(f"/buy/{payment_page.pk}/")
    page.get_by_label("First name").fill("Zoë")
    page.get_by_label("Last name").fill("Okafor")
    page.get_by_label("Email").fill(STUDENT)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Card number").fill(card)
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    expect(page.get_by_role("main")).to_contain_text(payment_page.course.title)


def newest(mailbox, subject: str) -> str:
    found = [m for m in mailbox.to(STUDENT) if m["Subject"] == subject]
    assert found, f"no email {subject!r}; got {[m['Subject'] for m in mailbox.to(STUDENT)]}"
    return mailbox.text(found[-1])


def test_a_students_life_from_failed_renewal_to_a_cancel_at_the_period_end(
    page, school, mailbox, browser_errors
):
    browser_errors.allow(r"status of 403 .*/c/python/")  # the ended subscription's page answers 403
    python, monthly, sql, season = school

    # Zoë subscribes on November 21 and lands signed in on her course
    clock.set_now(utc(2026, 11, 21, 10))
    buy(page, monthly)
    page.goto("/c/python/")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    # her card changes to one that will be declined
    page.goto("/c/python/billing/")
    page.get_by_label("Card number").fill("4000 0000 0000 0341")
    page.get_by_role("button", name="Update card").click()
    expect(page.get_by_role("main")).to_contain_text("ending in 0341")

    # the renewal of December 21 fails: the email names the amount, the course and where to fix it
    clock.set_now(utc(2026, 12, 21, 10))
    renewals_run()
    failed = newest(mailbox, "Your payment for Python for Data failed")
    assert "We could not take your payment of $19.00 for Python for Data" in failed
    assert "We will try again on December 24, 2026" in failed
    assert Subscription.objects.get().status == "past_due"

    # the next day she opens the link and gives a new card: the payment is taken at once
    clock.set_now(utc(2026, 12, 22, 9))
    page.goto(link_in(failed, "/billing/"))
    expect(page.get_by_role("main")).to_contain_text("Your last payment of $19.00 failed")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Update card").click()
    expect(page.get_by_role("main")).to_contain_text(
        "Your card is updated and the payment went through: your subscription is active again."
    )
    subscription = Subscription.objects.get()
    assert (subscription.status, subscription.next_payment_at) == ("active", utc(2027, 1, 21, 10))
    # and its receipt, No. 2, opens from the receipt email
    receipt_email = [m for m in mailbox.to(STUDENT) if m["Subject"] == "Your receipt for Python for Data"][-1]
    page.goto(link_in(mailbox.text(receipt_email), "/receipts/"))
    expect(page.locator("#receipt-number")).to_have_text("2")
    expect(page.get_by_role("main")).to_contain_text("Maya Studio Ltd")

    # she buys 30 days of SQL Basics the same day: access until January 21
    buy(page, season)
    enrolment = Enrolment.objects.get(course=sql)
    assert enrolment.expires_at == utc(2027, 1, 21, 9)

    # a week before it ends, the reminder comes, once, with the renewal link
    clock.set_now(utc(2027, 1, 15, 8))
    assert expiry_reminders_send() == 1
    assert expiry_reminders_send() == 0
    reminder = newest(mailbox, "Your access to SQL Basics ends on January 21, 2027")
    page.goto(link_in(reminder, "/buy/"))
    page.get_by_label("First name").fill("Zoë")
    page.get_by_label("Email").fill(STUDENT)
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    expect(page.get_by_role("main")).to_contain_text("SQL Basics")
    # the renewal extends from the expiry, so no day is lost
    enrolment.refresh_from_db()
    assert enrolment.expires_at == utc(2027, 2, 20, 9)

    # the same day she cancels the subscription; the page says when it ends, before and after
    page.goto("/c/python/billing/")
    page.get_by_role("link", name="Cancel recurring payments").click()
    expect(page.get_by_role("main")).to_contain_text("You keep full access until January 21, 2027")
    page.get_by_role("button", name="Cancel payments; my access ends on January 21, 2027").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your subscription ends on January 21, 2027")
    subscription.refresh_from_db()
    assert (subscription.status, subscription.cancel_at_period_end) == ("active", True)
    page.goto("/c/python/")
    expect(page.get_by_role("link", name="First lesson")).to_be_visible()

    # on January 21 the period ends: no payment, the subscription is canceled and her access ends
    clock.set_now(utc(2027, 1, 21, 10))
    renewals_run()
    subscription.refresh_from_db()
    assert (subscription.status, subscription.canceled_at) == ("canceled", utc(2027, 1, 21, 10))
    assert Enrolment.objects.get(course=python).status == "revoked"
    page.goto("/c/python/")
    expect(page.get_by_role("main")).to_contain_text("Your subscription ended on")
    expect(page.get_by_role("main")).not_to_contain_text("Your access has been revoked")
    # every payment taken has its receipt: the subscription, the recovery, SQL Basics, its renewal
    assert list(Receipt.objects.order_by("number").values_list("number", "amount")) == [
        (1, 1900),
        (2, 1900),
        (3, 2900),
        (4, 2900),
    ]
