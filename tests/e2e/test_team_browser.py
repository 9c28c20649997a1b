"""Teams and two-factor sign-in in a real browser: signing in with an authenticator code or a
recovery code, and a support member refunding within their limit and refused above it."""

from __future__ import annotations

import re
import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from coursedesk.accounts.models import Membership
from coursedesk.billing.models import Refund
from tests.desk.conftest import make_payment
from tests.factories import TEST_PASSWORD, make_course, make_creator, make_customer, make_enrolment, make_page

pytestmark = pytest.mark.browser


def password_step(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your sign-in code")


@pytest.fixture
def authenticator(browser_creator):
    device = TOTPDevice.objects.create(user=browser_creator, name="authenticator", confirmed=True)
    recovery = StaticDevice.objects.create(user=browser_creator, name="recovery codes", confirmed=True)
    recovery.token_set.create(token="q2w3e4r5")
    return device


def test_two_factor_sign_in_with_the_authenticators_code(page, authenticator):
    password_step(page, "maya@example.com")
    totp = TOTP(authenticator.bin_key, authenticator.step, authenticator.t0, authenticator.digits)
    totp.time = time.time()

    page.get_by_label("Code").fill(f"{totp.token():06d}")
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(re.compile(r"/desk/$"))
    expect(page.locator(".who")).to_have_text("maya@example.com")


def test_two_factor_sign_in_with_a_recovery_code_that_then_stops_working(page, new_page, authenticator):
    password_step(page, "maya@example.com")
    page.get_by_label("Code").fill("Q2W3 E4R5")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/desk/$"))

    again = new_page()
    password_step(again, "maya@example.com")
    again.get_by_label("Code").fill("q2w3e4r5")
    again.get_by_role("button", name="Sign in").click()
    expect(again.get_by_role("main")).to_contain_text("That code does not work.")


@pytest.fixture
def paid(browser_creator):
    course = make_course(browser_creator, title="Watercolor Foundations", slug="watercolor")
    page = make_page(course, "one_time", amount=4900)
    customer = make_customer(browser_creator, email="zoe@example.com", first_name="Zoë", last_name="Okafor")
    make_enrolment(customer, course, payment_page=page)
    return make_payment(customer, course, 4900, payment_page=page, gateway_payment_id="pay_zoe")


def test_support_refunds_within_their_limit_and_is_refused_above_it(page, browser_creator, paid):
    sam = make_creator(email="sam@helpers.example", joined_as_member=True)
    Membership.objects.create(account=browser_creator, person=sam, role="support", refund_limit=2000)
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("sam@helpers.example")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/desk/$"))
    expect(page.locator(".who")).to_contain_text("sam@helpers.example for Maya Studio (support)")
    page.goto(f"/desk/customers/{paid.customer_id}/")
    row = page.locator("tr[id^=payment-]")
    dialog = page.locator("#dialog")

    # Above the limit: the dialog says so before anything is confirmed, first for the whole payment
    # (what it offers by default), then for a part still above the limit.
    row.get_by_role("link", name="Refund").click()
    expect(dialog).to_contain_text(
        "Your refund limit is $20.00 per refund. Ask an owner or an admin to refund $49.00."
    )
    dialog.get_by_label("Amount to refund").fill("30.00")
    dialog.get_by_role("button", name="Continue").click()
    expect(dialog).to_contain_text(
        "Your refund limit is $20.00 per refund. Ask an owner or an admin to refund $30.00."
    )
    assert not Refund.objects.exists()

    # Within it: refunded, and the timeline names Sam.
    dialog.get_by_label("Amount to refund").fill("15.00")
    dialog.get_by_role("button", name="Continue").click()
    dialog.get_by_role("button", name="Refund").click()
    expect(page.get_by_role("status").first).to_contain_text("Refund of $15.00 started.")
    expect(page.get_by_role("main")).to_contain_text("by sam@helpers.example")
    assert list(Refund.objects.values_list("amount", flat=True)) == [1500]


def test_a_viewer_opening_an_action_reads_why_not_in_the_dialog(page, browser_creator, paid, browser_errors):
    browser_errors.allow(r"403")  # the refusal's answer, shown in the dialog
    viewer = make_creator(email="vic@helpers.example", joined_as_member=True)
    Membership.objects.create(account=browser_creator, person=viewer, role="viewer")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("vic@helpers.example")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/desk/$"))
    page.goto(f"/desk/customers/{paid.customer_id}/")

    page.locator("tr[id^=payment-]").get_by_role("link", name="Refund").click()

    dialog = page.locator("#dialog")
    expect(dialog.get_by_role("heading", level=2)).to_have_text("Not allowed")
    expect(dialog).to_contain_text("Your role (viewer) does not let you refund payments here.")
    dialog.get_by_role("link", name="Close").click()
    expect(dialog).to_be_hidden()
    assert not Refund.objects.exists()


def test_an_owner_invites_and_the_new_member_joins_from_the_emailed_link(creator_page, new_page):
    from coursedesk.mail.models import OutboundEmail

    creator_page.goto("/accounts/settings/")
    creator_page.get_by_role("link", name="Team").click()
    creator_page.get_by_label("Email").fill("sam@helpers.example")
    creator_page.get_by_label("Role").select_option("support")
    creator_page.get_by_label("Refund limit (support)").fill("25")
    creator_page.get_by_role("button", name="Send invitation").click()
    expect(creator_page.get_by_role("status")).to_contain_text("Invitation sent to sam@helpers.example.")
    expect(creator_page.get_by_role("main")).to_contain_text("sam@helpers.example as support")

    link = re.search(r"(/team/join/\S+/)", OutboundEmail.objects.get(kind="team_invitation").text_body)[1]
    sam = new_page()
    sam.goto(link)
    expect(sam.get_by_role("main")).to_contain_text("Maya Studio invites sam@helpers.example")
    sam.get_by_label("Your name").fill("Sam Helper")
    sam.get_by_label("Password").fill("a long fresh passphrase 42")
    sam.get_by_role("button", name="Create my sign-in and join").click()

    sam.wait_for_url(re.compile(r"/desk/$"))
    expect(sam.locator(".who")).to_contain_text("sam@helpers.example for Maya Studio (support)")
    creator_page.reload()
    expect(creator_page.locator("tr[id^=member-]")).to_contain_text("sam@helpers.example")
    assert Membership.objects.get().refund_limit == 2500
