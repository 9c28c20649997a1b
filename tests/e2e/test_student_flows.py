"""Student flows of SPEC §6 in a real browser: buy, get the welcome email, sign in, read; reset."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from coursedesk.customers.models import Customer, Enrolment
from tests.factories import make_course, make_page

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(browser_creator):
    course = make_course(browser_creator, title="Watercolor Foundations", slug="watercolor")
    page = make_page(course, "one_time", name="Lifetime access", amount=4900)
    return course, page


def link_in(text: str, path_part: str) -> str:
    return next(url for url in re.findall(r"https?://\S+", text) if path_part in url)


def buy(
    page, payment_page, *, email="zoe@example.com", card="4242 4242 4242 4242", password="paint-daily-42"
):
    page.goto(f"/buy/{payment_page.pk}/")
    page.get_by_label("First name").fill("Zoë")
    page.get_by_label("Last name").fill("Okafor")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Card number").fill(card)
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()


def test_buy_get_the_welcome_email_sign_in_and_read_a_lesson(page, new_page, shop, mailbox):
    _, payment_page = shop

    buy(page, payment_page)

    # The buyer lands signed in on the course.
    expect(page).to_have_url(re.compile(r"/c/watercolor/$"))
    expect(page.get_by_role("status")).to_contain_text("You're in! Watercolor Foundations is yours")
    expect(page.get_by_role("link", name="First lesson")).to_be_visible()
    assert Enrolment.objects.get(customer__email="zoe@example.com").status == "active"
    received = {message["Subject"]: message for message in mailbox.to("zoe@example.com")}
    assert sorted(received) == [
        "Welcome to Watercolor Foundations",
        "Your receipt for Watercolor Foundations",
    ]
    welcome = received["Welcome to Watercolor Foundations"]
    login_url = link_in(mailbox.text(welcome), "/login/")

    # On another device, the welcome email's link signs them in.
    page = new_page()
    page.goto(login_url)
    page.get_by_label("Email").fill("ZOE@example.com")
    page.get_by_label("Password").fill("paint-daily-42")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="First lesson").click()

    expect(page.get_by_role("main")).to_contain_text("The secret of lesson one.")


def test_a_declined_card_changes_nothing_and_says_so(page, shop, mailbox, browser_errors):
    _, payment_page = shop
    browser_errors.allow(r"status of 422")  # the form comes back with the refusal

    buy(page, payment_page, card="4000 0000 0000 0002")

    expect(page.get_by_role("alert")).to_contain_text(re.compile("declined", re.I))
    assert Customer.objects.count() == 0
    assert mailbox.messages == []


def test_wrong_password_gives_one_generic_message_and_a_reset_link(page, shop, mailbox, browser_errors):
    course, payment_page = shop
    browser_errors.allow(r"status of 400 .*/login/")  # the refused sign-in answers 400
    buy(page, payment_page)
    page.context.clear_cookies()  # buying signed them in; this is someone at the sign-in page

    page.goto(f"/c/{course.slug}/login/")
    page.get_by_label("Email").fill("zoe@example.com")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    known = page.get_by_role("alert").inner_text()
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()

    assert page.get_by_role("alert").inner_text() == known
    expect(page.get_by_role("alert").get_by_role("link", name=re.compile("password", re.I))).to_be_visible()


def test_reset_link_from_the_email_works_once(page, shop, mailbox, browser_errors):
    course, payment_page = shop
    browser_errors.allow(r"status of 410 .*/password-reset/")  # the used link is gone
    buy(page, payment_page)
    page.context.clear_cookies()
    mailbox.clear()

    page.goto(f"/c/{course.slug}/password-reset/")
    page.get_by_label("Email").fill("zoe@example.com")
    page.get_by_role("button").filter(has_text=re.compile("link|reset|send", re.I)).first.click()
    expect(page.get_by_role("main")).to_contain_text(re.compile("spam", re.I))
    [reset] = mailbox.to("zoe@example.com")
    reset_url = link_in(mailbox.text(reset), "/password-reset/")

    page.goto(reset_url)
    page.get_by_label(re.compile("^New password", re.I)).first.fill("brand-new-brush-77")
    confirm = page.get_by_label(re.compile("confirm|again", re.I))
    if confirm.count():
        confirm.fill("brand-new-brush-77")
    page.get_by_role("button").filter(has_text=re.compile("password|save|set", re.I)).first.click()
    expect(page.get_by_role("link", name="First lesson")).to_be_visible()

    page.context.clear_cookies()
    page.goto(reset_url)
    expect(page.get_by_role("main")).to_contain_text(re.compile("already used", re.I))
    assert Customer.objects.get(email="zoe@example.com").check_password("brand-new-brush-77")


def test_unknown_email_gets_the_same_reset_page_and_no_email(page, shop, mailbox):
    course, _ = shop

    page.goto(f"/c/{course.slug}/password-reset/")
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_role("button").filter(has_text=re.compile("link|reset|send", re.I)).first.click()

    expect(page.get_by_role("main")).to_contain_text(re.compile("spam", re.I))
    assert mailbox.messages == []
