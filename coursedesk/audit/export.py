"""The creator's audit log as a download: CSV or JSON Lines, streamed in constant memory and safe to
open in a spreadsheet (every text cell goes through `neutralise`, in both formats)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from types import SimpleNamespace

from django.http import StreamingHttpResponse

from coursedesk.audit.describe import event_sentence
from coursedesk.audit.models import AuditEvent
from coursedesk.core import clock
from coursedesk.core.errors import DomainError, InvalidValue
from coursedesk.core.spreadsheet import neutralise, neutralise_all

FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}
HEADER = [
    "ID",
    "Occurred at (UTC)",
    "Type",
    "What happened",
    "Actor kind",
    "Actor",
    "Source",
    "Customer ID",
    "Customer email",
    "Subject type",
    "Subject ID",
    "Data",
]
COLUMNS = (
    "pk",
    "occurred_at",
    "type",
    "actor_kind",
    "actor_label",
    "source",
    "customer_id",
    "customer__email",
    "subject_type",
    "subject_id",
    "data",
)
CHUNK = 2000
EARLIEST = dt.date(1970, 1, 1)
LATEST = dt.date(2200, 12, 31)


def audit_export_range(*, start: dt.date | None, end: dt.date | None) -> tuple[dt.datetime, dt.datetime]:
    """The moments a date range covers: from the start of `start` to the end of `end` (both days
    included, in the site's time zone). No start: from the first event; no end: through today.
    Days before 1970 or after 2200 hold no events, so the range is cut to those years."""
    start = min(max(start or EARLIEST, EARLIEST), LATEST)
    end = min(max(end or clock.today(), EARLIEST), LATEST)
    if start > end:
        raise DomainError("The start date comes after the end date.", code="invalid_date_range")
    return clock.start_of_day(start), clock.start_of_day(end + dt.timedelta(days=1))


def audit_export_rows(*, creator, start: dt.datetime, end: dt.datetime):
    """The creator's events in [start, end), oldest first, as tuples of COLUMNS, read in chunks (a
    server-side cursor on PostgreSQL)."""
    events = (
        AuditEvent.objects.for_creator(creator)
        .filter(occurred_at__gte=start, occurred_at__lt=end)
        .order_by("occurred_at", "pk")
        .values_list(*COLUMNS)
    )
    return events.iterator(chunk_size=CHUNK)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _record(row) -> dict:
    (
        pk,
        occurred_at,
        type,
        actor_kind,
        actor_label,
        source,
        customer_id,
        email,
        subject_type,
        subject_id,
        data,
    ) = row
    return {
        "id": str(pk),
        "occurred_at": _utc(occurred_at),
        "type": type,
        "summary": event_sentence(SimpleNamespace(type=type, data=data)),
        "actor": {"kind": actor_kind, "label": actor_label},
        "source": source,
        "customer_id": str(customer_id) if customer_id is not None else None,
        "customer_email": email,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "data": data or {},
    }


def audit_csv_lines(*, creator, start: dt.datetime, end: dt.datetime):
    """A BOM (so spreadsheets read UTF-8), the header, then the rows in blocks of CHUNK."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    yield "\ufeff" + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    written = 0
    for row in audit_export_rows(creator=creator, start=start, end=end):
        record = _record(row)
        writer.writerow(
            [
                record["id"],
                record["occurred_at"],
                record["type"],
                neutralise(record["summary"]),
                record["actor"]["kind"],
                neutralise(record["actor"]["label"]),
                record["source"],
                record["customer_id"] or "",
                neutralise(record["customer_email"] or ""),
                record["subject_type"],
                record["subject_id"],
                neutralise(json.dumps(record["data"], ensure_ascii=False, sort_keys=True)),
            ]
        )
        written += 1
        if written == CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            written = 0
    if written:
        yield buffer.getvalue()


def audit_jsonl_lines(*, creator, start: dt.datetime, end: dt.datetime):
    """One JSON object a line, oldest first; every string in it neutralised as in the CSV."""
    lines = []
    for row in audit_export_rows(creator=creator, start=start, end=end):
        lines.append(json.dumps(neutralise_all(_record(row)), ensure_ascii=False) + "\n")
        if len(lines) == CHUNK:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def audit_export_response(*, creator, start: dt.date | None, end: dt.date | None, format: str = "csv"):
    """The streamed download; `format` is csv or jsonl."""
    if format not in FORMATS:
        raise InvalidValue("The format is csv or jsonl.", code="invalid_format")
    first, after_last = audit_export_range(start=start, end=end)
    lines = (audit_csv_lines if format == "csv" else audit_jsonl_lines)(
        creator=creator, start=first, end=after_last
    )
    response = StreamingHttpResponse((line.encode("utf-8") for line in lines), content_type=FORMATS[format])
    last_day = (after_last - dt.timedelta(days=1)).date()
    name = f"audit-log-{first.date().isoformat()}-to-{last_day.isoformat()}.{format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
