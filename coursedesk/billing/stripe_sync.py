"""Applying what Stripe holds to CourseDesk's records, once per object, through the same services
the desk uses: the webhook inbox does it for each event, and the reconciliation (`stripe_sync`) for
everything Stripe lists, to repair what a lost webhook left out of step.

Each function changes nothing when CourseDesk already agrees with Stripe, and says what it changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from coursedesk.audit.services import Actor
from coursedesk.billing import refunds, subscriptions
from coursedesk.billing.gateways import gateway_named
from coursedesk.billing.gateways.base import GatewayError
from coursedesk.billing.gateways.stripe import invoice_period_end
from coursedesk.billing.models import Gateway, Payment, Refund, Subscription
from coursedesk.core.money import Money

# A refund CourseDesk started carries this in its metadata.
OWN_REFUND_KEY = "coursedesk_refund"
REFUND_STATUSES = {
    "succeeded": Refund.Status.SUCCEEDED,
    "pending": Refund.Status.PENDING,
    "requires_action": Refund.Status.PENDING,
}


def own_refund_of(payment: Payment, refund: dict) -> tuple[bool, Refund | None]:
    """Whether Stripe's refund says CourseDesk started it, and CourseDesk's row for it if there is one."""
    key = (refund.get("metadata") or {}).get(OWN_REFUND_KEY, "")
    if not key.startswith("refund-"):
        return False, None
    return True, Refund.objects.filter(pk=key.removeprefix("refund-"), payment=payment).first()


def stripe_refund_apply(*, payment: Payment, refund: dict, actor: Actor, source: str) -> str:
    """Records one refund object from Stripe, or brings the recorded one up to date. Returns what
    changed, in a sentence, or "" when CourseDesk already agreed."""
    status = REFUND_STATUSES.get(refund.get("status"), Refund.Status.FAILED)
    _, own = own_refund_of(payment, refund)
    known = own or Refund.objects.filter(gateway_refund_id=refund["id"]).first()
    before = (known.status, known.gateway_refund_id) if known is not None else None
    if own is not None:
        recorded = refunds.refund_status_sync(
            refund=own, gateway_refund_id=refund["id"], status=status, actor=actor, source=source
        )
    else:
        recorded = refunds.payment_refund_record(
            payment=payment,
            amount=refund["amount"],
            gateway_refund_id=refund["id"],
            status=status,
            reason=refund.get("reason") or "",
            actor=actor,
            source=source,
        )
    if recorded is None:
        return ""
    recorded.refresh_from_db()
    what = f"refund {refund['id']} of {Money(recorded.amount, recorded.currency)} on payment {payment.pk}"
    if before is None:
        return f"Recorded {what} ({recorded.get_status_display().lower()})."
    if before[0] != recorded.status:
        return f"Updated {what}: {before[0]} → {recorded.status}."
    return ""


def stripe_subscription_apply(*, subscription: Subscription, data: dict, actor: Actor, source: str) -> str:
    """Brings one subscription in step with Stripe's subscription object `data`: canceled, set to end
    at the period's end or not, paused or running. Returns what changed, or ""."""
    name = f"subscription {subscription.pk} ({subscription.course.title})"
    if subscription.status in (Subscription.Status.CANCELED, Subscription.Status.COMPLETED):
        return ""  # canceled from CourseDesk, or a plan CourseDesk completed
    if data.get("status") in ("canceled", "incomplete_expired"):
        if subscription.cancel_at_period_end:
            subscriptions.subscription_period_end_reached(
                subscription=subscription, actor=actor, source=source
            )
            return f"Canceled {name} at the end of its paid period, as at Stripe."
        subscriptions.subscription_cancel(subscription=subscription, actor=actor, source=source)
        return f"Canceled {name}, as at Stripe."
    ending = bool(data.get("cancel_at_period_end"))
    if ending != subscription.cancel_at_period_end:
        if ending:
            subscriptions.subscription_cancel(
                subscription=subscription, at_period_end=True, actor=actor, source=source
            )
            return f"Set {name} to end at the end of its paid period, as at Stripe."
        subscriptions.subscription_uncancel(subscription=subscription, actor=actor, source=source)
        return f"Took back the end of {name}, as at Stripe."
    pause = data.get("pause_collection")
    if pause:
        resumes_at = pause.get("resumes_at")
        resumes_at = dt.datetime.fromtimestamp(resumes_at, tz=dt.UTC) if resumes_at else None
        resume_on = resumes_at.date() if resumes_at else None
        if subscription.status != Subscription.Status.PAUSED or subscription.paused_until != resume_on:
            subscriptions.subscription_pause_from_gateway(
                subscription=subscription, resumes_at=resumes_at, actor=actor, source=source
            )
            return f"Paused {name}, as at Stripe."
        return ""
    if subscription.status == Subscription.Status.PAUSED:
        subscriptions.subscription_resume(subscription=subscription, actor=actor, source=source)
        return f"Resumed {name}, as at Stripe."
    return ""


def stripe_invoice_apply(
    *, subscription: Subscription, invoice: dict, actor: Actor, source: str, since: dt.datetime | None = None
) -> str:
    """Records a subscription's paid invoice that CourseDesk lacks (its invoice.paid was lost): the
    renewal payment, its receipt and the next due date, as the webhook would. The first invoice is
    the checkout's payment, recorded by the checkout. Returns what changed, or ""."""
    created = invoice.get("created")
    if (
        invoice.get("status") != "paid"
        or invoice.get("billing_reason") == "subscription_create"
        or (since is not None and created and dt.datetime.fromtimestamp(created, tz=dt.UTC) < since)
        or Payment.objects.filter(gateway=Gateway.STRIPE, gateway_payment_id=invoice["id"]).exists()
    ):
        return ""
    payment = subscriptions.subscription_payment_record(
        subscription=subscription,
        succeeded=True,
        amount=invoice.get("amount_paid") or subscription.amount,
        currency=invoice.get("currency") or subscription.currency,
        reference=invoice["id"],
        next_payment_at=invoice_period_end(invoice),
        actor=actor,
        source=source,
    )
    if payment is None:
        return ""
    return (
        f"Recorded payment {invoice['id']} of {payment.money} for subscription {subscription.pk} "
        f"({subscription.course.title})."
    )


@dataclass(frozen=True)
class SyncReport:
    checked_payments: int
    checked_subscriptions: int
    changes: list[str]
    # Objects Stripe could not give (each with Stripe's answer); the others are synced all the same.
    problems: list[str]


def stripe_sync(*, creator, since: dt.datetime | None, actor: Actor, source: str) -> SyncReport:
    """Fetches from Stripe the refunds of the creator's Stripe payments (taken since `since`, all
    without it), and the paid invoices (since `since`) and state of their open Stripe subscriptions,
    and records what CourseDesk lacks. Run twice, the second run changes nothing."""
    gateway = gateway_named(Gateway.STRIPE, creator=creator)
    changes: list[str] = []
    problems: list[str] = []
    # First the renewals Stripe took (so their refunds are read below in the same run), then every
    # payment's refunds, then each subscription's state (a cancel comes after its last payment).
    open_subscriptions = list(
        Subscription.objects.for_creator(creator)
        .filter(gateway=Gateway.STRIPE)
        .exclude(gateway_subscription_id="")
        .exclude(status__in=[Subscription.Status.CANCELED, Subscription.Status.COMPLETED])
        .select_related("customer__creator", "course")
        .order_by("pk")
    )
    states = []
    for subscription in open_subscriptions:
        reference = subscription.gateway_subscription_id
        try:
            invoices = gateway.subscription_invoices(subscription_reference=reference)
            data = gateway.subscription_state(subscription_reference=reference)
        except GatewayError as error:
            problems.append(f"Could not read subscription {subscription.pk} from Stripe: {error.message}")
            continue
        for invoice in invoices:
            change = stripe_invoice_apply(
                subscription=subscription, invoice=invoice, actor=actor, source=source, since=since
            )
            if change:
                changes.append(change)
        states.append((subscription, data))
    payments = (
        Payment.objects.for_creator(creator)
        .filter(gateway=Gateway.STRIPE, status=Payment.Status.SUCCEEDED)
        .exclude(gateway_payment_id="")
        .select_related("customer__creator", "course")
        .order_by("paid_at", "pk")
    )
    if since is not None:
        payments = payments.filter(paid_at__gte=since)
    payments = list(payments)
    for payment in payments:
        try:
            found = gateway.refunds_of_payment(payment_reference=payment.gateway_payment_id)
        except GatewayError as error:
            problems.append(
                f"Could not read the refunds of payment {payment.pk} from Stripe: {error.message}"
            )
            continue
        for refund in found:
            if change := stripe_refund_apply(payment=payment, refund=refund, actor=actor, source=source):
                changes.append(change)
    for subscription, data in states:
        subscription.refresh_from_db()
        if change := stripe_subscription_apply(
            subscription=subscription, data=data, actor=actor, source=source
        ):
            changes.append(change)
    return SyncReport(len(payments), len(open_subscriptions), changes, problems)
