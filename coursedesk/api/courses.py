"""Courses of the signed-in creator."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from ninja import Router, Schema, Status
from pydantic import Field

from coursedesk.api.schemas import EnrolmentOut, ErrorOut, enrolment_out, owned
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.catalog.links import checkout_url, course_links
from coursedesk.catalog.models import Course
from coursedesk.core.errors import InvalidValue
from coursedesk.customers.services import customer_get_or_create, enrolment_grant
from coursedesk.desk.students_csv import students_csv_response
from coursedesk.mail.services import welcome_email_queue

router = Router(tags=["courses"])


class CourseCounts(Schema):
    active: int
    revoked: int
    expired: int


class CourseOut(Schema):
    id: str
    title: str
    slug: str
    published: bool
    counts: CourseCounts


class CourseList(Schema):
    results: list[CourseOut]
    next: str | None


@router.get("", response=CourseList, summary="The creator's courses with student counts")
def course_list(request):
    from coursedesk.catalog.selectors import course_student_counts

    courses = list(Course.objects.for_creator(request.auth))
    counts = course_student_counts(courses=courses)
    return {
        "results": [
            {
                "id": str(course.pk),
                "title": course.title,
                "slug": course.slug,
                "published": course.published,
                "counts": counts[course.pk],
            }
            for course in courses
        ],
        "next": None,
    }


# --- One course: links, students CSV, access given by hand ---------------------------------------


class CheckoutLink(Schema):
    payment_page_id: str
    name: str
    url: str


class CourseLinks(Schema):
    login_url: str
    password_reset_url: str
    billing_url: str
    cancel_url: str
    checkout_urls: list[CheckoutLink]


class GrantIn(Schema):
    email: str
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    expires_at: dt.datetime | None = None
    send_welcome_email: bool = True


def _course(request, course_id: str) -> Course:
    return owned(Course.objects.for_creator(request.auth), course_id)


@router.get("/{course_id}/links", response=CourseLinks, summary="The links to hand to students")
def course_link_list(request, course_id: str):
    course = _course(request, course_id)
    links = course_links(course)
    return {
        "login_url": links["login_url"],
        "password_reset_url": links["password_reset_url"],
        "billing_url": links["billing_url"],
        "cancel_url": links["cancel_url"],
        "checkout_urls": [
            {"payment_page_id": str(page.pk), "name": page.name, "url": checkout_url(page)}
            for page in course.payment_pages.filter(active=True).order_by("pk")
        ],
    }


@router.get(
    "/{course_id}/students.csv",
    summary="Every student of the course as CSV (streamed)",
    openapi_extra={"responses": {200: {"description": "CSV, UTF-8 with BOM", "content": {"text/csv": {}}}}},
)
def course_students_csv(request, course_id: str):
    return students_csv_response(course=_course(request, course_id))


@router.post(
    "/{course_id}/enrolments",
    response={200: EnrolmentOut, 201: EnrolmentOut, 422: ErrorOut},
    summary="Give access without payment; creates the customer if new",
)
def course_enrolment_create(request, course_id: str, body: GrantIn):
    course = _course(request, course_id)
    if body.expires_at is not None and body.expires_at.tzinfo is None:
        raise InvalidValue(
            "expires_at needs a timezone, e.g. 2027-01-01T00:00:00Z.", code="invalid_expires_at"
        )
    actor = Actor.creator(request.auth)
    with transaction.atomic():
        customer, _ = customer_get_or_create(
            creator=request.auth,
            email=body.email,
            first_name=body.first_name,
            last_name=body.last_name,
            actor=actor,
            source=AuditSource.API,
        )
        existing = customer.enrolments.filter(course=course, revoked_at__isnull=True).exists()
        enrolment = enrolment_grant(
            customer=customer, course=course, actor=actor, source=AuditSource.API, expires_at=body.expires_at
        )
        if body.send_welcome_email and not existing:
            welcome_email_queue(customer=customer, course=course, actor=actor, source=AuditSource.API)
    enrolment.course = course
    # 200: they already had access (nothing changed); 201: access given now.
    return Status(200 if existing else 201, enrolment_out(enrolment))
