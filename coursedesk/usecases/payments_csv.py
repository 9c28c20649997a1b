"""The "Payments" export for bookkeeping: every payment taken and every refund made in a date range,
oldest first, one line each with its receipt number, streamed in constant memory and safe to open
in a spreadsheet.

Only money that moved is listed: successful payments, and refunds that went through (as negative
amounts), so the Amount column of one currency adds up to what the creator kept.
"""

from __future__ import annotations

import csv
import datetime as dt
import heapq
import io

from django.db.models import OuterRef, Subquery
from django.http import StreamingHttpResponse

from coursedesk.audit.export import audit_export_range
from coursedesk.billing.models import Payment, Receipt, Refund
from coursedesk.core.money import decimal_places
from coursedesk.core.spreadsheet import neutralise

HEADER = [
    "Date (UTC)",
    "Type",
    "Receipt number",
    "Customer",
    "Email",
    "Course",
    "Payment page",
    "Amount",
    "Discount",
    "Currency",
    "Gateway",
    "Gateway reference",
    "Payment ID",
    "Refund ID",
]
CHUNK = 2000
PAYMENT_COLUMNS = (
    "paid_at",
    "pk",
    "receipt_number",
    "customer__first_name",
    "customer__last_name",
    "customer__email",
    "course__title",
    "payment_page__name",
    "amount",
    "currency",
    "gateway",
    "gateway_payment_id",
)
REFUND_COLUMNS = (
    "created_at",
    "pk",
    "receipt_number",
    "payment__customer__first_name",
    "payment__customer__last_name",
    "payment__customer__email",
    "payment__course__title",
    "payment__payment_page__name",
    "amount",
    "currency",
    "payment__gateway",
    "gateway_refund_id",
    "payment_id",
)


def _amount(value: int, currency: str) -> str:
    """Major units with the currency's decimals, no thousands separator: -1000 usd → -10.00."""
    places = decimal_places(currency)
    sign, value = ("-", -value) if value < 0 else ("", value)
    if places == 0:
        return f"{sign}{value}"
    unit = 10**places
    return f"{sign}{value // unit}.{value % unit:0{places}d}"


def _payments(creator, start: dt.datetime, end: dt.datetime):
    receipt = Receipt.objects.filter(payment=OuterRef("pk"), kind=Receipt.Kind.PAYMENT).values("number")[:1]
    rows = (
        Payment.objects.for_creator(creator)
        .filter(status=Payment.Status.SUCCEEDED, paid_at__gte=start, paid_at__lt=end)
        .annotate(receipt_number=Subquery(receipt))
        .order_by("paid_at", "pk")
        .values_list(*PAYMENT_COLUMNS)
    )
    for row in rows.iterator(chunk_size=CHUNK):
        yield (row[0], 0, row[1], "Payment", row)


def _refunds(creator, start: dt.datetime, end: dt.datetime):
    receipt = Receipt.objects.filter(refund=OuterRef("pk")).values("number")[:1]
    rows = (
        Refund.objects.for_creator(creator)
        .filter(status=Refund.Status.SUCCEEDED, created_at__gte=start, created_at__lt=end)
        .annotate(receipt_number=Subquery(receipt))
        .order_by("created_at", "pk")
        .values_list(*REFUND_COLUMNS)
    )
    for row in rows.iterator(chunk_size=CHUNK):
        yield (row[0], 1, row[1], "Refund", row)


def _cells(kind: str, row) -> list[str]:
    moved_at, pk, number, first, last, email, course, page, amount, currency, gateway, reference = row[:12]
    is_refund = kind == "Refund"
    return [
        f"{moved_at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}",
        kind,
        "" if number is None else str(number),
        neutralise(" ".join(part for part in (first, last) if part)),
        neutralise(email),
        neutralise(course),
        neutralise(page or ""),
        _amount(-amount if is_refund else amount, currency),
        # Payments record no discount yet (billing.receipts.payment_discount); when they do, its
        # column joins PAYMENT_COLUMNS and its amount goes here.
        "",
        currency.upper(),
        gateway,
        neutralise(reference),
        str(row[12] if is_refund else pk),
        str(pk) if is_refund else "",
    ]


def payments_csv_lines(*, creator, start: dt.datetime, end: dt.datetime):
    """A BOM (so spreadsheets read UTF-8), the header, then payments and refunds in [start, end) by
    the time the money moved, in blocks of CHUNK lines."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    yield "\ufeff" + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    written = 0
    for _, _, _, kind, row in heapq.merge(_payments(creator, start, end), _refunds(creator, start, end)):
        writer.writerow(_cells(kind, row))
        written += 1
        if written == CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            written = 0
    if written:
        yield buffer.getvalue()


def payments_csv_response(*, creator, start: dt.date | None, end: dt.date | None) -> StreamingHttpResponse:
    """The streamed download of the days from `start` to `end`, both included (in the time zone in
    use); refuses a start after the end with a sentence. Never cached: it holds customers' data."""
    first, after_last = audit_export_range(start=start, end=end)
    lines = payments_csv_lines(creator=creator, start=first, end=after_last)
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in lines), content_type="text/csv; charset=utf-8"
    )
    last_day = (after_last - dt.timedelta(days=1)).date()
    name = f"payments-{first.date().isoformat()}-to-{last_day.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
