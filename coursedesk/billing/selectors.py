"""Reads about payments that services, pages, the API and exports share.

What has been refunded of a payment and what is left to refund are computed here and nowhere
else, in SQL: a refund row counts while it is pending or succeeded (so two refunds can never pass
each other), and only a succeeded payment has anything to refund.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    Case,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest

from coursedesk.billing.models import Payment, Receipt, Refund
from coursedesk.core.money import Money


def refunded_amount(refunds: QuerySet[Refund]) -> Coalesce:
    """The amount refunded or being refunded among `refunds`, as a subquery expression (0 when
    none). `refunds` is correlated to the outer query by the caller, e.g. filtered on
    `payment=OuterRef("pk")`; it may span several payments (a customer's payments of a course)."""
    counted = refunds.filter(status__in=Refund.COUNTED_STATUSES).order_by()
    # A plain SUM (not an aggregate) keeps the subquery free of GROUP BY: one row, whatever it spans.
    total = counted.annotate(total=Func("amount", function="SUM")).values("total")
    return Coalesce(Subquery(total, output_field=IntegerField()), Value(0))


def payments_with_refund_amounts(payments: QuerySet[Payment]) -> QuerySet[Payment]:
    """`payments` annotated with `refunded_amount` and `refundable_amount` (minor units), and the
    `receipt_number` of a payment taken (None for one that failed)."""
    return _with_receipt(payments).annotate(
        receipt_number=F("payment_receipt__number"),
        refunded_amount=refunded_amount(Refund.objects.filter(payment=OuterRef("pk"))),
        refundable_amount=Case(
            When(
                status=Payment.Status.SUCCEEDED,
                then=Greatest(F("amount") - F("refunded_amount"), Value(0)),
            ),
            default=Value(0),
            output_field=IntegerField(),
        ),
    )


def payments_with_receipts(payments: QuerySet[Payment]) -> QuerySet[Payment]:
    """`payments` annotated with their receipt's `receipt_pk` and `receipt_key` (None for a payment
    that failed); `payments_with_refund_amounts` gives its number."""
    return _with_receipt(payments).annotate(
        receipt_pk=F("payment_receipt__pk"),
        receipt_key=F("payment_receipt__access_key"),
    )


def _with_receipt(payments: QuerySet[Payment]) -> QuerySet[Payment]:
    """`payments` joined to their receipt (`payment_receipt`; a payment has at most one, by the
    constraint receipt_once_per_payment): one join rather than a subquery per receipt column."""
    if "payment_receipt" in payments.query._filtered_relations:
        return payments
    return payments.annotate(
        payment_receipt=FilteredRelation("receipts", condition=Q(receipts__kind=Receipt.Kind.PAYMENT))
    )


@dataclass(frozen=True, slots=True)
class RefundAmounts:
    paid: Money
    refunded: Money
    refundable: Money


def payment_refund_amounts(*, payment: Payment) -> RefundAmounts:
    """What was paid, refunded and is left to refund on one payment, read from the rows now.

    A service that holds the payment's row lock calls this after taking the lock: it is a new
    statement, so it sees every refund committed before the lock was granted.
    """
    refunded, refundable = (
        payments_with_refund_amounts(Payment.objects.filter(pk=payment.pk))
        .values_list("refunded_amount", "refundable_amount")
        .get()
    )
    return RefundAmounts(
        paid=payment.money,
        refunded=Money(refunded, payment.currency),
        refundable=Money(refundable, payment.currency),
    )


@dataclass(frozen=True)
class PlanBalance:
    """Where a payment plan stands: payments made, payments and money not yet paid."""

    payments_total: int
    payments_made: int
    unpaid: Money

    @property
    def payments_left(self) -> int:
        return self.payments_total - self.payments_made


def plan_balance(subscription) -> PlanBalance | None:
    """A payment plan's balance; None for a subscription that runs until canceled."""
    total = subscription.installments_total
    if not total:
        return None
    made = subscription.payments.filter(status=Payment.Status.SUCCEEDED).count()
    left = max(total - made, 0)
    return PlanBalance(total, min(made, total), Money(left * subscription.amount, subscription.currency))


def ending_words(subscription, *, at_period_end: bool, access_ends: bool) -> str:
    """What a cancel does, in the words that fit: a plan says what stays unpaid and whether access
    stays; a subscription says when it ends. Shared by the desk, the student's pages and emails."""
    balance = plan_balance(subscription)
    when = (
        f"after the period already paid for, on {subscription.next_payment_at:%B} "
        f"{subscription.next_payment_at.day}, {subscription.next_payment_at.year}"
        if at_period_end and subscription.next_payment_at
        else "now"
    )
    access = "Access to the course ends then." if access_ends else "Access to the course stays."
    if balance is not None:
        return (
            f"The payment plan stops {when}: {balance.payments_made} of {balance.payments_total} payments "
            f"are made, and the {balance.payments_left} left ({balance.unpaid.format()}) will not be "
            f"charged. {access}"
        )
    return f"The subscription ends {when}: no further payments. Nothing is refunded. {access}"


def course_revenue_since(*, courses, since) -> dict[int, list[Money]]:
    """Per course, what its payments brought in since `since` less what was refunded since then,
    one Money per currency (a course sold in two currencies has two figures)."""
    ids = [course.pk for course in courses]
    totals: dict[tuple[int, str], int] = {}
    paid = (
        Payment.objects.filter(course_id__in=ids, status=Payment.Status.SUCCEEDED, paid_at__gte=since)
        .values("course_id", "currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in paid:
        key = (row["course_id"], row["currency"])
        totals[key] = totals.get(key, 0) + row["total"]
    refunded = (
        Refund.objects.filter(
            payment__course_id__in=ids, status=Refund.Status.SUCCEEDED, created_at__gte=since
        )
        .values("payment__course_id", "currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in refunded:
        key = (row["payment__course_id"], row["currency"])
        totals[key] = totals.get(key, 0) - row["total"]
    revenue: dict[int, list[Money]] = {pk: [] for pk in ids}
    for (course_id, currency), total in sorted(totals.items()):
        revenue[course_id].append(Money(total, currency))
    return revenue


def payment_refund_status(payment: Payment) -> str:
    """ "none", "partial" or "full": how much of a payment annotated by `payments_with_refund_amounts`
    has been refunded (or is being refunded)."""
    if payment.status != Payment.Status.SUCCEEDED or not payment.refunded_amount:
        return "none"
    return "full" if payment.refunded_amount >= payment.amount else "partial"
