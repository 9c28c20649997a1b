"""Creator pages open in a real browser under the Content-Security-Policy, without a console error."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.fixtures import creator_sign_in

pytestmark = pytest.mark.browser


def test_sign_in_through_the_form_lands_on_the_desk(creator_page):
    expect(creator_page).to_have_url(re.compile(r"/desk/$"))
    expect(creator_page.get_by_role("navigation", name="Main")).to_be_visible()


def test_wrong_password_is_refused_with_a_message(page, browser_creator):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(browser_creator.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


@pytest.mark.parametrize("link", ["Customers", "Teach", "Course links", "Payments", "Settings"])
def test_every_menu_page_opens_without_browser_errors(creator_page, link):
    creator_page.get_by_role("navigation", name="Main").get_by_role("link", name=link).click()
    expect(creator_page.get_by_role("link", name=link)).to_have_attribute("aria-current", "page")


def test_sign_out_ends_the_session(creator_page):
    creator_page.get_by_role("button", name="Sign out").click()
    creator_page.goto("/desk/")
    expect(creator_page).to_have_url(re.compile(r"/accounts/login/\?next=/desk/$"))


def test_demo_creator_sees_demo_customers(page, demo_data):
    from coursedesk.usecases.demo import DEMO_PASSWORD

    creator_sign_in(page, demo_data.email, DEMO_PASSWORD)
    expect(page.get_by_role("main")).to_contain_text("Customer")


def test_an_inline_script_would_be_reported(page, browser_errors, live_server):
    """The watch itself works: a page that breaks the policy is caught."""
    page.goto("/accounts/login/")
    with page.expect_console_message(lambda message: "CSP violation" in message.text):
        page.evaluate("""() => { const s = document.createElement('script');
            s.textContent = 'window.ran = 1'; document.body.appendChild(s); }""")
    assert page.evaluate("window.ran") is None
    assert any("CSP violation: script-src" in message for message in browser_errors.seen)
    browser_errors.allow("script-src")
