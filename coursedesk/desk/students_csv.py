"""A course's students as CSV, streamed in constant memory, safe to open in a spreadsheet.

Every student is listed, revoked and expired included. Totals come from the payment and refund rows
(per customer and course) through subqueries, so one query with a server-side cursor feeds the rows.
"""

from __future__ import annotations

import csv

from django.db.models import CharField, Func, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import StreamingHttpResponse

from coursedesk.billing.models import Payment, Refund, Subscription
from coursedesk.core.money import Money
from coursedesk.customers.models import Enrolment

HEADER = [
    "First name", "Last name", "Email", "Status", "Enrolled at", "Expires at", "Payment page",
    "Total paid", "Total refunded", "Currency", "Subscription status", "Last sign-in",
]
STATUS_LABELS = {"active": "Active", "revoked": "Revoked", "expired": "Expired"}
SUBSCRIPTION_LABELS = dict(Subscription.Status.choices)
# A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000


def neutralise(value: str) -> str:
    """Prefixes a quote to cells a spreadsheet would evaluate (CSV/formula injection)."""
    if value and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _total(rows, amount: str = "amount"):
    """SUM(amount) of `rows` (already filtered to one customer and course) as a subquery, 0 if none."""
    summed = rows.order_by().annotate(total=Func(amount, function="SUM")).values("total")
    return Coalesce(Subquery(summed, output_field=IntegerField()), Value(0))


def course_student_rows(*, course, at=None):
    """The course's enrolments with everything the CSV needs, as dicts, one query."""
    succeeded = Payment.Status.SUCCEEDED
    paid = _total(Payment.objects.filter(
        customer=OuterRef("customer_id"), course=OuterRef("course_id"), status=succeeded,
    ))
    refunded = _total(Refund.objects.filter(
        payment__customer=OuterRef("customer_id"), payment__course=OuterRef("course_id"),
        payment__status=succeeded, status__in=Refund.COUNTED_STATUSES,
    ))
    latest_subscription = Subscription.objects.filter(
        customer=OuterRef("customer_id"), course=OuterRef("course_id")
    ).order_by("-started_at", "-pk")
    currency = Payment.objects.filter(
        customer=OuterRef("customer_id"), course=OuterRef("course_id")
    ).order_by("-paid_at", "-pk").values("currency")[:1]
    return (
        Enrolment.objects.filter(course=course)
        .with_status(at)
        .annotate(
            total_paid=paid,
            total_refunded=refunded,
            currency=Coalesce(Subquery(currency, output_field=CharField()), Value("")),
            subscription_status=Coalesce(
                Subquery(latest_subscription.values("status")[:1], output_field=CharField()), Value("")
            ),
        )
        .order_by("pk")
        .values(
            "customer__first_name", "customer__last_name", "customer__email", "status_now",
            "granted_at", "expires_at", "payment_page__name", "total_paid", "total_refunded",
            "currency", "subscription_status", "customer__last_login_at",
        )
    )


def _amount(value: int, currency: str) -> str:
    if not currency:
        return f"{value / 100:.2f}" if value else "0.00"
    return Money(value, currency).format_number().replace(",", "")


def _time(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else ""


def csv_lines(*, course):
    """Yields the CSV as encoded lines: a BOM first (so spreadsheets read UTF-8), then the rows."""

    class Line:
        def write(self, value):
            return value

    writer = csv.writer(Line())
    yield "\ufeff" + writer.writerow(HEADER)
    for row in course_student_rows(course=course).iterator(chunk_size=CHUNK):
        cells = [
            row["customer__first_name"], row["customer__last_name"], row["customer__email"],
            STATUS_LABELS[row["status_now"]], _time(row["granted_at"]), _time(row["expires_at"]),
            row["payment_page__name"] or "Granted by hand",
            _amount(row["total_paid"], row["currency"]), _amount(row["total_refunded"], row["currency"]),
            row["currency"].upper(),
            SUBSCRIPTION_LABELS.get(row["subscription_status"], ""),
            _time(row["customer__last_login_at"]),
        ]
        yield writer.writerow([neutralise(str(cell)) for cell in cells])


def students_csv_response(*, course) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(course=course)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{course.slug}-students.csv"'
    return response
