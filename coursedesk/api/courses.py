"""Courses of the signed-in creator."""

from __future__ import annotations

from ninja import Router, Schema, Status
from ninja.decorators import decorate_view
from pydantic import Field

from coursedesk.api.fields import Flag, Moment, model_text
from coursedesk.api.schemas import EnrolmentOut, ErrorOut, Id, owned
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.catalog.links import checkout_url, course_links
from coursedesk.catalog.models import Course
from coursedesk.core.replica import replica_reads
from coursedesk.customers.models import Customer
from coursedesk.customers.selectors import course_students
from coursedesk.usecases.course_access import course_access_give
from coursedesk.usecases.students_csv import students_csv_response

router = Router(tags=["courses"])


class CourseCounts(Schema):
    active: int
    revoked: int
    expired: int


class CourseOut(Schema):  # from a CourseStudents: the course's own fields, and its counts
    id: Id = Field(alias="course.pk")
    title: str = Field(alias="course.title")
    slug: str = Field(alias="course.slug")
    published: bool = Field(alias="course.published")
    counts: CourseCounts


class CourseList(Schema):
    results: list[CourseOut]
    next: str | None


@router.get("", response=CourseList, summary="The creator's courses with student counts")
@decorate_view(replica_reads())
def course_list(request):
    courses = list(Course.objects.for_creator(request.auth))
    return {"results": course_students(courses=courses), "next": None}


# --- One course: links, students CSV, access given by hand ---------------------------------------


# Schemas' docstrings would become descriptions in the OpenAPI schema, hence comments here.
class CheckoutLink(Schema):  # from a payment page
    payment_page_id: Id = Field(alias="pk")
    name: str
    url: str

    @staticmethod
    def resolve_url(page) -> str:
        return checkout_url(page)


class CourseLinks(Schema):
    login_url: str
    password_reset_url: str
    billing_url: str
    cancel_url: str
    checkout_urls: list[CheckoutLink]


class GrantIn(Schema):
    email: model_text(Customer, "email")
    first_name: model_text(Customer, "first_name") = ""
    last_name: model_text(Customer, "last_name") = ""
    expires_at: Moment | None = None
    send_welcome_email: Flag = True


def _course(request, course_id: str) -> Course:
    return owned(Course.objects.for_creator(request.auth), course_id)


@router.get("/{course_id}/links", response=CourseLinks, summary="The links to hand to students")
def course_link_list(request, course_id: str):
    course = _course(request, course_id)
    return {
        **course_links(course),
        "checkout_urls": course.payment_pages.filter(active=True).order_by("pk"),
    }


@router.get(
    "/{course_id}/students.csv",
    summary="Every student of the course as CSV (streamed)",
    openapi_extra={"responses": {200: {"description": "CSV, UTF-8 with BOM", "content": {"text/csv": {}}}}},
)
@decorate_view(replica_reads())
def course_students_csv(request, course_id: str):
    return students_csv_response(course=_course(request, course_id))


@router.post(
    "/{course_id}/enrolments",
    response={200: EnrolmentOut, 201: EnrolmentOut, 422: ErrorOut},
    summary="Give access without payment; creates the customer if new",
)
def course_enrolment_create(request, course_id: str, body: GrantIn):
    given = course_access_give(
        creator=request.auth,
        course=_course(request, course_id),
        email=body.email,
        first_name=body.first_name,
        last_name=body.last_name,
        expires_at=body.expires_at,
        send_welcome_email=body.send_welcome_email,
        actor=Actor.creator(request.auth),
        source=AuditSource.API,
    )
    # 201: access given now; 200: they already had access (nothing changed).
    return Status(201 if given.given_now else 200, given.enrolment)
