"""Reads for the student pages. Access is read fresh on every request, never cached."""

from __future__ import annotations

from dataclasses import dataclass

from coursedesk.billing.dunning import payment_policy_of
from coursedesk.billing.models import Subscription
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
