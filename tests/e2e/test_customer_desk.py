"""The customer desk of SPEC §5.3 in a real browser: every action clicked as a creator would.

Zoë bought two courses through the sandbox checkout (a one-time page and a monthly subscription);
the creator finds her with three letters and works on her profile while Zoë's own browser shows
what she sees.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from coursedesk.billing.checkout import checkout_pay_with_card
from coursedesk.billing.models import Payment, Refund, Subscription
from coursedesk.core import clock
from coursedesk.customers.models import Customer, Enrolment
from tests.factories import make_course, make_page

pytestmark = pytest.mark.browser
STUDENT_PASSWORD = "paint-daily-42"


@pytest.fixture
def zoe(browser_creator):
    """Zoë, after buying one course outright and another on a monthly subscription."""
    watercolor = make_course(
        browser_creator, title="Watercolor Foundations", slug="watercolor", contact_email="help@maya.example"
    )
    python = make_course(browser_creator, title="Python for Data", slug="python")
    for page in (
        make_page(watercolor, "one_time", name="Lifetime access", amount=4900),
        make_page(python, "subscription", name="Monthly", amount=1900, interval="month"),
    ):
        checkout_pay_with_card(
            page=page,
            intent_key=f"zoe-{page.pk}",
            email="zoe@example.com",
            first_name="Zoë",
            last_name="Okafor",
            password=STUDENT_PASSWORD,
            card_number="4242424242424242",
        )
    return Customer.objects.get(email="zoe@example.com")


@pytest.fixture
def profile(creator_page, zoe):
    """The creator on Zoë's profile, reached through a three-letter search."""
    creator_page.goto("/desk/")
    creator_page.get_by_label("Find a customer").fill("oka")
    creator_page.locator("#search-results").get_by_role("link", name="Zoë Okafor").click()
    expect(creator_page.get_by_role("heading", level=1)).to_have_text("Zoë Okafor")
    return creator_page


def act(
    page, row, button: str, *, change: str = "", fill: dict[str, str] | None = None, confirm: str
) -> None:
    """Opens an action from a row of the profile, fills its form, and confirms it."""
    row.get_by_role("link", name=button).click()
    dialog = page.locator("#dialog")
    expect(dialog.get_by_role("heading", level=2)).to_be_visible()
    if change:
        dialog.get_by_role("link", name=change).click()
    if fill is not None:
        for label, value in fill.items():
            dialog.get_by_label(label).fill(value)
        dialog.get_by_role("button", name="Continue").click()
    page.locator("#dialog").get_by_role("button", name=confirm).click()
    # Done when the profile came back with the outcome in place of the dialog.
    expect(page.locator("#dialog").get_by_role("button", name=confirm)).to_have_count(0)
    expect(page.get_by_role("status").or_(page.get_by_role("alert")).first).to_be_visible()


def student_signs_in(new_page, course_slug: str):
    student = new_page()
    student.goto(f"/c/{course_slug}/login/")
    student.get_by_label("Email").fill("zoe@example.com")
    student.get_by_label("Password").fill(STUDENT_PASSWORD)
    student.get_by_role("button", name="Sign in").click()
    expect(student.get_by_role("link", name="First lesson")).to_be_visible()
    return student


def enrolment_row(page, title: str):
    return page.locator("tr[id^=enrolment-]").filter(has_text=title)


def test_three_letters_find_the_customer_and_open_the_profile(profile, zoe):
    expect(profile.get_by_role("main")).to_contain_text("zoe@example.com")
    expect(enrolment_row(profile, "Watercolor Foundations")).to_contain_text("Active")
    expect(profile.locator("tr[id^=payment-]")).to_have_count(2)
    expect(profile.locator("tr[id^=subscription-]")).to_contain_text("Active")


def test_revoke_then_grant_access(profile, zoe, new_page, browser_errors):
    browser_errors.allow(r"status of 403 .*/c/watercolor/")  # the revoked page answers 403
    student = student_signs_in(new_page, "watercolor")
    payments_before = list(Payment.objects.values_list("pk", "amount", "status"))

    act(profile, enrolment_row(profile, "Watercolor"), "Revoke access", confirm="Revoke access")

    expect(enrolment_row(profile, "Watercolor")).to_contain_text("Revoked")
    expect(enrolment_row(profile, "Watercolor").get_by_role("link", name="Grant access")).to_be_visible()
    student.goto("/c/watercolor/")
    expect(student.get_by_role("alert")).to_contain_text("Your access has been revoked")
    expect(student.get_by_role("alert")).to_contain_text("help@maya.example")
    expect(student.get_by_role("main")).not_to_contain_text("First lesson")
    assert list(Payment.objects.values_list("pk", "amount", "status")) == payments_before
    assert Subscription.objects.get().status == "active"

    act(profile, enrolment_row(profile, "Watercolor"), "Grant access", confirm="Grant access")

    expect(enrolment_row(profile, "Watercolor")).to_contain_text("Active")
    student.goto("/c/watercolor/")
    student.get_by_role("link", name="First lesson").click()
    expect(student.get_by_role("main")).to_contain_text("The secret of lesson one.")
    assert list(Payment.objects.values_list("pk", "amount", "status")) == payments_before


def test_edit_then_remove_the_expiration_date(profile, zoe):
    new_date = clock.today() + dt.timedelta(days=30)

    act(
        profile,
        enrolment_row(profile, "Watercolor"),
        "Set expiration",
        fill={"Access until (empty for lifetime)": new_date.isoformat()},
        confirm="Set expiration",
    )
    expect(enrolment_row(profile, "Watercolor")).to_contain_text(f"{new_date.day} {new_date:%b %Y}")

    act(
        profile,
        enrolment_row(profile, "Watercolor"),
        "Set expiration",
        fill={"Access until (empty for lifetime)": ""},
        confirm="Set expiration",
    )

    expect(enrolment_row(profile, "Watercolor")).to_contain_text("never (lifetime)")
    expect(profile.locator(".timeline")).to_contain_text(
        f"{new_date.day} {new_date:%b %Y}"
    )  # the old date is kept
    assert Enrolment.objects.get(course__slug="watercolor").expires_at is None


def test_refund_part_then_the_rest(profile, zoe):
    row = profile.locator("tr[id^=payment-]").filter(has_text="Watercolor")

    act(
        profile,
        row,
        "Refund",
        change="Refund a part instead",
        fill={"Amount to refund": "10.00"},
        confirm="Refund",
    )
    expect(row).to_contain_text("$39.00")  # left to refund

    act(profile, row, "Refund", confirm="Refund")  # the dialog opens on refunding all that is left

    expect(row).to_contain_text("$49.00")  # refunded in all
    expect(row.get_by_role("link", name="Refund")).to_have_count(0)
    payment = Payment.objects.get(course__slug="watercolor")
    assert sorted(Refund.objects.filter(payment=payment).values_list("amount", flat=True)) == [1000, 3900]
    assert Enrolment.objects.get(course__slug="watercolor").status == "active"  # refunds never revoke


def test_pause_resume_then_cancel_the_subscription(profile, zoe):
    row = profile.locator("tr[id^=subscription-]")
    resume_on = clock.today() + dt.timedelta(days=45)

    act(profile, row, "Pause", fill={"Take the next payment on": resume_on.isoformat()}, confirm="Pause")
    expect(row).to_contain_text("Paused")
    expect(row).to_contain_text(f"{resume_on.day} {resume_on:%b %Y}")

    act(profile, row, "Resume", confirm="Resume")
    expect(row).to_contain_text("Active")

    act(profile, row, "Cancel", fill={}, confirm="Cancel subscription")  # "now" is chosen by default

    expect(row).to_contain_text("Canceled")
    assert Subscription.objects.get().status == "canceled"
    assert Refund.objects.count() == 0
    assert Enrolment.objects.get(course__slug="python").status == "active"  # access stays


def test_edit_email_then_resend_the_welcome_email(profile, zoe, mailbox):
    profile.get_by_role("link", name="Edit details").click()
    dialog = profile.locator("#dialog")
    dialog.get_by_label("Email").fill("zoe.okafor@example.com")
    dialog.get_by_role("button", name="Continue").click()
    dialog.get_by_role("button", name="Save changes").click()

    offer = profile.locator(".offer")
    expect(offer).to_contain_text("Send the welcome email again")
    offer.get_by_role("link", name="Resend welcome email for Watercolor Foundations").click()
    profile.locator("#dialog").get_by_role("button", name="Send welcome email").click()
    expect(profile.get_by_role("status")).to_contain_text("zoe.okafor@example.com")

    [welcome] = mailbox.to("zoe.okafor@example.com")
    assert "Watercolor Foundations" in welcome["Subject"]
    assert re.search(r"/c/watercolor/login/", mailbox.text(welcome))
    assert Customer.objects.get(pk=zoe.pk).email == "zoe.okafor@example.com"
