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
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest

from coursedesk.billing.models import Payment, Refund
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
    """`payments` annotated with `refunded_amount` and `refundable_amount` (minor units)."""
    return payments.annotate(
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


def payment_refund_status(payment: Payment) -> str:
    """ "none", "partial" or "full": how much of a payment annotated by `payments_with_refund_amounts`
    has been refunded (or is being refunded)."""
    if payment.status != Payment.Status.SUCCEEDED or not payment.refunded_amount:
        return "none"
    return "full" if payment.refunded_amount >= payment.amount else "partial"
