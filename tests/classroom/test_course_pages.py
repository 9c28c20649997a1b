"""The course page: lessons when active; revoked, expired and not-enrolled pages that leak nothing."""

from __future__ import annotations

import datetime as dt

from coursedesk.audit.services import Actor
from coursedesk.billing.dunning import payment_policy_update
from coursedesk.catalog.links import checkout_url
from coursedesk.catalog.models import Lesson
from coursedesk.core import clock
from coursedesk.customers.models import Enrolment
from coursedesk.customers.services import enrolment_expiration_set, enrolment_restore, enrolment_revoke
from tests.billing.conftest import make_subscription
from tests.classroom.conftest import sign_in
from tests.factories import make_page

SECRET = "The secret of lesson one."


def test_active_enrolment_lists_lessons_and_opens_them(student_client, course):
    Lesson.objects.create(course=course, position=2, title="Second lesson", body_html="<p>Two.</p>")

    page = student_client.get("/c/watercolor/")
    lesson = student_client.get("/c/watercolor/lessons/1/")

    assert page.status_code == 200
    assert 'href="/c/watercolor/lessons/1/"' in page.content.decode()
    assert 'href="/c/watercolor/lessons/2/"' in page.content.decode()
    assert lesson.status_code == 200
    assert SECRET in lesson.content.decode()
    assert 'href="/c/watercolor/lessons/2/"' in lesson.content.decode()
    assert student_client.get("/c/watercolor/lessons/9/").status_code == 404


def test_pages_are_never_cached(student_client):
    for path in ("/c/watercolor/", "/c/watercolor/lessons/1/"):
        assert "no-store" in student_client.get(path)["Cache-Control"]


def test_revoked_right_after_the_creator_acts(student_client, enrolment, creator):
    assert SECRET in student_client.get("/c/watercolor/lessons/1/").content.decode()

    enrolment_revoke(enrolment=enrolment, actor=Actor.creator(creator), source="desk")

    page = student_client.get("/c/watercolor/")
    assert page.status_code == 403
    text = page.content.decode()
    assert "Your access has been revoked; if you think this is a mistake, contact" in text
    assert 'href="mailto:help@example.com"' in text
    assert "First lesson" not in text and SECRET not in text
    assert student_client.get("/c/watercolor/lessons/1/")["Location"] == "/c/watercolor/"

    enrolment.refresh_from_db()
    enrolment_restore(enrolment=enrolment, actor=Actor.creator(creator), source="desk")
    assert SECRET in student_client.get("/c/watercolor/lessons/1/").content.decode()


def test_expired_right_after_the_creator_sets_a_past_date(student_client, enrolment, creator, frozen_now):
    enrolment_expiration_set(
        enrolment=enrolment,
        expires_at=frozen_now - dt.timedelta(days=3),
        actor=Actor.creator(creator),
        source="desk",
    )

    page = student_client.get("/c/watercolor/")
    text = page.content.decode()
    assert page.status_code == 403
    assert "Your access ended on 18 Nov 2026." in text
    assert "First lesson" not in text and SECRET not in text
    assert student_client.get("/c/watercolor/lessons/1/")["Location"] == "/c/watercolor/"


def test_expired_when_the_clock_passes_the_date(student_client, enrolment, frozen_now):
    enrolment.expires_at = frozen_now + dt.timedelta(hours=1)
    enrolment.save()
    assert SECRET in student_client.get("/c/watercolor/lessons/1/").content.decode()

    clock.advance(dt.timedelta(hours=1))

    assert "Your access ended on 21 Nov 2026." in student_client.get("/c/watercolor/").content.decode()


def test_not_enrolled_student_is_offered_the_checkout_pages(client, customer, course, one_time_page):
    make_page(course, "subscription", name="Monthly", active=False)
    sign_in(client, course, customer.email)

    text = client.get("/c/watercolor/").content.decode()

    assert "not enrolled in this course" in text
    assert f'href="{checkout_url(one_time_page)}"' in text
    assert "Monthly" not in text
    assert "First lesson" not in text


def test_signed_out_visitor_gets_sign_in_and_no_lessons(client, course, one_time_page, db):
    page = client.get("/c/watercolor/")
    text = page.content.decode()

    assert page.status_code == 200
    assert 'href="/c/watercolor/login/"' in text
    assert f'href="{checkout_url(one_time_page)}"' in text
    assert "First lesson" not in text
    redirect = client.get("/c/watercolor/lessons/1/")["Location"]
    assert redirect == "/c/watercolor/login/?next=/c/watercolor/lessons/1/"


def test_a_past_due_student_keeps_the_lessons_unless_the_creator_says_otherwise(
    student_client, customer, course, creator, frozen_now
):
    page = make_page(course, "subscription", amount=1900, interval="month")
    make_subscription(customer, page, status="past_due", retries_left=2)
    assert student_client.get("/c/watercolor/lessons/1/").status_code == 200

    payment_policy_update(
        creator=creator, access_while_past_due=False, actor=Actor.creator(creator), source="desk"
    )
    held = student_client.get("/c/watercolor/")
    lesson = student_client.get("/c/watercolor/lessons/1/")

    assert held.status_code == 403
    html = held.content.decode()
    assert "Your last payment of $19.00 for this course did not go through" in html
    assert 'href="/c/watercolor/billing/"' in html
    assert SECRET not in html
    assert (lesson.status_code, lesson["Location"]) == (302, "/c/watercolor/")


def test_an_expired_student_sees_the_date_the_renewal_offer_and_the_contact_email(
    student_client, enrolment, course, frozen_now
):
    page = make_page(course, "one_time", name="Another year", amount=9900, access_days=365)
    Enrolment.objects.filter(pk=enrolment.pk).update(expires_at=frozen_now - dt.timedelta(days=3))

    response = student_client.get("/c/watercolor/")

    html = response.content.decode()
    assert response.status_code == 403
    assert "Your access ended on 18 Nov 2026." in html
    assert "Another year: $99.00 for 365 more days, starting today." in html
    assert f'href="{checkout_url(page)}"' in html
    assert f'href="mailto:{course.contact_email}"' in html
    assert SECRET not in html
