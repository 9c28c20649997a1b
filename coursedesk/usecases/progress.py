"""Lesson progress: a student marks lessons complete; a course's progress is the share of its
lessons marked, shown to the student (progress bar), on the creator's profile page and in the CSV."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from coursedesk.audit.services import Actor, audit_record
from coursedesk.audit.types import AuditEventType
from coursedesk.catalog.models import Lesson
from coursedesk.core import clock
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import Customer, LessonProgress


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        """Whole percent, rounded down: 2 of 3 lessons is 66."""
        return self.done * 100 // self.total if self.total else 0


def lesson_completed_set(
    *, customer: Customer, lesson: Lesson, completed: bool, actor: Actor, source: str
) -> bool:
    """Marks the lesson complete for the student, or not; True when that changed anything. The
    caller has checked that the student may open the lesson now."""
    if customer.creator_id != lesson.course.creator_id:
        raise DomainError("This lesson is not part of your courses.", code="not_your_lesson", status=404)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        mark = LessonProgress.objects.filter(customer=customer, lesson=lesson)
        if completed == mark.exists():
            return False
        if completed:
            LessonProgress.objects.create(customer=customer, lesson=lesson, completed_at=clock.now())
        else:
            mark.delete()
        audit_record(
            creator=lesson.course.creator,
            customer=customer,
            type=AuditEventType.LESSON_COMPLETED if completed else AuditEventType.LESSON_UNCOMPLETED,
            actor=actor,
            source=source,
            subject=lesson,
            data={"course": lesson.course.title, "course_id": lesson.course_id, "subject": lesson.title},
        )
    return True


def completed_lesson_ids(*, customer: Customer | None, course) -> set[int]:
    if customer is None:
        return set()
    return set(
        LessonProgress.objects.filter(customer=customer, lesson__course=course).values_list(
            "lesson_id", flat=True
        )
    )


def course_progress(*, customer: Customer | None, course) -> Progress:
    total = Lesson.objects.filter(course=course).count()
    return Progress(done=len(completed_lesson_ids(customer=customer, course=course)), total=total)


def _count(rows) -> Coalesce:
    counted = rows.order_by().values("course_id" if rows.model is Lesson else "customer_id")
    counted = counted.annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_progress(enrolments):
    """Enrolments annotated with `lessons_done`, `lessons_total` and `progress_percent` (whole
    percent, rounded down, as `Progress.percent`) of their course, in the same query."""
    return enrolments.annotate(
        lessons_done=_count(
            LessonProgress.objects.filter(
                customer=OuterRef("customer_id"), lesson__course=OuterRef("course_id")
            )
        ),
        lessons_total=_count(Lesson.objects.filter(course=OuterRef("course_id"))),
    ).annotate(
        progress_percent=Case(
            When(lessons_total=0, then=Value(0)),
            default=ExpressionWrapper(
                F("lessons_done") * 100 / F("lessons_total"), output_field=IntegerField()
            ),
            output_field=IntegerField(),
        )
    )
