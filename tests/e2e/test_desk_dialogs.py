"""The desk's dialogs, keyboard and phone layout in a real browser (issue: the desk, second generation).

Zoë bought a course for $49.00; the creator finds her and works on her profile.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from coursedesk.billing.models import Refund
from coursedesk.customers.models import Enrolment
from tests.desk.conftest import make_payment
from tests.factories import make_course, make_customer, make_enrolment, make_page

pytestmark = pytest.mark.browser


@pytest.fixture
def zoe(browser_creator):
    course = make_course(browser_creator, title="Python for Data Analysis", slug="python")
    page = make_page(course, "one_time", name="Lifetime access", amount=4900)
    zoe = make_customer(browser_creator, email="zoe@example.com", first_name="Zoë", last_name="Okafor")
    make_enrolment(zoe, course, payment_page=page, source="checkout")
    make_payment(zoe, course, 4900, payment_page=page, paid_at=dt.datetime(2026, 11, 7, 9, 0, tzinfo=dt.UTC))
    return zoe


def active_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_the_dialog_is_modal_takes_focus_closes_on_escape_and_gives_focus_back(creator_page, zoe):
    page = creator_page
    page.goto(f"/desk/customers/{zoe.pk}/")
    payment = zoe.payments.get()
    opener = page.locator(f"#open-refund-{payment.pk}")
    opener.click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_have_attribute("open", "")
    assert page.evaluate("document.querySelector('#dialog').matches(':modal')") is True
    assert page.evaluate("document.querySelector('#dialog').contains(document.activeElement)") is True
    expect(dialog.get_by_role("heading", level=2)).to_contain_text(
        "Refund the $49.00 payment of 7 Nov 2026 for Python for Data Analysis"
    )
    page.keyboard.press("Escape")
    expect(dialog).not_to_have_attribute("open", "")
    assert active_id(page) == f"open-refund-{payment.pk}"
    # Cancel closes it the same way
    opener.click()
    dialog.get_by_role("link", name="Keep things as they are").click()
    expect(dialog).not_to_have_attribute("open", "")
    assert active_id(page) == f"open-refund-{payment.pk}"
    assert Refund.objects.count() == 0


def test_a_refusal_on_continue_stays_in_the_dialog_with_what_was_typed(creator_page, zoe):
    page = creator_page
    page.goto(f"/desk/customers/{zoe.pk}/")
    payment = zoe.payments.get()
    page.locator(f"#open-refund-{payment.pk}").click()
    dialog = page.locator("dialog#dialog")
    dialog.get_by_role("link", name="Refund a part instead").click()
    dialog.get_by_label("Amount to refund").fill("500")
    dialog.get_by_role("button", name="Continue").click()
    expect(dialog.locator("#id_amount_error")).to_have_text("Only $49.00 is left to refund on this payment.")
    expect(dialog.get_by_label("Amount to refund")).to_have_value("500")
    expect(dialog).to_have_attribute("open", "")
    assert active_id(page) == "id_amount"
    assert Refund.objects.count() == 0


def test_an_old_outcome_goes_away_when_the_next_dialog_opens(creator_page, zoe):
    page = creator_page
    page.goto(f"/desk/customers/{zoe.pk}/")
    enrolment = zoe.enrolments.get()
    page.locator(f"#open-access-{enrolment.pk}").click()
    page.locator("dialog#dialog").get_by_role("button", name="Revoke access").click()
    expect(page.locator("#profile-notice")).to_have_text("Access to Python for Data Analysis revoked.")
    assert active_id(page) == f"open-access-{enrolment.pk}"  # now "Grant access", in the same place
    page.locator(f"#open-access-{enrolment.pk}").click()
    expect(page.locator("dialog#dialog")).to_have_attribute("open", "")
    expect(page.locator("#profile-notice")).to_have_count(0)


def test_the_keyboard_alone_finds_a_customer_and_refunds_a_payment(creator_page, zoe):
    page = creator_page
    page.goto("/desk/")
    assert active_id(page) == "customer-search"  # focused on load
    keys = 0

    def press(key: str) -> None:
        nonlocal keys
        keys += 1
        page.keyboard.press(key)

    page.keyboard.type("oka")  # typing the name is not counted
    expect(page.locator("#search-results").get_by_role("link", name="Zoë Okafor")).to_be_visible()
    while page.evaluate("document.activeElement.textContent.trim()") != "Zoë Okafor":
        press("Tab")
        assert keys < 10
    press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Zoë Okafor")
    payment = zoe.payments.get()
    while active_id(page) != f"open-refund-{payment.pk}":
        press("Tab")
        assert keys < 40
    press("Enter")
    expect(page.locator("dialog#dialog")).to_have_attribute("open", "")
    press("Enter")  # the confirmation's button has the focus
    expect(page.locator(f"#payment-{payment.pk}")).to_contain_text("Refunded")
    assert list(Refund.objects.values_list("amount", flat=True)) == [4900]
    print(f"keyboard find → refund: {keys} keys after typing")
    assert keys <= 30


def test_clicks_find_to_refund_and_find_to_revoke(creator_page, zoe):
    page = creator_page
    payment = zoe.payments.get()
    enrolment = zoe.enrolments.get()

    def find() -> int:
        page.goto("/desk/")
        page.get_by_label("Find a customer").fill("oka")
        page.locator("#search-results").get_by_role("link", name="Zoë Okafor").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Zoë Okafor")
        return 1

    clicks = find()
    page.locator(f"#open-refund-{payment.pk}").click()
    page.locator("dialog#dialog").get_by_role("button", name="Refund").click()
    clicks += 2
    expect(page.locator(f"#payment-{payment.pk}")).to_contain_text("Refunded")
    print(f"clicks find → refund: {clicks}")
    assert clicks <= 3

    clicks = find()
    page.locator(f"#open-access-{enrolment.pk}").click()
    page.locator("dialog#dialog").get_by_role("button", name="Revoke access").click()
    clicks += 2
    expect(page.locator(f"#enrolment-{enrolment.pk}")).to_contain_text("Revoked")
    print(f"clicks find → revoke: {clicks}")
    assert clicks <= 3
    assert Enrolment.objects.get().revoked_at is not None


DESK_PAGES = [
    "/desk/",
    "/desk/customers/",
    "/desk/customers/?segment=active",
    "/desk/customers/{customer}/",
    "/desk/customers/{customer}/merge/",
    "/desk/courses/{course}/import/",
    "/desk/customers/{customer}/edit/",
    "/desk/payments/{payment}/refund/?change=1",
    "/desk/teach/",
    "/desk/links/",
    "/payments/settings/",
    "/accounts/settings/",
    "/desk/courses/emails/",
    "/desk/settings/webhooks/",
]


@pytest.mark.parametrize("path", DESK_PAGES)
def test_nothing_scrolls_sideways_on_a_phone(creator_page, zoe, path):
    page = creator_page
    make_payment(
        zoe, zoe.enrolments.get().course, 1900, status="failed", failure_message="Your card was declined."
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(
        path.format(
            customer=zoe.pk,
            payment=zoe.payments.filter(status="succeeded").get().pk,
            course=zoe.enrolments.get().course_id,
        )
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("window.innerWidth")
    assert page.evaluate("document.body.scrollWidth") <= 390


def test_on_a_phone_the_menu_is_one_button_and_rows_are_cards_with_their_actions(creator_page, zoe):
    page = creator_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/desk/customers/{zoe.pk}/")
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Teach")).to_be_visible()
    enrolment = zoe.enrolments.get()
    for name in ("Revoke access", "Set expiration", "Resend welcome email"):
        button = page.locator(f"#enrolment-{enrolment.pk}").get_by_role("link", name=name)
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, name
