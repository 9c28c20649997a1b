"""The desk in a real browser: search as you type, and an action confirmed and applied in place (htmx)."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.fixtures import creator_sign_in
from tests.factories import TEST_PASSWORD, make_course, make_customer, make_enrolment

pytestmark = pytest.mark.browser


@pytest.fixture
def zoe(browser_creator):
    course = make_course(browser_creator, title="Watercolor Foundations", slug="watercolor")
    customer = make_customer(browser_creator, email="zoe@example.com", first_name="Zoë", last_name="Okafor")
    make_customer(browser_creator, email="bruno@example.com", first_name="Bruno", last_name="Martin")
    return make_enrolment(customer, course)


def test_search_as_you_type_then_revoke_and_grant_in_place(page, browser_creator, zoe):
    creator_sign_in(page, browser_creator.email, TEST_PASSWORD)

    # typing three letters of the surname shows the customer without pressing a button
    page.get_by_label("Find a customer").press_sequentially("oka")
    results = page.locator("#search-results")
    expect(results.get_by_role("link", name="Zoë Okafor")).to_be_visible()
    expect(results).not_to_contain_text("Bruno")
    expect(page).to_have_url(re.compile(r"/desk/$"))

    # the profile: revoke asks first, with its consequences, then applies in place
    results.get_by_role("link", name="Zoë Okafor").click()
    expect(page.get_by_role("heading", name="Zoë Okafor")).to_be_visible()
    profile_url = page.url
    page.get_by_role("link", name="Revoke access").click()
    expect(page.locator("#dialog")).to_contain_text("loses access to Watercolor Foundations at once")
    expect(page).to_have_url(profile_url)
    page.locator("#dialog").get_by_role("button", name="Revoke access").click()
    expect(page.get_by_role("status")).to_contain_text("Access to Watercolor Foundations revoked.")
    expect(page.locator(f"#enrolment-{zoe.pk}")).to_contain_text("Revoked")
    expect(page).to_have_url(profile_url)

    # grant again, same way
    page.get_by_role("link", name="Grant access").click()
    page.locator("#dialog").get_by_role("button", name="Grant access").click()
    expect(page.locator(f"#enrolment-{zoe.pk}")).to_contain_text("Active")
    zoe.refresh_from_db()
    assert zoe.revoked_at is None


def test_an_action_with_a_form_asks_then_confirms_in_place(page, browser_creator, zoe):
    creator_sign_in(page, browser_creator.email, TEST_PASSWORD)
    page.goto(f"/desk/customers/{zoe.customer_id}/")
    page.get_by_role("link", name="Set expiration").click()
    page.get_by_label("Access until (empty for lifetime)").fill("2031-01-31")
    page.locator("#dialog").get_by_role("button", name="Continue").click()
    expect(page.locator("#dialog")).to_contain_text("ends on 31 Jan 2031 (00:00 UTC); it was never")
    page.locator("#dialog").get_by_role("button", name="Set expiration").click()
    expect(page.locator(f"#enrolment-{zoe.pk}")).to_contain_text("31 Jan 2031")
