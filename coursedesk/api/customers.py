"""Customers: search, profile, edit, timeline, welcome email and password reset. Never delete."""

from __future__ import annotations

from typing import Any

from ninja import Query, Router, Schema, Status
from ninja.decorators import decorate_view
from pydantic import Field

from coursedesk.api.fields import Text, model_text
from coursedesk.api.pagination import PageParams, paginated, reject_unknown_parameters
from coursedesk.api.renderers import json_response
from coursedesk.api.schemas import (
    CustomerList,
    CustomerOut,
    CustomerProfileOut,
    ErrorOut,
    EventList,
    NoteList,
    NoteOut,
    owned,
)
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.catalog.models import Course
from coursedesk.core.errors import DomainError
from coursedesk.core.pagination import keyset_page
from coursedesk.core.replica import replica_reads
from coursedesk.customers import services
from coursedesk.customers.models import Customer, CustomerNote, Tag
from coursedesk.customers.selectors import (
    SEARCH_COLUMNS,
    customer_notes,
    customer_search_page,
    customer_timeline,
)
from coursedesk.mail.services import welcome_email_queue
from coursedesk.usecases.customer_list import CustomerFilters, Segment, customers_in
from coursedesk.usecases.merge import customers_merge
from coursedesk.usecases.password_reset import password_reset_send
from coursedesk.usecases.personal_data import customer_personal_data
from coursedesk.usecases.profile import customer_lists

router = Router(tags=["customers"])
SOURCE = AuditSource.API


class CustomerPatch(Schema):
    first_name: model_text(Customer, "first_name") | None = None
    last_name: model_text(Customer, "last_name") | None = None
    email: model_text(Customer, "email") | None = None
    # The password is hashed, never stored as given; 128 characters is plenty for a passphrase.
    password: Text(128) | None = None


class CourseChoice(Schema):
    course_id: Text(20, pattern=r"^[0-9]{1,18}$")


class EmailQueued(Schema):
    email_id: str


class NoteIn(Schema):
    body: Text(CustomerNote.MAX_LENGTH, multiline=True)


class MergeIn(Schema):
    duplicate_id: Text(20, pattern=r"^[0-9]{1,18}$")


class TagsIn(Schema):
    tags: list[model_text(Tag, "name")] = Field(max_length=services.MAX_TAGS)


def _customer(request, customer_id: str) -> Customer:
    return owned(Customer.objects.for_creator(request.auth), customer_id)


def _course(request, course_id: str) -> Course:
    return owned(Course.objects.for_creator(request.auth), course_id)


@router.get(
    "",
    response={200: CustomerList, 422: ErrorOut},
    summary="Search customers (no q: newest first), by segment, course and tag",
)
@decorate_view(replica_reads())
def customer_list(
    request,
    page: Query[PageParams],
    q: Text(200) = "",
    segment: Segment = Segment.ALL,
    course_id: Text(20, pattern=r"^[0-9]{1,18}$") | None = None,
    tag: model_text(Tag, "name") = "",
):
    reject_unknown_parameters(request, "q", "segment", "course_id", "tag")
    chosen = Segment(segment)
    course = _course(request, course_id) if course_id else None
    if chosen == Segment.ALL and course is None and not tag.strip():
        page_of = customer_search_page(creator=request.auth, query=q, cursor=page.cursor, limit=page.limit)
    else:
        filters = CustomerFilters(query=q, course=course, tag=tag.strip())
        customers = customers_in(creator=request.auth, segment=chosen, filters=filters)
        page_of = keyset_page(
            customers.values(*SEARCH_COLUMNS), time_field="created_at", cursor=page.cursor, limit=page.limit
        )
    # The rows are read as plain values and written in CustomerOut's shape here (a test holds the
    # two equal): validating 50 rows through the schema cost more than the search itself.
    body = {"results": [customer_list_item(row) for row in page_of.items], "next": page_of.next_cursor}
    return json_response(body)


def customer_list_item(row: dict) -> dict:
    """A row of SEARCH_COLUMNS (a customer's columns, without the rest of the row: its password
    hash, search text) in CustomerOut's shape."""
    return {
        "id": str(row["id"]),
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "email": row["email"],
        "created_at": row["created_at"],
        "last_login_at": row["last_login_at"],
        "tags": row["tag_names"],
    }


@router.get("/{customer_id}", response=CustomerProfileOut, summary="A customer's profile")
def customer_detail(request, customer_id: str):
    customer = _customer(request, customer_id)
    # The contract has the customer's own fields beside the profile's lists (not its timeline, notes
    # or header, which the API has routes of its own for or does not show).
    return {**CustomerOut.from_orm(customer).model_dump(), **customer_lists(customer=customer)}


@router.patch(
    "/{customer_id}",
    response={200: CustomerOut, 409: ErrorOut, 422: ErrorOut},
    summary="Change name, email or password",
)
def customer_patch(request, customer_id: str, changes: CustomerPatch):
    customer = _customer(request, customer_id)
    customer = services.customer_update(
        customer=customer,
        actor=Actor.creator(request.auth),
        source=SOURCE,
        **changes.model_dump(exclude_unset=True),
    )
    return customer


@router.delete("/{customer_id}", response={405: ErrorOut}, summary="Never allowed")
def customer_delete(request, customer_id: str):
    _customer(request, customer_id)
    raise DomainError(
        "Customers cannot be deleted: their payments and history must stay. Revoke their access "
        "instead; the operator can erase personal data on request.",
        code="customer_delete_not_allowed",
        status=405,
    )


@router.get("/{customer_id}/timeline", response=EventList, summary="The customer's audit events")
def customer_timeline_list(request, customer_id: str, page: Query[PageParams]):
    reject_unknown_parameters(request)
    customer = _customer(request, customer_id)
    return paginated(customer_timeline(customer=customer), params=page, time_field="occurred_at")


@router.post(
    "/{customer_id}/welcome-email",
    response={202: EmailQueued, 409: ErrorOut},
    summary="Resend a course's welcome email",
)
def customer_welcome_email(request, customer_id: str, body: CourseChoice):
    customer = _customer(request, customer_id)
    course = _course(request, body.course_id)
    email = welcome_email_queue(
        customer=customer, course=course, actor=Actor.creator(request.auth), source=SOURCE
    )
    return Status(202, {"email_id": str(email.pk)})


@router.post(
    "/{customer_id}/password-reset",
    response={202: EmailQueued, 409: ErrorOut},
    summary="Send the 24-hour password reset link",
)
def customer_password_reset(request, customer_id: str, body: CourseChoice):
    customer = _customer(request, customer_id)
    course = _course(request, body.course_id)
    email = password_reset_send(
        customer=customer, course=course, actor=Actor.creator(request.auth), source=SOURCE
    )
    return Status(202, {"email_id": str(email.pk)})


@router.get("/{customer_id}/notes", response=NoteList, summary="The customer's notes, newest first")
def customer_note_list(request, customer_id: str, page: Query[PageParams]):
    reject_unknown_parameters(request)
    customer = _customer(request, customer_id)
    return paginated(customer_notes(customer=customer), params=page, time_field="created_at")


@router.post(
    "/{customer_id}/notes",
    response={201: NoteOut, 422: ErrorOut},
    summary="Add a note, signed by the token's account and dated now",
)
def customer_note_add(request, customer_id: str, body: NoteIn):
    customer = _customer(request, customer_id)
    note = services.note_add(
        customer=customer, body=body.body, actor=Actor.creator(request.auth), source=SOURCE
    )
    return Status(201, note)


@router.put(
    "/{customer_id}/tags",
    response={200: CustomerOut, 422: ErrorOut},
    summary="Set the customer's tags (the list replaces the current one)",
)
def customer_tags_put(request, customer_id: str, body: TagsIn):
    customer = _customer(request, customer_id)
    return services.customer_tags_set(
        customer=customer, tags=body.tags, actor=Actor.creator(request.auth), source=SOURCE
    )


@router.post(
    "/{customer_id}/merge",
    response={200: CustomerOut, 409: ErrorOut},
    summary="Merge a duplicate into this customer (409 merge_conflict with the reason)",
)
def customer_merge(request, customer_id: str, body: MergeIn):
    survivor = _customer(request, customer_id)
    duplicate = _customer(request, body.duplicate_id)
    return customers_merge(
        survivor=survivor, duplicate=duplicate, actor=Actor.creator(request.auth), source=SOURCE
    )


@router.get(
    "/{customer_id}/export",
    response=dict[str, Any],
    summary="All personal data of the customer as one JSON document (right of access and portability)",
)
def customer_export(request, customer_id: str):
    reject_unknown_parameters(request)
    return customer_personal_data(customer=_customer(request, customer_id))
