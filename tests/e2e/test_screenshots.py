"""Screenshots of the main pages, taken from the demo data in a real browser.

`make screenshots` sets WRITE_SCREENSHOTS=1 and the PNGs go to docs/screenshots/ (shown in the
README); in `make test` the same pages are opened and captured in memory only, so the walk still
proves they render without a console error or CSP violation and no tracked file changes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from coursedesk.catalog.models import Course, PaymentPage
from coursedesk.customers.models import Enrolment
from coursedesk.usecases.demo import DEMO_PASSWORD, STUDENT_PASSWORD
from tests.e2e.fixtures import creator_sign_in

pytestmark = pytest.mark.browser
OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WRITE = os.environ.get("WRITE_SCREENSHOTS") == "1"


def shoot(page, name: str) -> None:
    page.wait_for_load_state("networkidle")
    image = page.screenshot(full_page=True)
    assert image.startswith(b"\x89PNG")
    if WRITE:
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / f"{name}.png").write_bytes(image)


def test_screenshots_of_the_main_pages(new_page, demo_data):
    creator = new_page()
    creator_sign_in(creator, demo_data.email, DEMO_PASSWORD)

    creator.get_by_label("Find a customer").fill("oka")
    expect(creator.locator("#search-results").get_by_role("link").first).to_be_visible()
    shoot(creator, "desk-activity-search")

    creator.locator("#search-results").get_by_role("link").first.click()
    expect(creator.locator("#profile")).to_be_visible()
    shoot(creator, "customer-profile")

    # On a phone (390 px wide) the profile's rows are cards with their actions, and nothing
    # scrolls sideways.
    creator.set_viewport_size({"width": 390, "height": 844})
    expect(creator.locator("#profile")).to_be_visible()
    assert creator.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(creator, "customer-profile-phone")
    creator.set_viewport_size({"width": 1280, "height": 900})

    creator.goto("/desk/customers/?segment=past_due")
    expect(creator.get_by_role("heading", level=1)).to_be_visible()
    shoot(creator, "customer-list")

    creator.goto("/desk/teach/")
    shoot(creator, "teach")
    creator.goto("/desk/links/")
    shoot(creator, "course-links")
    studio_course = Course.objects.get(creator=demo_data, slug="watercolor-foundations")
    creator.goto(f"/studio/courses/{studio_course.pk}/")
    expect(creator.locator("#outline")).to_contain_text("Sunsets in layers")
    shoot(creator, "studio-course")

    enrolment = (
        Enrolment.objects.active()
        .filter(course__creator=demo_data)
        .select_related("customer", "course")
        .order_by("pk")
        .first()
    )
    student = new_page()
    student.goto(f"/c/{enrolment.course.slug}/login/")
    student.get_by_label("Email").fill(enrolment.customer.email)
    student.get_by_label("Password").fill(STUDENT_PASSWORD)
    student.get_by_role("button", name="Sign in").click()
    expect(student.locator(".lessons").first).to_be_visible()
    shoot(student, "student-course")

    buyer = new_page()
    buyer.goto(f"/buy/{PaymentPage.objects.filter(course__creator=demo_data).order_by('pk').first().pk}/")
    shoot(buyer, "checkout")
    buyer.goto(f"/courses/{studio_course.slug}/")
    expect(buyer.get_by_role("heading", name=studio_course.title)).to_be_visible()
    shoot(buyer, "sales-page")
