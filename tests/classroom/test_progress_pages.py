"""The student's side: mark a lesson complete, the progress bar, and "My courses"."""

from __future__ import annotations

import datetime as dt

from coursedesk.audit.services import Actor
from coursedesk.catalog.models import Lesson
from coursedesk.customers.models import LessonProgress
from coursedesk.customers.services import enrolment_revoke
from tests.factories import make_course, make_enrolment


def test_marking_complete_moves_the_progress_bar(student_client, customer, course, frozen_now):
    Lesson.objects.create(course=course, position=2, title="Second lesson", body_html="<p>Two.</p>")

    lesson = student_client.get("/c/watercolor/lessons/1/").content.decode()
    assert 'action="/c/watercolor/lessons/1/complete/"' in lesson and "Mark complete" in lesson
    response = student_client.post("/c/watercolor/lessons/1/complete/", {"completed": "1"})

    assert (response.status_code, response["Location"]) == (302, "/c/watercolor/lessons/1/")
    assert list(LessonProgress.objects.values_list("customer", "lesson__position")) == [(customer.pk, 1)]
    assert "Mark as not complete" in student_client.get("/c/watercolor/lessons/1/").content.decode()
    page = student_client.get("/c/watercolor/").content.decode()
    assert '<progress max="100" value="50"' in page
    assert "50% complete: 1 of 2 lessons." in page
    assert "✓ Complete" in page

    student_client.post("/c/watercolor/lessons/1/complete/", {"completed": "0"})
    assert LessonProgress.objects.count() == 0


def test_a_locked_lesson_cannot_be_marked(student_client, course, frozen_now):
    Lesson.objects.create(
        course=course, position=2, title="Later", available_after_days=7, body_html="<p>x</p>"
    )

    response = student_client.post("/c/watercolor/lessons/2/complete/", {"completed": "1"})

    assert response.status_code == 404
    assert LessonProgress.objects.count() == 0


def test_a_visitor_or_a_revoked_student_cannot_mark(
    client, student_client, customer, creator, enrolment, course
):
    enrolment_revoke(enrolment=enrolment, actor=Actor.creator(creator), source="desk")

    assert student_client.post("/c/watercolor/lessons/1/complete/", {"completed": "1"}).status_code == 404
    assert LessonProgress.objects.count() == 0


def test_my_courses_lists_every_open_course_of_that_creator_with_progress(
    student_client, customer, creator, other_creator, course, frozen_now
):
    second = make_course(creator, title="Ink Basics", slug="ink")
    make_enrolment(customer, second)
    ended = make_course(creator, title="Old Course", slug="old")
    make_enrolment(customer, ended, expires_at=frozen_now - dt.timedelta(days=1))
    make_course(creator, title="Not Bought", slug="not-bought")
    LessonProgress.objects.create(customer=customer, lesson=second.lessons.get())

    html = student_client.get("/c/watercolor/my-courses/").content.decode()

    assert (
        'href="/c/ink/">Ink Basics</a>' in html and 'href="/c/watercolor/">Watercolor Foundations</a>' in html
    )
    assert "100% complete: 1 of 1 lesson." in html and "0% complete: 0 of 1 lesson." in html
    assert "Old Course" not in html and "Not Bought" not in html
    assert (
        'href="/c/watercolor/my-courses/">My courses</a>'
        in student_client.get("/c/watercolor/").content.decode()
    )
