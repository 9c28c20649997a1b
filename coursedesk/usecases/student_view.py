"""View as student: a creator (or a team member) sees a course exactly as one student sees it —
locked lessons, an expired or revoked page — read only, behind a banner, and on the timeline.

The desk starts it (`student_view_begin`, audited) and writes the viewing to the creator's own
session; the student pages read it back (`student_view_of`) in place of a signed-in student. Nothing
can be changed while viewing: the student pages refuse every request that is not a read (see
classroom/auth.py), so nothing is written and nothing is sent. The student's own session is never
touched. A viewing ends when stopped, when the creator signs out, or after VIEW_FOR.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from coursedesk.audit.services import Actor, audit_record
from coursedesk.audit.types import AuditEventType, AuditSource
from coursedesk.catalog.models import Course
from coursedesk.core import clock
from coursedesk.customers.models import Customer

SESSION_KEY = "student_view"
VIEW_FOR = dt.timedelta(minutes=30)


@transaction.atomic
def student_view_begin(*, session, user, customer: Customer, course: Course, actor: Actor) -> None:
    """Records on the customer's timeline that `course` was viewed as they see it, and lets the
    signed-in `user` view the student pages of that creator as `customer` for VIEW_FOR."""
    audit_record(
        creator=customer.creator,
        customer=customer,
        type=AuditEventType.CUSTOMER_VIEWED_AS_STUDENT,
        actor=actor,
        source=AuditSource.DESK,
        subject=customer,
        data={"course": course.title, "course_id": course.pk},
    )
    session[SESSION_KEY] = {
        "user_id": user.pk,
        "creator_id": customer.creator_id,
        "customer_id": customer.pk,
        "course_id": course.pk,
        "until": clock.iso(clock.now() + VIEW_FOR),
    }


def student_view_entry(session, user) -> dict | None:
    """The running viewing of this signed-in user, or None (none, another user's, or over)."""
    entry = session.get(SESSION_KEY) if session is not None else None
    if not entry or user is None or not user.is_authenticated or entry.get("user_id") != user.pk:
        return None
    if dt.datetime.fromisoformat(entry["until"]) <= clock.now():
        return None
    return entry


def student_view_of(session, user, course: Course) -> Customer | None:
    """The student whose view the signed-in user is looking through on `course`'s creator's pages."""
    entry = student_view_entry(session, user)
    if entry is None or entry["creator_id"] != course.creator_id:
        return None
    return Customer.objects.filter(pk=entry["customer_id"], creator_id=course.creator_id).first()


def student_view_end(session) -> dict | None:
    """Stops the viewing; returns what was being viewed (to go back to that customer)."""
    return session.pop(SESSION_KEY, None)
