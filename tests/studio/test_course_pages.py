"""The studio's course pages, as a creator uses them: checklist, list, create, edit, publish, remove."""

from __future__ import annotations

import pytest

from coursedesk.audit.models import AuditEvent
from coursedesk.billing.gateways import gateway_account
from coursedesk.catalog.models import Course
from tests.desk.conftest import make_payment, make_refund
from tests.factories import make_course, make_customer, make_enrolment, make_page
from tests.studio.conftest import image_upload


def checklist_marks(html: str) -> dict[str, bool]:
    marks = {}
    for key in ("payments", "course", "lesson", "payment_page", "publish", "share"):
        marks[key] = f'class="step done" id="step-{key}"' in html
    return marks


def test_a_new_creator_lands_on_the_checklist_with_every_step_to_do(client, db):
    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.com", "display_name": "New", "password": "pale blue ink 42"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/studio/"
    html = response.content.decode()
    assert "Get your first course on sale" in html
    assert checklist_marks(html) == dict.fromkeys(checklist_marks(html), False)
    assert "No courses yet" in html
    assert 'href="/studio/courses/new/">Create a course</a>' in html


def test_the_signed_in_front_door_is_the_studio(creator_client):
    assert creator_client.get("/")["Location"] == "/studio/"


def test_the_checklist_follows_the_creator_and_goes_away_when_done(creator_client, creator, frozen_now):
    gateway_account(creator)
    course = make_course(creator, published=False)  # with a lesson
    page = make_page(course, "one_time")

    html = creator_client.get("/studio/").content.decode()
    assert checklist_marks(html) == {
        "payments": True,
        "course": True,
        "lesson": True,
        "payment_page": True,
        "publish": False,
        "share": False,
    }

    Course.objects.filter(pk=course.pk).update(published=True)
    html = creator_client.get("/studio/").content.decode()
    assert checklist_marks(html)["publish"] is True
    assert f'value="http://testserver/buy/{page.pk}/"' in html or f"/buy/{page.pk}/" in html

    make_enrolment(make_customer(creator), course)
    assert "Get your first course on sale" not in creator_client.get("/studio/").content.decode()


def test_the_list_shows_status_students_and_revenue_this_month(creator_client, creator, course, frozen_now):
    customer = make_customer(creator)
    make_enrolment(customer, course)
    payment = make_payment(customer, course, 4900, paid_at=frozen_now)
    make_refund(payment, 900, created_at=frozen_now)
    make_payment(customer, course, 7000, paid_at=frozen_now.replace(month=10))  # last month
    make_course(creator, title="Oils", slug="oils", published=False)

    html = creator_client.get("/studio/").content.decode()

    row = html.split(f'id="course-{course.pk}"')[1].split("</tr>")[0]
    assert '<span class="pill active">published</span>' in row
    assert '<td class="num">1</td>' in row
    assert '<td class="num">$40.00</td>' in row
    assert '<span class="pill">draft</span>' in html.split("Oils")[1].split("</tr>")[0]


def test_creating_a_course_makes_a_draft_and_opens_it(creator_client, creator, media_root):
    response = creator_client.post(
        "/studio/courses/new/",
        {
            "title": "Ink Drawing",
            "slug": "",
            "description": "Lines.",
            "contact_email": "",
            "thumbnail": image_upload(),
        },
    )

    course = Course.objects.get(creator=creator)
    assert response["Location"] == f"/studio/courses/{course.pk}/"
    assert (course.slug, course.published, course.contact_email) == ("ink-drawing", False, "maya@example.com")
    assert course.thumbnail.name.startswith("thumbnails/")
    page = creator_client.get(response["Location"]).content.decode()
    assert "Before publishing, add a lesson and an active payment page." in page


def test_a_taken_address_is_shown_on_the_field_and_nothing_is_created(creator_client, other_creator):
    make_course(other_creator, slug="ink")

    response = creator_client.post("/studio/courses/new/", {"title": "Ink", "slug": "ink"})

    assert response.status_code == 422
    assert "The address “ink” is taken by another course. Choose another one." in response.content.decode()
    assert Course.objects.filter(title="Ink").count() == 0


def test_editing_saves_the_details(creator_client, creator, course):
    response = creator_client.post(
        f"/studio/courses/{course.pk}/",
        {
            "title": "Watercolor II",
            "slug": "watercolor-2",
            "description": "More.",
            "contact_email": "a@b.example",
        },
    )

    assert response.status_code == 302
    course.refresh_from_db()
    assert (course.title, course.slug, course.description, course.contact_email) == (
        "Watercolor II",
        "watercolor-2",
        "More.",
        "a@b.example",
    )


def test_publishing_a_course_that_is_not_ready_shows_why(creator_client, creator):
    course = make_course(creator, published=False)

    response = creator_client.post(f"/studio/courses/{course.pk}/publish/", follow=True)

    assert "Before publishing, add an active payment page." in response.content.decode()
    assert Course.objects.get(pk=course.pk).published is False


def test_publish_then_unpublish(creator_client, creator):
    course = make_course(creator, published=False)
    make_page(course, "one_time")

    creator_client.post(f"/studio/courses/{course.pk}/publish/")
    assert Course.objects.get(pk=course.pk).published is True

    response = creator_client.post(f"/studio/courses/{course.pk}/unpublish/", follow=True)
    assert "no new checkouts; current students keep their access" in response.content.decode()
    assert Course.objects.get(pk=course.pk).published is False


def test_a_course_with_students_offers_archive_not_delete(creator_client, creator, course, customer):
    make_enrolment(customer, course)

    page = creator_client.get(f"/studio/courses/{course.pk}/").content.decode()
    assert "Archive</button>" in page and "Delete this draft" not in page

    creator_client.post(f"/studio/courses/{course.pk}/archive/")
    course.refresh_from_db()
    assert course.archived_at is not None and course.published is False
    home = creator_client.get("/studio/").content.decode()
    assert f'id="course-{course.pk}"' not in home
    assert "<h2>Archived</h2>" in home


def test_a_refused_delete_changes_nothing(creator_client, creator, course, customer):
    make_enrolment(customer, course)
    Course.objects.filter(pk=course.pk).update(published=False)
    before = AuditEvent.objects.count()

    response = creator_client.post(f"/studio/courses/{course.pk}/delete/", follow=True)

    assert "This course has students, so it cannot be deleted." in response.content.decode()
    assert Course.objects.filter(pk=course.pk).exists()
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("suffix", ["", "publish/", "unpublish/", "archive/", "delete/"])
def test_another_creators_course_is_not_found(creator_client, other_creator, suffix):
    theirs = make_course(other_creator, published=False)

    response = creator_client.post(f"/studio/courses/{theirs.pk}/{suffix}", {"title": "Mine now"})

    assert response.status_code == 404
    assert Course.objects.get(pk=theirs.pk).title == theirs.title
