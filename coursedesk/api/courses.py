"""Courses of the signed-in creator."""

from __future__ import annotations

from typing import Literal

from ninja import Router, Schema, Status
from ninja.decorators import decorate_view
from pydantic import Field

from coursedesk.api.fields import Flag, Moment, Number, Text, model_text
from coursedesk.api.pagination import reject_unknown_parameters
from coursedesk.api.schemas import (
    CourseDetailOut,
    EnrolmentOut,
    ErrorOut,
    Id,
    LessonOut,
    PaymentPageList,
    PaymentPageOut,
    owned,
)
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.catalog.lessons import BODY_MAX, lesson_create
from coursedesk.catalog.links import checkout_url, course_links, sales_url
from coursedesk.catalog.models import Course, Lesson, PaymentPage
from coursedesk.catalog.payment_pages import payment_page_create
from coursedesk.catalog.services import DESCRIPTION_MAX, SLUG_MAX, course_create, course_edit
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


SOURCE = AuditSource.API


# What the catalog accepts, stated in the schema: a title with something besides spaces, an address of
# lower-case letters, digits and single hyphens, and a plain email address (the service checks again
# and says what is wrong with a sentence).
_CHAR = r"[^\x00-\x1f\x7f-\x9f\u2028\u2029]"
TITLE_PATTERN = rf"^{_CHAR}*[^\s\x00-\x1f\x7f-\x9f\u2028\u2029]{_CHAR}*$"
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = rf"^[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*@({_LABEL}\.)+[A-Za-z]{{2,63}}$"
EMAIL_MAX = Course._meta.get_field("contact_email").max_length


class CourseIn(Schema):
    title: model_text(Course, "title", pattern=TITLE_PATTERN)
    slug: Text(SLUG_MAX, pattern=f"^$|{SLUG_PATTERN}") = ""
    description: Text(DESCRIPTION_MAX, multiline=True) = ""
    contact_email: Text(EMAIL_MAX, pattern=f"^$|{EMAIL_PATTERN}") = ""


class CoursePatch(Schema):
    title: model_text(Course, "title", pattern=TITLE_PATTERN) | None = None
    slug: Text(SLUG_MAX, pattern=SLUG_PATTERN) | None = None
    description: Text(DESCRIPTION_MAX, multiline=True) | None = None
    contact_email: Text(EMAIL_MAX, pattern=EMAIL_PATTERN) | None = None
    published: Flag | None = None


class LessonIn(Schema):
    title: model_text(Lesson, "title")
    body_markdown: Text(BODY_MAX, multiline=True) = ""
    video_url: model_text(Lesson, "video_url") = ""
    section: Id | None = None
    position: Number | None = None
    available_after_days: Number | None = None
    free_preview: Flag = False


class PaymentPageIn(Schema):
    name: model_text(PaymentPage, "name")
    kind: Literal["one_time", "subscription", "payment_plan", "free"]
    amount: Number | None = None
    currency: Text(3) = "usd"
    interval: Literal["month", "year"] | None = None
    installments: Number | None = None
    access_days: Number | None = None
    trial_days: Number | None = None


@router.post(
    "",
    response={201: CourseDetailOut, 409: ErrorOut, 422: ErrorOut},
    summary="Create a draft course; its slug is made from the title when not given",
)
def course_create_route(request, body: CourseIn):
    course = course_create(
        creator=request.auth,
        title=body.title,
        slug=body.slug,
        description=body.description,
        contact_email=body.contact_email,
        actor=Actor.creator(request.auth),
        source=SOURCE,
    )
    return Status(201, course)


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
    sales_url: str | None  # null while the course is not on sale (draft or archived)
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


@router.get("/{course_id}", response=CourseDetailOut, summary="A course with its sections and lessons")
def course_detail(request, course_id: str):
    return _course(request, course_id)


@router.patch(
    "/{course_id}",
    response={200: CourseDetailOut, 409: ErrorOut, 422: ErrorOut},
    summary="Change a course's details, publish or unpublish it",
)
def course_patch(request, course_id: str, changes: CoursePatch):
    return course_edit(
        course=_course(request, course_id),
        actor=Actor.creator(request.auth),
        source=SOURCE,
        **changes.model_dump(exclude_unset=True, exclude_none=True),
    )


@router.post(
    "/{course_id}/lessons",
    response={201: LessonOut, 422: ErrorOut},
    summary="Add a lesson, last in its section unless a position is given",
)
def course_lesson_create(request, course_id: str, body: LessonIn):
    lesson = lesson_create(
        course=_course(request, course_id),
        title=body.title,
        body_markdown=body.body_markdown,
        video_url=body.video_url,
        section_id=body.section,
        position=body.position,
        available_after_days=body.available_after_days,
        free_preview=body.free_preview,
        actor=Actor.creator(request.auth),
        source=SOURCE,
    )
    return Status(201, lesson)


@router.get("/{course_id}/payment-pages", response=PaymentPageList, summary="The course's payment pages")
def course_payment_page_list(request, course_id: str):
    reject_unknown_parameters(request)
    course = _course(request, course_id)
    return {"results": list(course.payment_pages.order_by("pk")), "next": None}


@router.post(
    "/{course_id}/payment-pages",
    response={201: PaymentPageOut, 422: ErrorOut},
    summary="Add a payment page: one-time, subscription, payment plan or free",
)
def course_payment_page_create(request, course_id: str, body: PaymentPageIn):
    page = payment_page_create(
        course=_course(request, course_id),
        name=body.name,
        kind=body.kind,
        amount=body.amount,
        currency=body.currency,
        interval=body.interval or "",
        installments=body.installments,
        access_days=body.access_days,
        trial_days=body.trial_days,
        actor=Actor.creator(request.auth),
        source=SOURCE,
    )
    return Status(201, page)


@router.get("/{course_id}/links", response=CourseLinks, summary="The links to hand to students")
def course_link_list(request, course_id: str):
    course = _course(request, course_id)
    on_sale = course.published and course.archived_at is None
    return {
        **course_links(course),
        "sales_url": sales_url(course) if on_sale else None,
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
