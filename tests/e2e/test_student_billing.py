"""Student billing (SPEC §6) in a real browser: update the card; cancel recurring payments."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from coursedesk.billing.checkout import checkout_pay_with_card
from coursedesk.billing.models import Refund, Subscription
from coursedesk.customers.models import Enrolment
from tests.factories import make_course, make_page

pytestmark = pytest.mark.browser
PASSWORD = "paint-daily-42"


@pytest.fixture
def member(browser_creator):
    """Zoë, on a monthly subscription bought with 4242 in the sandbox."""
    course = make_course(
        browser_creator, title="Python for Data", slug="python", contact_email="help@maya.example"
    )
    page = make_page(course, "subscription", name="Monthly", amount=1900, interval="month")
    checkout_pay_with_card(
        page=page,
        intent_key="member",
        email="zoe@example.com",
        first_name="Zoë",
        last_name="Okafor",
        password=PASSWORD,
        card_number="4242424242424242",
    )
    return course


def sign_in(page, course):
    page.goto(f"/c/{course.slug}/login/")
    page.get_by_label("Email").fill("zoe@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="First lesson")).to_be_visible()


def test_student_updates_the_card_of_their_subscription(page, member):
    sign_in(page, member)
    page.goto(f"/c/{member.slug}/billing/")

    page.get_by_label("Card number").fill("5555 5555 5555 4444")
    page.get_by_role("button", name="Update card").click()

    expect(page.get_by_role("main")).to_contain_text("ending in 4444")
    assert Subscription.objects.get().card_last4 == "4444"


def test_student_cancels_and_loses_access_at_once(page, member, browser_errors):
    browser_errors.allow(r"status of 403 .*/c/python/")  # the revoked page answers 403
    sign_in(page, member)
    page.goto(f"/c/{member.slug}/billing/")

    page.get_by_role("link", name="Cancel recurring payments").click()
    expect(page.get_by_role("main")).to_contain_text(re.compile("ends your access", re.I))
    page.get_by_role("button", name="Cancel payments and end my access").click()

    expect(page.get_by_role("main")).to_contain_text("Your subscription ended on")
    page.goto(f"/c/{member.slug}/")
    expect(page.get_by_role("main")).to_contain_text("Your subscription ended on")
    expect(page.get_by_role("main")).not_to_contain_text("Your access has been revoked")
    expect(page.get_by_role("main")).not_to_contain_text("First lesson")
    assert Subscription.objects.get().status == "canceled"
    assert Enrolment.objects.get().status == "revoked"
    assert Refund.objects.count() == 0
