"""Lesson progress: marking and unmarking is audited once, and a course's share is rounded down."""

from __future__ import annotations

import pytest

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.catalog.models import Lesson
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import Enrolment, LessonProgress
from coursedesk.usecases.progress import Progress, course_progress, lesson_completed_set, with_progress
from tests.factories import make_course, make_customer, make_enrolment


def as_student(customer):
    return {"actor": Actor.customer(customer), "source": "student"}


@pytest.fixture
def lessons(course):
    return [
        course.lessons.get(),
        Lesson.objects.create(course=course, position=2, title="Mixing greys"),
        Lesson.objects.create(course=course, position=3, title="Skies"),
    ]


def test_marking_a_lesson_complete_counts_it_once_and_is_on_the_timeline(
    frozen_now, customer, course, lessons
):
    assert lesson_completed_set(customer=customer, lesson=lessons[1], completed=True, **as_student(customer))
    assert not lesson_completed_set(
        customer=customer, lesson=lessons[1], completed=True, **as_student(customer)
    )

    assert course_progress(customer=customer, course=course) == Progress(done=1, total=3)
    event = AuditEvent.objects.get(type="lesson.completed")
    assert (event.customer, event.data) == (
        customer,
        {"course": "Watercolor Foundations", "course_id": course.pk, "subject": "Mixing greys"},
    )


def test_unmarking_removes_it(frozen_now, customer, course, lessons):
    lesson_completed_set(customer=customer, lesson=lessons[0], completed=True, **as_student(customer))

    lesson_completed_set(customer=customer, lesson=lessons[0], completed=False, **as_student(customer))

    assert LessonProgress.objects.count() == 0
    assert AuditEvent.objects.filter(type="lesson.uncompleted").count() == 1


def test_another_creators_lesson_is_refused_and_nothing_is_marked(customer, other_creator):
    foreign = make_course(other_creator).lessons.get()

    with pytest.raises(DomainError) as refused:
        lesson_completed_set(customer=customer, lesson=foreign, completed=True, **as_student(customer))

    assert refused.value.code == "not_your_lesson"
    assert (LessonProgress.objects.count(), AuditEvent.objects.count()) == (0, 0)


@pytest.mark.parametrize(
    ("done", "total", "percent"), [(0, 0, 0), (0, 3, 0), (1, 3, 33), (2, 3, 66), (3, 3, 100)]
)
def test_the_percentage_is_rounded_down(done, total, percent):
    assert Progress(done=done, total=total).percent == percent


def test_annotated_enrolments_give_the_same_percentage_as_the_dataclass(creator, customer, course, lessons):
    other = make_customer(creator)
    make_enrolment(customer, course)
    make_enrolment(other, course)
    for lesson in lessons[:2]:
        LessonProgress.objects.create(customer=customer, lesson=lesson)

    rows = with_progress(Enrolment.objects.filter(course=course).order_by("pk"))

    assert [(row.lessons_done, row.lessons_total, row.progress_percent) for row in rows] == [
        (2, 3, 66),
        (0, 3, 0),
    ]
