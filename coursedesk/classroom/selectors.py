"""Reads for the student pages. Access is read fresh on every request, never cached."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from coursedesk.billing.dunning import payment_policy_of
from coursedesk.billing.models import Subscription
from coursedesk.catalog.lessons import course_outline, lesson_opens_at
from coursedesk.catalog.models import Lesson, Section
from coursedesk.core import clock
from coursedesk.customers.models import Enrolment, EnrolmentStatus

NOT_ENROLLED = "not_enrolled"
# An active enrolment held back while its subscription is past due, when the creator says so.
PAST_DUE = "past_due"


@dataclass(frozen=True)
class Access:
    status: str  # active, revoked, expired, past_due or not_enrolled
    enrolment: Enrolment | None
    subscription: Subscription | None = None

    @property
    def is_active(self) -> bool:
        return self.status == EnrolmentStatus.ACTIVE


def course_access(*, customer, course) -> Access:
    """The customer's access to the course right now (revoked beats expired beats active)."""
    if customer is None or customer.creator_id != course.creator_id:
        return Access(NOT_ENROLLED, None)
    enrolment = Enrolment.objects.filter(customer=customer, course=course).first()
    if enrolment is None:
        return Access(NOT_ENROLLED, None)
    status = enrolment.status_at(clock.now())
    if status == EnrolmentStatus.ACTIVE:
        past_due = Subscription.objects.filter(
            customer=customer, course=course, status=Subscription.Status.PAST_DUE
        ).first()
        if past_due is not None and not payment_policy_of(course.creator).access_while_past_due:
            return Access(PAST_DUE, enrolment, past_due)
    return Access(status, enrolment)


def course_checkout_pages(course):
    """The course's active payment pages, for students who are not enrolled."""
    return course.payment_pages.filter(active=True).order_by("pk")


@dataclass(frozen=True)
class LessonRow:
    lesson: Lesson
    opens_at: dt.datetime | None  # when a dripped lesson opens for this student

    @property
    def is_locked(self) -> bool:
        return self.opens_at is not None and self.opens_at > clock.now()


def lesson_row(*, lesson: Lesson, enrolment: Enrolment | None) -> LessonRow:
    """The lesson as one student sees it: open, or locked until its drip date."""
    if enrolment is None:
        return LessonRow(lesson, None)
    return LessonRow(lesson, lesson_opens_at(lesson=lesson, enrolled_at=enrolment.granted_at))


def course_outline_for(
    *, course, enrolment: Enrolment | None
) -> list[tuple[Section | None, list[LessonRow]]]:
    """The course's sections and lessons for one student (or a visitor, with `enrolment` None)."""
    return [
        (section, [lesson_row(lesson=lesson, enrolment=enrolment) for lesson in lessons])
        for section, lessons in course_outline(course=course)
    ]
