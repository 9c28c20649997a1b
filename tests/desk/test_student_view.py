"""View as student: the creator sees a course as one student sees it, read only, on the timeline."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse

from coursedesk.audit.models import AuditEvent
from coursedesk.core import clock
from tests.desk.conftest import snapshot
from tests.factories import make_customer, make_enrolment


def view_as(client, customer, course):
    return client.post(reverse("desk:student_view", args=[customer.pk, course.pk]))


def test_viewing_as_a_student_shows_their_course_behind_a_banner_and_writes_the_timeline(
    creator_client, creator, customer, course, enrolment
):
    # when the creator views the course as Zoë
    response = view_as(creator_client, customer, course)

    # then they land on the course as Zoë sees it, with the read-only banner
    assert response.status_code == 302
    assert response["Location"] == f"/c/{course.slug}/"
    page = creator_client.get(f"/c/{course.slug}/").content.decode()
    assert (
        "You are viewing <strong>Watercolor Foundations</strong> as <strong>Zoë (zoe@example.com)</strong>"
        in page
    )
    assert "<h1>Watercolor Foundations</h1>" in page
    assert "Stop viewing" in page
    # and the customer's timeline says who looked, and at what
    event = AuditEvent.objects.get(type="customer.viewed_as_student")
    assert (event.customer, event.actor_creator, event.source) == (customer, creator, "desk")
    assert event.data == {"course": "Watercolor Foundations", "course_id": course.pk}


def test_a_revoked_student_is_seen_with_the_revoked_page(
    creator_client, customer, course, enrolment, frozen_now
):
    enrolment.revoked_at = frozen_now
    enrolment.save(update_fields=["revoked_at"])

    view_as(creator_client, customer, course)
    response = creator_client.get(f"/c/{course.slug}/")

    assert response.status_code == 403  # what the student gets
    assert "revoked" in response.content.decode().lower()
    assert "You are viewing" in response.content.decode()


def test_nothing_can_be_changed_or_sent_while_viewing(creator_client, customer, course, subscription):
    view_as(creator_client, customer, course)
    before = snapshot()

    # every student action is refused: cancelling, signing out, asking for a reset link
    for url, data in [
        (f"/c/{course.slug}/cancel/", {"confirm": "yes"}),
        (f"/c/{course.slug}/logout/", {}),
        (f"/c/{course.slug}/password-reset/", {"email": customer.email}),
        (f"/c/{course.slug}/login/", {"email": customer.email, "password": "x"}),
    ]:
        response = creator_client.post(url, data)
        assert response.status_code == 403, url
        assert "This view is read only" in response.content.decode()

    assert snapshot() == before


def test_stopping_goes_back_to_the_profile_and_the_pages_are_no_longer_the_students(
    creator_client, customer, course, enrolment
):
    view_as(creator_client, customer, course)

    response = creator_client.post(f"/c/{course.slug}/view-as/stop/")

    assert response["Location"] == f"/desk/customers/{customer.pk}/"
    page = creator_client.get(f"/c/{course.slug}/").content.decode()
    assert "You are viewing" not in page and "Sign in" in page


def test_a_viewing_ends_by_itself_after_thirty_minutes(
    creator_client, customer, course, enrolment, frozen_now
):
    view_as(creator_client, customer, course)

    clock.set_now(frozen_now + dt.timedelta(minutes=30, seconds=1))

    assert "You are viewing" not in creator_client.get(f"/c/{course.slug}/").content.decode()


def test_another_creators_customer_or_course_cannot_be_viewed(
    creator_client, other_creator, customer, course, enrolment
):
    from tests.factories import make_course

    foreign_customer = make_customer(other_creator, email="lee@example.com")
    foreign_course = make_course(other_creator, slug="rival")
    make_enrolment(foreign_customer, foreign_course)

    assert view_as(creator_client, foreign_customer, foreign_course).status_code == 404
    assert view_as(creator_client, customer, foreign_course).status_code == 404
    assert not AuditEvent.objects.filter(type="customer.viewed_as_student").exists()
    # and a viewing of one's own student does not show at another creator's course
    view_as(creator_client, customer, course)
    assert "You are viewing" not in creator_client.get("/c/rival/").content.decode()


def test_viewing_needs_a_post_and_a_signed_in_creator(creator_client, customer, course, enrolment):
    assert creator_client.get(reverse("desk:student_view", args=[customer.pk, course.pk])).status_code == 405
    response = Client().post(reverse("desk:student_view", args=[customer.pk, course.pk]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_profile_offers_it_for_each_course(creator_client, customer, course, enrolment):
    page = creator_client.get(f"/desk/customers/{customer.pk}/").content.decode()

    assert f'action="/desk/customers/{customer.pk}/view-as/{course.pk}/"' in page
