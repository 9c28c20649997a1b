"""Receipts: one for every successful payment and every refund, numbered per creator with no gap
and no number twice.

`receipt_issue` runs in the transaction that records the payment or the refund. It takes the next
number under the lock of the creator's counter row, so concurrent payments queue there for the
moment it takes, and a transaction that rolls back takes its number back with it.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from coursedesk.billing.dunning import payment_policy_of
from coursedesk.billing.models import Payment, Receipt, ReceiptCounter, Refund
from coursedesk.catalog.links import absolute
from coursedesk.core import clock


def payment_discount(payment: Payment) -> int:
    """What a discount took off this payment's price, in minor units. Payments record no discount
    yet; when they do (coupons), this is the one place that reads it."""
    return 0


def _next_number(creator) -> int:
    # The counter row is made on the creator's first receipt; ON CONFLICT DO NOTHING lets two first
    # receipts race without an error, and the lock below then orders them.
    ReceiptCounter.objects.bulk_create([ReceiptCounter(creator=creator)], ignore_conflicts=True)
    counter = ReceiptCounter.objects.select_for_update().get(creator=creator)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def receipt_issue(*, payment: Payment, refund: Refund | None = None) -> Receipt:
    """The receipt of a successful payment, or (with `refund`) of a successful refund of it, in the
    caller's transaction. Issued once: asking again returns the receipt already issued."""
    if refund is None and payment.status != Payment.Status.SUCCEEDED:
        raise ValueError("Only a successful payment has a receipt.")
    if refund is not None and refund.status != Refund.Status.SUCCEEDED:
        raise ValueError("Only a successful refund has a receipt.")
    with transaction.atomic():
        issued = (
            Receipt.objects.filter(refund=refund)
            if refund is not None
            else Receipt.objects.filter(payment=payment, kind=Receipt.Kind.PAYMENT)
        ).first()
        if issued is not None:
            return issued
        creator = payment.customer.creator
        policy = payment_policy_of(creator)
        return Receipt.objects.create(
            creator=creator,
            number=_next_number(creator),
            kind=Receipt.Kind.REFUND if refund is not None else Receipt.Kind.PAYMENT,
            payment=payment,
            refund=refund,
            amount=refund.amount if refund is not None else payment.amount,
            currency=payment.currency,
            discount_amount=0 if refund is not None else payment_discount(payment),
            issued_at=clock.now(),
            business_name=policy.business_name,
            business_address=policy.business_address,
            tax_id=policy.tax_id,
        )


def receipt_url(receipt: Receipt, *, pdf: bool = False) -> str:
    """The customer's address of a receipt (HTML or PDF), absolute, for emails and their billing page."""
    name = "classroom:receipt_pdf" if pdf else "classroom:receipt"
    return absolute(
        reverse(name, kwargs={"course_slug": receipt.payment.course.slug, "key": receipt.access_key})
    )


def payment_receipt_of(payment: Payment) -> Receipt | None:
    return Receipt.objects.filter(payment=payment, kind=Receipt.Kind.PAYMENT).first()


def refund_receipt_of(refund: Refund) -> Receipt | None:
    return Receipt.objects.filter(refund=refund).first()
