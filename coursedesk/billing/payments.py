"""Recording a payment: its row and its timeline event, for a checkout and for every renewal."""

from __future__ import annotations

from coursedesk.audit.services import Actor, audit_record
from coursedesk.audit.types import AuditEventType
from coursedesk.billing.models import Payment
from coursedesk.billing.receipts import receipt_issue
from coursedesk.core import clock


def payment_record(
    *,
    customer,
    course,
    payment_page,
    subscription,
    amount: int,
    currency: str,
    gateway: str,
    reference: str,
    succeeded: bool = True,
    failure_message: str = "",
    details: dict | None = None,
    discount: int = 0,
    coupon=None,
    actor: Actor,
    source: str,
) -> Payment:
    """Writes one payment, taken or failed, its payment.succeeded / payment.failed event and the
    receipt of a payment taken, in the caller's transaction. `details` adds to the event what the
    caller knows (the payment page, the plan's instalment, that it was a renewal). `discount` is what
    a coupon took off: `amount` is what was charged."""
    payment = Payment.objects.create(
        customer=customer,
        course=course,
        payment_page=payment_page,
        subscription=subscription,
        amount=amount,
        currency=currency.lower(),
        discount=discount,
        coupon=coupon,
        gateway=gateway,
        gateway_payment_id=reference,
        status=Payment.Status.SUCCEEDED if succeeded else Payment.Status.FAILED,
        failure_message=failure_message[:500],
        paid_at=clock.now(),
    )
    receipt = receipt_issue(payment=payment) if succeeded else None
    audit_record(
        creator=customer.creator,
        customer=customer,
        type=AuditEventType.PAYMENT_SUCCEEDED if succeeded else AuditEventType.PAYMENT_FAILED,
        actor=actor,
        source=source,
        subject=payment,
        data={
            "course": course.title,
            "course_id": course.pk,
            "amount": payment.amount,
            "currency": payment.currency,
            "amount_display": payment.money.format(),
            **({"discount": discount, "coupon": coupon.code if coupon else ""} if discount else {}),
            **(details or {}),
            **({"receipt_number": receipt.number} if receipt is not None else {}),
            **({} if succeeded else {"error": payment.failure_message}),
        },
    )
    return payment
