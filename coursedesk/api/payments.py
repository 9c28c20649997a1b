"""Payments: refunds, in full or any part of what is left."""

from __future__ import annotations

from ninja import Router, Schema, Status
from pydantic import Field

from coursedesk.api.fields import Number, model_text
from coursedesk.api.schemas import ErrorOut, RefundOut, payment_with_refunds
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.billing.models import Payment, Refund
from coursedesk.billing.refunds import payment_refund as billing_payment_refund

router = Router(tags=["payments"])
SOURCE = AuditSource.API


class RefundIn(Schema):
    amount: Number | None = Field(None, description="Minor units; leave out to refund all that is left.")
    reason: model_text(Refund, "reason", multiline=True) = ""


@router.post(
    "/{payment_id}/refunds",
    response={201: RefundOut, 409: ErrorOut, 422: ErrorOut},
    summary="Refund a payment in full or in part",
)
def payment_refund(request, payment_id: str, body: RefundIn):
    payment = payment_with_refunds(Payment.objects.for_creator(request.auth), payment_id)
    refund = billing_payment_refund(
        payment=payment,
        amount=body.amount,
        reason=body.reason,
        actor=Actor.creator(request.auth),
        source=SOURCE,
    )
    return Status(201, refund)
