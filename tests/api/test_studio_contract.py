"""The studio's routes of the creator API (API.md, Studio): paths, exact JSON, status and error codes;
each refusal changes nothing."""

from __future__ import annotations

from django.conf import settings

from coursedesk.audit.models import AuditEvent
from coursedesk.catalog.models import Coupon, Course, Lesson, PaymentPage, Section
from coursedesk.customers.models import LessonProgress
from tests.desk.conftest import make_payment
from tests.factories import make_course, make_customer, make_page


def error_code(response):
    return response.json()["error"]["code"]


def test_the_studios_routes_are_in_the_openapi_schema(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    assert {
        "/api/v1/courses": {"get", "post"},
        "/api/v1/courses/{course_id}": {"get", "patch"},
        "/api/v1/courses/{course_id}/lessons": {"post"},
        "/api/v1/lessons/{lesson_id}": {"patch", "delete"},
        "/api/v1/courses/{course_id}/payment-pages": {"get", "post"},
        "/api/v1/payment-pages/{payment_page_id}": {"patch", "delete"},
        "/api/v1/payment-pages/{payment_page_id}/quote": {"get"},
        "/api/v1/coupons": {"get", "post"},
        "/api/v1/coupons/{coupon_id}": {"patch"},
    } == {
        path: set(paths[path])
        for path in paths
        if path.split("/")[3] in {"courses", "lessons", "payment-pages", "coupons"}
        and not path.endswith(("/links", "/students.csv", "/enrolments"))
    }


# --- Courses -------------------------------------------------------------------------------------


def test_create_a_course_as_a_draft(api, creator, frozen_now):
    response = api.post("/courses", {"title": "Ink & Wash", "description": "Brushes.\nPaper."})

    assert response.status_code == 201
    course = Course.objects.get()
    assert response.json() == {
        "id": str(course.pk),
        "title": "Ink & Wash",
        "slug": "ink-wash",
        "description": "Brushes.\nPaper.",
        "contact_email": "maya@example.com",
        "published": False,
        "archived_at": None,
        "thumbnail_url": None,
        "sales_url": f"{settings.SITE_URL}/courses/ink-wash/",
        "sections": [],
    }
    assert course.creator == creator


def test_a_taken_slug_is_409_and_nothing_is_made(api, course):
    response = api.post("/courses", {"title": "Another", "slug": "watercolor"})

    assert (response.status_code, error_code(response)) == (409, "slug_taken")
    assert Course.objects.count() == 1


def test_get_a_course_with_its_sections_and_lessons(api, course):
    basics = Section.objects.create(course=course, title="Basics", position=1)
    Lesson.objects.create(course=course, section=basics, position=2, title="Greys", free_preview=True)
    Lesson.objects.create(course=course, section=basics, position=3, title="Skies", available_after_days=7)
    first = course.lessons.get(position=1)
    greys, skies = course.lessons.get(position=2), course.lessons.get(position=3)

    response = api.get(f"/courses/{course.pk}")

    assert response.status_code == 200
    assert response.json()["sections"] == [
        {
            "id": None,
            "title": "",
            "lessons": [
                {
                    "id": str(first.pk),
                    "title": "First lesson",
                    "position": 1,
                    "available_after_days": None,
                    "free_preview": False,
                }
            ],
        },
        {
            "id": str(basics.pk),
            "title": "Basics",
            "lessons": [
                {
                    "id": str(greys.pk),
                    "title": "Greys",
                    "position": 2,
                    "available_after_days": None,
                    "free_preview": True,
                },
                {
                    "id": str(skies.pk),
                    "title": "Skies",
                    "position": 3,
                    "available_after_days": 7,
                    "free_preview": False,
                },
            ],
        },
    ]


def test_publishing_without_an_active_payment_page_is_409_and_changes_nothing(api, creator):
    course = make_course(creator, title="Draft", slug="draft", published=False)

    response = api.patch(f"/courses/{course.pk}", {"title": "Renamed", "published": True})

    assert (response.status_code, error_code(response)) == (409, "course_not_ready")
    assert response.json()["error"]["message"] == "Before publishing, add an active payment page."
    course.refresh_from_db()
    assert (course.title, course.published) == ("Draft", False)
    assert not AuditEvent.objects.filter(type="course.updated").exists()


def test_patch_a_course_and_publish_it(api, creator):
    course = make_course(creator, title="Draft", slug="draft", published=False)
    make_page(course, "one_time")

    response = api.patch(f"/courses/{course.pk}", {"title": "Ready", "slug": "ready", "published": True})

    assert response.status_code == 200
    assert (response.json()["title"], response.json()["slug"], response.json()["published"]) == (
        "Ready",
        "ready",
        True,
    )
    unpublished = api.patch(f"/courses/{course.pk}", {"published": False})
    assert unpublished.json()["published"] is False


# --- Lessons -------------------------------------------------------------------------------------


def test_add_a_lesson_in_a_section(api, course):
    basics = Section.objects.create(course=course, title="Basics", position=1)

    response = api.post(
        f"/courses/{course.pk}/lessons",
        {
            "title": "Washes",
            "body_markdown": "# Flat wash\n\n**Wet** paper.",
            "video_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "section": str(basics.pk),
            "available_after_days": 3,
            "free_preview": True,
        },
    )

    assert response.status_code == 201
    lesson = Lesson.objects.get(title="Washes")
    assert response.json() == {
        "id": str(lesson.pk),
        "course_id": str(course.pk),
        "section_id": str(basics.pk),
        "title": "Washes",
        "position": 2,
        "body_markdown": "# Flat wash\n\n**Wet** paper.",
        "video_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "available_after_days": 3,
        "free_preview": True,
    }
    assert "<strong>Wet</strong>" in lesson.body_html


def test_a_video_outside_the_allowlist_is_422_and_adds_nothing(api, course):
    response = api.post(
        f"/courses/{course.pk}/lessons", {"title": "Bad", "video_url": "https://evil.example/v.html"}
    )

    assert (response.status_code, error_code(response)) == (422, "video_url_not_allowed")
    assert course.lessons.count() == 1


def test_patch_and_delete_a_lesson(api, course):
    Lesson.objects.create(course=course, position=2, title="Second")
    second = course.lessons.get(position=2)

    moved = api.patch(
        f"/lessons/{second.pk}", {"title": "Now first", "position": 1, "available_after_days": 5}
    )

    assert moved.status_code == 200
    assert (moved.json()["title"], moved.json()["position"], moved.json()["available_after_days"]) == (
        "Now first",
        1,
        5,
    )
    cleared = api.patch(f"/lessons/{second.pk}", {"available_after_days": None})
    assert cleared.json()["available_after_days"] is None
    deleted = api.delete(f"/lessons/{second.pk}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert list(course.lessons.values_list("title", "position")) == [("First lesson", 1)]


# --- Payment pages -------------------------------------------------------------------------------


def test_add_a_monthly_page_with_a_trial_and_list_the_pages(api, course, one_time_page):
    response = api.post(
        f"/courses/{course.pk}/payment-pages",
        {
            "name": "Monthly",
            "kind": "subscription",
            "amount": 1900,
            "currency": "usd",
            "interval": "month",
            "trial_days": 7,
        },
    )

    assert response.status_code == 201
    page = PaymentPage.objects.get(name="Monthly")
    assert response.json() == {
        "id": str(page.pk),
        "course_id": str(course.pk),
        "name": "Monthly",
        "kind": "subscription",
        "amount": 1900,
        "currency": "usd",
        "interval": "month",
        "installments": None,
        "access_days": None,
        "trial_days": 7,
        "active": True,
        "checkout_url": f"{settings.SITE_URL}/buy/{page.pk}/",
    }
    listed = api.get(f"/courses/{course.pk}/payment-pages").json()
    assert [row["name"] for row in listed["results"]] == ["Lifetime access", "Monthly"] and listed[
        "next"
    ] is None


def test_a_trial_on_a_one_time_page_is_422_and_adds_nothing(api, course):
    response = api.post(
        f"/courses/{course.pk}/payment-pages",
        {"name": "Once", "kind": "one_time", "amount": 100, "trial_days": 7},
    )

    assert (response.status_code, error_code(response)) == (422, "invalid_trial")
    assert PaymentPage.objects.count() == 0


def test_patch_a_pages_price_and_delete_is_405_once_it_has_sales(api, customer, course, one_time_page):
    patched = api.patch(f"/payment-pages/{one_time_page.pk}", {"amount": 5900, "name": "Lifetime"})
    assert (patched.status_code, patched.json()["amount"], patched.json()["name"]) == (200, 5900, "Lifetime")
    make_payment(customer, course, payment_page=one_time_page)

    response = api.delete(f"/payment-pages/{one_time_page.pk}")

    assert (response.status_code, error_code(response)) == (405, "payment_page_delete_not_allowed")
    assert PaymentPage.objects.filter(pk=one_time_page.pk).exists()
    unsold = make_page(course, "one_time", name="Unsold")
    assert api.delete(f"/payment-pages/{unsold.pk}").status_code == 204


# --- Coupons -------------------------------------------------------------------------------------


def test_create_and_list_a_coupon(api, creator, one_time_page, frozen_now):
    response = api.post(
        "/coupons",
        {
            "code": "spring20",
            "percent_off": 20,
            "payment_page_ids": [str(one_time_page.pk)],
            "max_redemptions": 10,
            "expires_at": "2026-12-31T23:59:59Z",
            "duration": "forever",
        },
    )

    assert response.status_code == 201
    coupon = Coupon.objects.get()
    expected = {
        "id": str(coupon.pk),
        "code": "SPRING20",
        "percent_off": 20,
        "amount_off": None,
        "currency": None,
        "duration": "forever",
        "expires_at": "2026-12-31T23:59:59Z",
        "max_redemptions": 10,
        "times_redeemed": 0,
        "payment_page_ids": [str(one_time_page.pk)],
        "active": True,
    }
    assert response.json() == expected
    assert api.get("/coupons").json() == {"results": [expected], "next": None}


def test_a_taken_code_is_409_and_an_amount_needs_its_currency(api, creator):
    api.post("/coupons", {"code": "TEN", "amount_off": 1000, "currency": "usd"})

    taken = api.post("/coupons", {"code": "ten", "percent_off": 5})
    no_currency = api.post("/coupons", {"code": "FIVE", "amount_off": 500})

    assert (taken.status_code, error_code(taken)) == (409, "coupon_code_taken")
    assert (no_currency.status_code, error_code(no_currency)) == (422, "invalid_currency")
    assert list(Coupon.objects.values_list("code", flat=True)) == ["TEN"]


def test_a_coupon_naming_another_creators_page_is_404(api, other_creator):
    theirs = make_page(make_course(other_creator), "one_time")

    response = api.post("/coupons", {"code": "MINE", "percent_off": 5, "payment_page_ids": [str(theirs.pk)]})

    assert (response.status_code, error_code(response)) == (404, "not_found")
    assert Coupon.objects.count() == 0


def test_deactivate_a_coupon(api, creator):
    coupon_id = api.post("/coupons", {"code": "TEN", "percent_off": 10}).json()["id"]

    response = api.patch(f"/coupons/{coupon_id}", {"active": False})

    assert (response.status_code, response.json()["active"]) == (200, False)


def test_quote_a_price_with_a_code(api, creator, one_time_page):
    api.post("/coupons", {"code": "TEN", "amount_off": 1000, "currency": "usd"})

    response = api.get(f"/payment-pages/{one_time_page.pk}/quote", coupon="ten")

    assert (response.status_code, response.json()) == (
        200,
        {"amount": 3900, "discount": 1000, "currency": "usd"},
    )
    assert api.get(f"/payment-pages/{one_time_page.pk}/quote").json() == {
        "amount": 4900,
        "discount": 0,
        "currency": "usd",
    }


def test_a_quote_with_a_used_up_unknown_or_foreign_code_is_409_with_the_reason(
    api, creator, other_creator, one_time_page
):
    used = Coupon.objects.create(
        creator=creator, code="USED", percent_off=10, max_redemptions=1, times_redeemed=1
    )
    Coupon.objects.create(creator=other_creator, code="RIVAL", percent_off=10)

    answers = [
        api.get(f"/payment-pages/{one_time_page.pk}/quote", coupon=code) for code in ("USED", "NOPE", "RIVAL")
    ]

    assert [(r.status_code, error_code(r), r.json()["error"]["message"]) for r in answers] == [
        (409, "coupon_invalid", "The code USED has been used up."),
        (409, "coupon_invalid", "There is no code NOPE. Check its spelling."),
        (409, "coupon_invalid", "There is no code RIVAL. Check its spelling."),
    ]
    assert Coupon.objects.get(pk=used.pk).times_redeemed == 1


def test_another_creators_studio_objects_are_404(api, other_creator):
    theirs = make_course(other_creator, title="Rival course")
    page = make_page(theirs, "one_time")
    coupon = Coupon.objects.create(creator=other_creator, code="RIVAL", percent_off=10)
    make_customer(other_creator)

    answers = [
        api.get(f"/courses/{theirs.pk}"),
        api.patch(f"/courses/{theirs.pk}", {"title": "Mine now"}),
        api.post(f"/courses/{theirs.pk}/lessons", {"title": "Mine"}),
        api.patch(f"/lessons/{theirs.lessons.get().pk}", {"title": "Mine"}),
        api.delete(f"/lessons/{theirs.lessons.get().pk}"),
        api.get(f"/courses/{theirs.pk}/payment-pages"),
        api.patch(f"/payment-pages/{page.pk}", {"active": False}),
        api.get(f"/payment-pages/{page.pk}/quote", coupon="RIVAL"),
        api.patch(f"/coupons/{coupon.pk}", {"active": False}),
    ]

    assert {(r.status_code, error_code(r)) for r in answers} == {(404, "not_found")}
    theirs.refresh_from_db()
    page.refresh_from_db()
    coupon.refresh_from_db()
    assert (theirs.title, theirs.lessons.count(), page.active, coupon.active) == (
        "Rival course",
        1,
        True,
        True,
    )


def test_an_enrolment_says_how_far_the_student_has_come(api, customer, course, enrolment):
    Lesson.objects.create(course=course, position=2, title="Second")
    Lesson.objects.create(course=course, position=3, title="Third")
    LessonProgress.objects.create(customer=customer, lesson=course.lessons.get(position=1))

    profile = api.get(f"/customers/{customer.pk}").json()
    revoked = api.post(f"/enrolments/{enrolment.pk}/revoke").json()

    assert [row["progress_percent"] for row in profile["enrolments"]] == [33]
    assert revoked["progress_percent"] == 33


def test_a_draft_course_has_no_sales_link_yet(api, creator):
    draft = make_course(creator, title="Draft", slug="draft", published=False)

    assert api.get(f"/courses/{draft.pk}/links").json()["sales_url"] is None
