"""The creator studio end to end in a real browser (issue "Creator studio", Done when).

A creator signs up on a fresh database and follows the checklist: sandbox payments, a course with a
thumbnail and two sections, three lessons (Markdown with a video, a file, a dripped one), a monthly
payment page with a 7-day trial, a coupon, and publishing. A buyer opens the sales page, applies the
coupon, sees the new price, pays with 4242, lands signed in on the course, opens a lesson, finds the
dripped one locked and downloads the file. Another browser, not enrolled, gets neither.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from coursedesk.billing.models import Payment, Subscription
from coursedesk.catalog.models import Coupon, Course

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n% brush exercises\n"


def png(tmp_path):
    path = tmp_path / "cover.png"
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 900), (40, 90, 160)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def add_lesson(page, course_url: str, *, title: str, section: str, **fields) -> None:
    page.goto(course_url)
    page.get_by_role("link", name="Add a lesson", exact=True).click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Section").select_option(label=section)
    if "markdown" in fields:
        page.get_by_label("Lesson text (Markdown)").fill(fields["markdown"])
        # The live preview (htmx) shows what students will see.
        expect(page.locator("#markdown-preview strong")).to_have_text(fields["preview_bold"])
    if "video" in fields:
        page.get_by_label("Video address").fill(fields["video"])
    if "drip" in fields:
        page.get_by_label("Available after (days)").fill(str(fields["drip"]))
    if "file" in fields:
        page.get_by_label("Add a downloadable file").set_input_files(fields["file"])
    page.get_by_role("button", name="Add the lesson").click()
    expect(page.locator("#outline")).to_contain_text(title)


def test_a_creator_builds_and_sells_a_course_and_a_buyer_learns(
    new_page, transactional_db, settings, tmp_path, browser_errors
):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Videos are embedded from their host; the test answers for it, so nothing leaves the machine.
    creator = new_page()
    creator.context.route(
        "https://www.youtube-nocookie.com/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<p>video</p>"),
    )

    # --- The creator signs up and follows the checklist -----------------------------------------
    creator.goto("/accounts/signup/")
    creator.get_by_label("Your name or business name").fill("Maya Studio")
    creator.get_by_label("Email").fill("maya@example.com")
    creator.get_by_label("Password").fill("brushes-and-paper-42")
    creator.get_by_role("button", name="Create account").click()
    expect(creator.locator("#checklist")).to_contain_text("0 of 6 done")

    creator.locator("#step-payments").get_by_role("link").click()
    creator.get_by_label("Sandbox (test mode)").check()
    creator.get_by_role("button", name="Save payment settings").click()
    creator.goto("/studio/")
    expect(creator.locator("#checklist")).to_contain_text("1 of 6 done")

    creator.locator("#step-course").get_by_role("link").click()
    creator.get_by_label("Title").fill("Watercolor Basics")
    creator.get_by_label("Description").fill("Loose, luminous watercolors.")
    creator.get_by_label("Thumbnail").set_input_files(png(tmp_path))
    creator.get_by_role("button", name="Create the course").click()
    expect(creator.get_by_role("heading", name="Watercolor Basics", level=1)).to_be_visible()
    course_url = creator.url
    course = Course.objects.get()
    assert (course.slug, course.published) == ("watercolor-basics", False)

    for section in ("Getting started", "Painting"):
        creator.get_by_label("New section title").fill(section)
        creator.get_by_role("button", name="Add a section").click()
        expect(creator.locator("#outline")).to_contain_text(section)

    add_lesson(
        creator,
        course_url,
        title="Your palette",
        section="Getting started",
        markdown="Three pigments: **ultramarine**, rose and yellow.",
        preview_bold="ultramarine",
        video="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    )
    exercises = tmp_path / "brush-exercises.pdf"
    exercises.write_bytes(PDF)
    add_lesson(creator, course_url, title="Brush exercises", section="Getting started", file=str(exercises))
    add_lesson(creator, course_url, title="Sunsets", section="Painting", drip=7)

    creator.get_by_role("link", name="Add a payment page").click()
    creator.get_by_label("Name").fill("Monthly")
    creator.get_by_label("Subscription").check()
    creator.get_by_label("Price").fill("19.00")
    creator.get_by_label("Every").select_option(label="Monthly")
    creator.get_by_label("Free trial (days)").fill("7")
    creator.get_by_role("button", name="Add the payment page").click()
    expect(creator.locator("#payment-pages")).to_contain_text("$19.00 / month after a 7-day free trial")

    creator.get_by_role("link", name="Coupons").click()
    creator.get_by_label("Code", exact=True).fill("spring20")
    creator.get_by_label("Percent off").fill("20")
    creator.get_by_role("button", name="Add the coupon").click()
    expect(creator.locator("#coupons")).to_contain_text("SPRING20")

    creator.goto(course_url)
    creator.get_by_role("button", name="Publish").click()
    expect(creator.locator("#publishing")).to_contain_text("Published")
    sales_url = creator.locator("#sales-page-link").inner_text()
    creator.goto("/studio/")
    expect(creator.locator("#step-publish")).to_contain_text("(done)")

    # --- A buyer finds the sales page, applies the coupon and pays with 4242 ---------------------
    buyer = new_page()
    buyer.context.route(
        "https://www.youtube-nocookie.com/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<p>video</p>"),
    )
    buyer.goto(sales_url)
    expect(buyer.get_by_role("heading", name="Watercolor Basics", level=1)).to_be_visible()
    expect(buyer.locator('meta[property="og:title"]')).to_have_attribute("content", "Watercolor Basics")
    # The thumbnail, resized to at most 1280 by 720, is the page's image and its Open Graph image.
    cover = buyer.locator("img.cover")
    expect(cover).to_be_visible()
    assert cover.evaluate("image => [image.naturalWidth, image.naturalHeight]") == [1280, 720]
    expect(buyer.locator('meta[property="og:image"]')).to_have_attribute(
        "content", re.compile(r"/media/thumbnails/")
    )
    expect(buyer.locator("#outline")).to_contain_text("Sunsets (opens 7 days after you join)")
    buyer.get_by_role("button", name="Start the free trial").click()

    buyer.get_by_label("Coupon code").fill("spring20")
    buyer.get_by_role("button", name="Apply the code").click()
    expect(buyer.locator("#coupon-applied")).to_contain_text(
        "Code SPRING20 applied (20% off): you pay $15.20 for the first payment, then $19.00"
    )
    buyer.get_by_label("First name").fill("Zoë")
    buyer.get_by_label("Email").fill("zoe@example.com")
    buyer.get_by_label("Password").fill("paint-daily-42")
    buyer.get_by_label("Card number").fill("4242 4242 4242 4242")
    buyer.get_by_role("button", name="Start the 7-day free trial").click()

    # Signed in, on the course.
    expect(buyer).to_have_url(re.compile(r"/c/watercolor-basics/$"))
    expect(buyer.get_by_role("status")).to_contain_text("You're in! Watercolor Basics is yours")
    subscription = Subscription.objects.get()
    assert (subscription.amount, subscription.discount, subscription.discount_payments_left) == (1900, 380, 1)
    assert Payment.objects.count() == 0  # the trial: nothing charged today
    assert Coupon.objects.get().times_redeemed == 1

    # The dripped lesson is locked, with its date; the others open.
    painting = buyer.locator(".lessons").last
    expect(painting.get_by_role("link", name="Sunsets")).to_have_count(0)
    expect(painting).to_contain_text(re.compile(r"Sunsets Opens on \d{4}-\d{2}-\d{2}"))
    buyer.get_by_role("link", name="Your palette").click()
    expect(buyer.locator("article strong")).to_have_text("ultramarine")
    expect(buyer.locator("iframe")).to_have_attribute(
        "src", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    )
    buyer.get_by_role("button", name="Mark complete").click()
    expect(buyer.get_by_role("button", name="Mark as not complete")).to_be_visible()

    buyer.goto("/c/watercolor-basics/lessons/3/")
    expect(buyer.get_by_role("main")).to_contain_text("This lesson opens on")
    browser_errors.allow(r"status of 403 .*/lessons/3/")  # the locked lesson answers 403

    buyer.goto("/c/watercolor-basics/lessons/2/")
    with buyer.expect_download() as download:
        buyer.get_by_role("link", name="brush-exercises.pdf").click()
    assert download.value.suggested_filename == "brush-exercises.pdf"
    assert Path(download.value.path()).read_bytes() == PDF
    file_url = buyer.get_by_role("link", name="brush-exercises.pdf").get_attribute("href")

    buyer.goto("/c/watercolor-basics/")
    expect(buyer.locator("#progress")).to_contain_text("33% complete: 1 of 3 lessons.")

    # --- Another browser, not enrolled, gets no file and no lesson --------------------------------
    stranger = new_page()
    answer = stranger.request.get(file_url, max_redirects=0)
    assert answer.status == 302 and "/login/" in answer.headers["location"]
    assert PDF not in answer.body()
    stranger.goto("/c/watercolor-basics/lessons/1/")
    expect(stranger).to_have_url(re.compile(r"/c/watercolor-basics/login/\?next="))
    expect(stranger.get_by_role("main")).not_to_contain_text("ultramarine")
