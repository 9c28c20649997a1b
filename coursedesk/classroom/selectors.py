"""Reads for the student pages. Access is read fresh on every request, never cached."""

from __future__ import annotations

from dataclasses import dataclass

from coursedesk.core import clock
from coursedesk.customers.models import Enrolment, EnrolmentStatus

NOT_ENROLLED = "not_enrolled"


@dataclass(frozen=True)
class Access:
    status: str  # active, revoked, expired or not_enrolled
    enrolment: Enrolment | None

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
    return Access(enrolment.status_at(clock.now()), enrolment)


def course_checkout_pages(course):
    """The course's active payment pages, for students who are not enrolled."""
    return course.payment_pages.filter(active=True).order_by("pk")
