"""Refunds: made from CourseDesk (desk, API) or reported by the gateway, each atomic and audited.

The gateway is called inside the transaction, after the checks and before the commit: when it
refuses, the refund row stays as failed and nothing is recorded as refunded.
"""

from __future__ import annotations

from django.db import transaction

from coursedesk.accounts.models import Membership
from coursedesk.accounts.roles import Permission, Role, refusal_sentence, role_can
from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor, audit_record, change
from coursedesk.audit.types import AuditEventType
from coursedesk.billing.emails import refund_notice_queue
from coursedesk.billing.gateways import gateway_named, gateway_refusal
from coursedesk.billing.gateways.base import GatewayError
from coursedesk.billing.models import Payment, Refund
from coursedesk.billing.receipts import receipt_issue
from coursedesk.billing.selectors import RefundAmounts, payment_refund_amounts
from coursedesk.core import clock
from coursedesk.core.errors import DomainError, InvalidValue
from coursedesk.core.money import Money


def payment_refund_check(*, payment: Payment, amount: int | None = None, actor: Actor | None = None) -> int:
    """The amount a refund of `payment` would take now (all that is left when `amount` is None), or
    the refusal the refund itself would give. Pages ask before they confirm; `payment_refund` asks
    again under the payment's lock, so a refund that raced in between is still refused there."""
    _refund_amount_valid(amount)
    amount = _refund_amount_allowed(
        payment=payment, amount=amount, left=payment_refund_amounts(payment=payment).refundable
    )
    if actor is not None:
        _refund_within_role(actor=actor, amount=amount, currency=payment.currency)
    return amount


def _refund_within_role(*, actor: Actor, amount: int, currency: str) -> None:
    """A team member refunds only if their role may, and support only up to the limit the owner set
    for them (per refund). The account's own creator (no membership) refunds anything."""
    if actor.membership_id is None:
        return
    membership = Membership.objects.filter(pk=actor.membership_id).first()
    if membership is None:
        raise DomainError("You are no longer a member of this team.", code="forbidden_for_role", status=403)
    if not role_can(membership.role, Permission.REFUND):
        raise DomainError(
            refusal_sentence(membership.role, Permission.REFUND), code="forbidden_for_role", status=403
        )
    if membership.role != Role.SUPPORT:
        return
    limit = Money(membership.refund_limit, membership.refund_limit_currency)
    if currency != limit.currency or amount > limit.amount:
        raise DomainError(
            f"Your refund limit is {limit.format()} per refund. "
            f"Ask an owner or an admin to refund {Money(amount, currency).format()}.",
            code="forbidden_for_role",
            status=403,
        )


def _refund_amount_valid(amount: int | None) -> None:
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0):
        raise InvalidValue("The refund amount must be more than zero.", code="invalid_amount")


def _refund_amount_allowed(*, payment: Payment, amount: int | None, left: Money) -> int:
    if payment.status != Payment.Status.SUCCEEDED:
        raise DomainError(
            "This payment failed, so there is nothing to refund.", code="payment_not_refundable"
        )
    if left.amount <= 0:
        raise DomainError("This payment has already been refunded in full.", code="nothing_to_refund")
    if amount is not None and amount > left.amount:
        raise DomainError(
            f"Only {left.format()} is left to refund on this payment.", code="refund_exceeds_refundable"
        )
    return left.amount if amount is None else amount


def payment_refund(
    *, payment: Payment, amount: int | None = None, reason: str = "", actor: Actor, source: str
) -> Refund:
    """Refunds `amount` (minor units) of one payment, or everything left when no amount is given.

    The payment row is locked and the refund rows are summed under the lock; the new refund row
    counts as pending before the gateway is called (with its id as the idempotency key), so two
    refunds racing each other can never pass the amount paid. Access is untouched.
    """
    _refund_amount_valid(amount)
    failure: GatewayError | None = None
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("customer__creator", "course")
            .get(pk=payment.pk)
        )
        before = payment_refund_amounts(payment=payment)
        amount = _refund_amount_allowed(payment=payment, amount=amount, left=before.refundable)
        _refund_within_role(actor=actor, amount=amount, currency=payment.currency)
        refund = Refund.objects.create(
            payment=payment,
            amount=amount,
            currency=payment.currency,
            reason=reason.strip()[:500],
            source=source,
            status=Refund.Status.PENDING,
            created_at=clock.now(),
        )
        creator = payment.customer.creator
        try:
            gateway = gateway_named(payment.gateway, creator=creator)
            result = gateway.refund(
                payment_reference=payment.gateway_payment_id,
                amount=amount,
                currency=payment.currency,
                idempotency_key=f"refund-{refund.pk}",
            )
        except GatewayError as error:
            failure = error
            refund.status = Refund.Status.FAILED
            refund.failure_message = error.message[:500]
            refund.save(update_fields=["status", "failure_message"])
            audit_record(
                creator=creator,
                customer=payment.customer,
                type=AuditEventType.PAYMENT_REFUND_FAILED,
                actor=actor,
                source=source,
                subject=payment,
                data={
                    "amount": amount,
                    "currency": payment.currency,
                    "refund_id": refund.pk,
                    "error": error.message,
                },
            )
        else:
            refund.gateway_refund_id = result.id
            refund.status = Refund.Status.SUCCEEDED if result.status == "succeeded" else Refund.Status.PENDING
            refund.save(update_fields=["gateway_refund_id", "status"])
            _refund_recorded(
                payment=payment,
                refund=refund,
                before=before,
                actor=actor,
                source=source,
                test_mode=gateway.is_test_mode,
            )
    if failure is not None:
        raise gateway_refusal(failure)
    return refund


def _refund_recorded(
    *,
    payment: Payment,
    refund: Refund,
    before: RefundAmounts,
    actor: Actor,
    source: str,
    test_mode: bool,
) -> None:
    """The audit event, the receipt of a refund that went through, and the customer's refund
    notice, in the caller's transaction."""
    after = payment_refund_amounts(payment=payment)  # the new refund row counts now
    receipt = (
        receipt_issue(payment=payment, refund=refund) if refund.status == Refund.Status.SUCCEEDED else None
    )
    creator = payment.customer.creator
    audit_record(
        creator=creator,
        customer=payment.customer,
        type=AuditEventType.PAYMENT_REFUNDED,
        actor=actor,
        source=source,
        subject=payment,
        data={
            "course": payment.course.title,
            "course_id": payment.course_id,
            "refund_id": refund.pk,
            "amount": refund.amount,
            "currency": refund.currency,
            "amount_display": refund.money.format(),
            "refunded_total": change(before.refunded.amount, after.refunded.amount),
            "refundable": change(before.refundable.amount, after.refundable.amount),
            **({"reason": refund.reason} if refund.reason else {}),
            **({"receipt_number": receipt.number} if receipt is not None else {}),
        },
    )
    refund_notice_queue(refund=refund, test_mode=test_mode, actor=actor, source=source)


def _refund_excess_flag(
    *, payment: Payment, gateway_refund_id: str, reported: int, excess: int, actor: Actor, source: str
) -> None:
    flagged = AuditEvent.objects.filter(
        customer=payment.customer,
        type=AuditEventType.PAYMENT_REFUND_OVER_REPORTED,
        data__gateway_refund_id=gateway_refund_id,
    )
    if flagged.exists():
        return
    audit_record(
        creator=payment.customer.creator,
        customer=payment.customer,
        type=AuditEventType.PAYMENT_REFUND_OVER_REPORTED,
        actor=actor,
        source=source,
        subject=payment,
        data={
            "course": payment.course.title,
            "course_id": payment.course_id,
            "gateway_refund_id": gateway_refund_id,
            "reported": reported,
            "amount": excess,
            "currency": payment.currency,
            "amount_display": Money(excess, payment.currency).format(),
        },
    )


def payment_refund_record(
    *,
    payment: Payment,
    amount: int,
    gateway_refund_id: str,
    status: str = Refund.Status.SUCCEEDED,
    reason: str = "",
    actor: Actor,
    source: str,
) -> Refund | None:
    """Records a refund the gateway made (e.g. in Stripe's dashboard). Known refund ids are not
    recorded twice; their status is brought up to date instead. A refund beyond what is left to
    refund is recorded for what fits and the rest flagged for review (payment.refund_over_reported);
    None when nothing fits."""
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("customer__creator", "course")
            .get(pk=payment.pk)
        )
        known = Refund.objects.filter(gateway_refund_id=gateway_refund_id).first()
        if known is not None:
            return refund_status_sync(refund=known, gateway_refund_id=gateway_refund_id, status=status)
        before = payment_refund_amounts(payment=payment)
        if status != Refund.Status.FAILED and amount > before.refundable.amount:
            # Never more refunded than was paid, whatever the gateway says: what fits is recorded,
            # the rest is flagged in the timeline for the creator to review (once per refund id).
            _refund_excess_flag(
                payment=payment,
                gateway_refund_id=gateway_refund_id,
                reported=amount,
                excess=amount - before.refundable.amount,
                actor=actor,
                source=source,
            )
            amount = before.refundable.amount
            if amount <= 0:
                return None
        refund = Refund.objects.create(
            payment=payment,
            amount=amount,
            currency=payment.currency,
            status=status,
            reason=reason[:500],
            source=source,
            gateway_refund_id=gateway_refund_id,
            created_at=clock.now(),
        )
        if status != Refund.Status.FAILED:
            gateway = gateway_named(payment.gateway, creator=payment.customer.creator)
            _refund_recorded(
                payment=payment,
                refund=refund,
                before=before,
                actor=actor,
                source=source,
                test_mode=gateway.is_test_mode,
            )
    return refund


def refund_status_sync(
    *, refund: Refund, gateway_refund_id: str, status: str, actor: Actor | None = None, source: str = "stripe"
) -> Refund:
    """Brings a recorded refund in step with the gateway (its id, pending → succeeded or failed).

    A pending refund that fails stops counting against what is left, and the timeline says so.
    """
    with transaction.atomic():
        refund = (
            Refund.objects.select_for_update(of=("self",))
            .select_related("payment__customer__creator")
            .get(pk=refund.pk)
        )
        fields = []
        if not refund.gateway_refund_id:
            refund.gateway_refund_id = gateway_refund_id
            fields.append("gateway_refund_id")
        if refund.status == Refund.Status.PENDING and status != Refund.Status.PENDING:
            refund.status = status
            fields.append("status")
        if fields:
            refund.save(update_fields=fields)
        if "status" in fields and status == Refund.Status.SUCCEEDED:
            receipt_issue(payment=refund.payment, refund=refund)
        if "status" in fields and status == Refund.Status.FAILED:
            payment = refund.payment
            audit_record(
                creator=payment.customer.creator,
                customer=payment.customer,
                type=AuditEventType.PAYMENT_REFUND_FAILED,
                actor=actor or Actor.gateway(source),
                source=source,
                subject=payment,
                data={
                    "amount": refund.amount,
                    "currency": refund.currency,
                    "refund_id": refund.pk,
                    "error": "The payment gateway reported the refund as failed.",
                },
            )
    return refund
