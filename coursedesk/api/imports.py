"""Importing students from a CSV: a dry run (rows, new and existing customers, errors by line), then
a background job polled like a bulk action."""

from __future__ import annotations

from ninja import Query, Router, Schema, Status

from coursedesk.api.bulk_actions import JobOut, JobStarted
from coursedesk.api.fields import Text
from coursedesk.api.schemas import ErrorOut, owned
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.catalog.models import Course
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import BulkAction
from coursedesk.usecases.imports import IMPORT, import_preview, import_start

router = Router(tags=["imports"])


class ImportParams(Schema):
    course_id: Text(20, pattern=r"^[0-9]{1,18}$")
    send_welcome_email: bool = False
    dry_run: bool = False


class ImportRowError(Schema):
    line: int
    message: str


class ImportPreviewOut(Schema):
    rows: int
    new_customers: int
    existing_customers: int
    errors: list[ImportRowError]


CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string", "description": "email,first_name,last_name,expires_at"}}
        },
    }
}


@router.post(
    "/imports",
    response={200: ImportPreviewOut, 202: JobStarted, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Import students from a CSV body into a course (dry_run: the preview)",
    openapi_extra=CSV_BODY,
)
def import_create(request, params: Query[ImportParams]):
    course = owned(Course.objects.for_creator(request.auth), params.course_id)
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DomainError("The CSV must be UTF-8 text.", code="invalid_csv", status=422) from error
    preview = import_preview(creator=request.auth, text=text)
    if params.dry_run:
        return {
            "rows": preview.total,
            "new_customers": preview.new_customers,
            "existing_customers": preview.existing_customers,
            "errors": preview.errors,
        }
    job = import_start(
        creator=request.auth,
        course=course,
        preview=preview,
        send_welcome_email=params.send_welcome_email,
        actor=Actor.creator(request.auth),
        source=AuditSource.API,
    )
    return Status(202, {"id": str(job.pk), "status": job.status, "total": job.total})


@router.get("/imports/{import_id}", response=JobOut, summary="An import's progress")
def import_detail(request, import_id: str):
    return owned(BulkAction.objects.for_creator(request.auth).filter(action=IMPORT), import_id)
