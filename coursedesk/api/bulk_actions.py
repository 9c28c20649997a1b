"""Bulk actions: a dry run (how many, and what happens to three of them), then a background job
that reports its progress."""

from __future__ import annotations

from ninja import Router, Schema, Status
from pydantic import Field

from coursedesk.api.fields import Moment, Text, model_text
from coursedesk.api.schemas import ErrorOut, Id, owned
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.catalog.models import Course
from coursedesk.customers.models import BulkAction, Tag
from coursedesk.usecases.bulk import (
    MAX_CUSTOMERS,
    BulkKind,
    Segment,
    bulk_action_start,
    bulk_dry_run,
    bulk_request,
    selection_ids,
)

router = Router(tags=["bulk actions"])


class BulkParams(Schema):
    expires_at: Moment | None = Field(None, description="set_expiration (null removes it), grant (optional)")
    tag: model_text(Tag, "name") = ""
    send_welcome_email: bool = False


class BulkIn(Schema):
    action: BulkKind
    course_id: Text(20, pattern=r"^[0-9]{1,18}$") | None = None
    customer_ids: list[Text(20, pattern=r"^[0-9]{1,18}$")] | None = Field(None, max_length=MAX_CUSTOMERS)
    segment: Segment | None = None
    params: BulkParams = Field(default_factory=BulkParams)
    dry_run: bool = False


class DryRunOut(Schema):
    total: int
    sample: list[str]


class JobStarted(Schema):
    id: Id
    status: str
    total: int


class JobError(Schema):
    customer_id: str
    code: str
    message: str


class JobOut(Schema):
    id: Id
    action: str
    status: str
    total: int
    done: int
    failed: int
    errors: list[JobError]


@router.post(
    "/bulk-actions",
    response={200: DryRunOut, 202: JobStarted, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Apply one action to many customers (dry_run: count and three consequences)",
)
def bulk_action_create(request, body: BulkIn):
    course = owned(Course.objects.for_creator(request.auth), body.course_id) if body.course_id else None
    checked = bulk_request(
        kind=body.action,
        course=course,
        expires_at=body.params.expires_at,
        tag=body.params.tag,
        send_welcome_email=body.params.send_welcome_email,
    )
    ids = selection_ids(
        creator=request.auth,
        customer_ids=body.customer_ids,
        segment=body.segment.value if body.segment is not None else None,
    )
    if body.dry_run:
        return bulk_dry_run(creator=request.auth, request=checked, ids=ids)
    job = bulk_action_start(
        creator=request.auth,
        request=checked,
        ids=ids,
        actor=Actor.creator(request.auth),
        source=AuditSource.API,
    )
    return Status(202, {"id": str(job.pk), "status": job.status, "total": job.total})


@router.get("/bulk-actions/{bulk_action_id}", response=JobOut, summary="A bulk action's progress")
def bulk_action_detail(request, bulk_action_id: str):
    return owned(BulkAction.objects.for_creator(request.auth), bulk_action_id)
