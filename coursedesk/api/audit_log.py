"""The creator's audit log as a streamed download (CSV, or JSON Lines)."""

from __future__ import annotations

import datetime as dt

from ninja import Query, Router, Schema
from pydantic import Field

from coursedesk.api.pagination import reject_unknown_parameters
from coursedesk.audit.export import audit_export_response
from coursedesk.core.errors import InvalidValue

router = Router(tags=["audit log"])


DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
AS_DATE = {"format": "date"}


class DateRange(Schema):
    # Text in the one date format, read below: a number such as 0 is not a day.
    start: str | None = Field(
        None,
        alias="from",
        pattern=DAY,
        json_schema_extra=AS_DATE,
        description="First day (YYYY-MM-DD), included.",
    )
    end: str | None = Field(
        None,
        alias="to",
        pattern=DAY,
        json_schema_extra=AS_DATE,
        description="Last day (YYYY-MM-DD), included; today if left out.",
    )


def _day(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise InvalidValue(f"{text} is not a date.", code="invalid_date") from error


def _download(request, dates: DateRange, format: str):
    reject_unknown_parameters(request, "from", "to")
    return audit_export_response(
        creator=request.auth, start=_day(dates.start), end=_day(dates.end), format=format
    )


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
