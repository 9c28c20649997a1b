"""The creator's audit log as a streamed download (CSV, or JSON Lines)."""

from __future__ import annotations

import datetime as dt

from ninja import Query, Router, Schema
from pydantic import Field

from coursedesk.api.pagination import reject_unknown_parameters
from coursedesk.audit.export import audit_export_response

router = Router(tags=["audit log"])


class DateRange(Schema):
    start: dt.date | None = Field(None, alias="from", description="First day (YYYY-MM-DD), included.")
    end: dt.date | None = Field(
        None, alias="to", description="Last day (YYYY-MM-DD), included; today if left out."
    )


def _download(request, dates: DateRange, format: str):
    reject_unknown_parameters(request, "from", "to")
    return audit_export_response(creator=request.auth, start=dates.start, end=dates.end, format=format)


@router.get(
    "/audit-log.csv",
    summary="The audit log for a date range as CSV (streamed)",
    openapi_extra={"responses": {200: {"description": "CSV, UTF-8 with BOM", "content": {"text/csv": {}}}}},
)
def audit_log_csv(request, dates: Query[DateRange]):
    return _download(request, dates, "csv")


@router.get(
    "/audit-log.jsonl",
    summary="The audit log for a date range as JSON Lines (streamed)",
    openapi_extra={
        "responses": {200: {"description": "One JSON object a line", "content": {"application/jsonl": {}}}}
    },
)
def audit_log_jsonl(request, dates: Query[DateRange]):
    return _download(request, dates, "jsonl")
