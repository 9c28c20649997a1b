"""Sandbox renewals: charging subscriptions when due. Stripe renews its own and tells us by webhook.

`renewals_run` is what the scheduler calls every minute; each subscription is renewed in its own
transaction, so one failure never holds up the others.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q

from coursedesk.audit.services import Actor, audit_record, change
from coursedesk.audit.types import AuditEventType, AuditSource
from coursedesk.billing.emails import payment_email_queue
from coursedesk.billing.gateways import gateway_named
from coursedesk.billing.gateways.base import GatewayCharge, GatewayError
from coursedesk.billing.intervals import add_interval
from coursedesk.billing.models import Gateway, Payment, Subscription
from coursedesk.billing.services import subscription_status_move
from coursedesk.catalog.links import course_links
from coursedesk.core import clock
from coursedesk.mail.models import OutboundEmail

logger = logging.getLogger(__name__)
Status = Subscription.Status

# A failed renewal is tried again this long after the last attempt, while the subscription is past due.
RETRY_AFTER = dt.timedelta(days=3)


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def next_due_after(due: dt.datetime, interval: str, now: dt.datetime) -> dt.datetime:
    """The first due date after `now` on the subscription's calendar (no back-charging after downtime)."""
    count = 1
    while (following := add_interval(due, interval, count)) <= now:
        count += 1
    return following


def subscriptions_due(now: dt.datetime | None = None):
    now = now or clock.now()
    return Subscription.objects.filter(
        gateway=Gateway.SANDBOX,
        next_payment_at__lte=now,
    ).filter(Q(status__in=[Status.ACTIVE, Status.PAST_DUE, Status.PAUSED]))


def _email(subscription, *, kind: str, subject: str, lines: list[str], actor: Actor, source: str) -> None:
    # Renewals run in the sandbox only, so every one of these is a test-mode payment.
    payment_email_queue(
        customer=subscription.customer,
        course=subscription.course,
        kind=kind,
        subject=subject,
        lines=lines,
        test_mode=True,
        actor=actor,
        source=source,
    )


def subscription_renew(*, subscription: Subscription, actor: Actor, source: str) -> Payment | None:
    """Charges one due sandbox subscription; None when it is not due (or not the sandbox's)."""
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("customer__creator", "course")
            .get(pk=subscription.pk)
        )
        now = clock.now()
        if (
            subscription.gateway != Gateway.SANDBOX
            or subscription.status not in (Status.ACTIVE, Status.PAST_DUE, Status.PAUSED)
            or subscription.next_payment_at is None
            or subscription.next_payment_at > now
        ):
            return None
        if subscription.status == Status.PAUSED:
            if subscription.paused_until and subscription.paused_until > clock.today():
                return None
            subscription_status_move(
                subscription,
                Status.ACTIVE,
                AuditEventType.SUBSCRIPTION_RESUMED,
                actor,
                source,
                paused_until=change(_iso(subscription.paused_until), None),
                reason="resume date reached",
            )
            subscription.paused_until = None
            subscription.next_payment_before_pause_at = None

        if subscription.status == Status.PAST_DUE:
            last_attempt = subscription.payments.order_by("-paid_at", "-pk").first()
            if last_attempt is not None and last_attempt.paid_at + RETRY_AFTER > now:
                return None
        due = subscription.next_payment_at
        number = subscription.payments.count() + 1  # every attempt has its row, so keys never repeat
        gateway = gateway_named(Gateway.SANDBOX, creator=subscription.customer.creator)
        try:
            charge = gateway.charge(
                payment_method_id=subscription.gateway_payment_method_id,
                amount=subscription.amount,
                currency=subscription.currency,
                idempotency_key=f"renewal-{subscription.pk}-{number}",
            )
        except GatewayError as error:
            charge = GatewayCharge(
                id=f"sbx_ch_renewal_{subscription.pk}_{number}",
                succeeded=False,
                failure_message=error.message,
            )
        payment = Payment.objects.create(
            customer=subscription.customer,
            course=subscription.course,
            payment_page=subscription.payment_page,
            subscription=subscription,
            amount=subscription.amount,
            currency=subscription.currency,
            status=Payment.Status.SUCCEEDED if charge.succeeded else Payment.Status.FAILED,
            gateway=Gateway.SANDBOX,
            gateway_payment_id=charge.id,
            failure_message=charge.failure_message[:500],
            paid_at=now,
        )
        if charge.succeeded:
            _renewal_succeeded(subscription, payment, due=due, now=now, actor=actor, source=source)
        else:
            _renewal_failed(subscription, payment, now=now, actor=actor, source=source)
        subscription.save()
    return payment


def _renewal_succeeded(subscription, payment, *, due, now, actor: Actor, source: str) -> None:
    paid = subscription.payments.filter(status=Payment.Status.SUCCEEDED).count()
    plan = subscription.installments_total
    audit_record(
        creator=subscription.customer.creator,
        customer=subscription.customer,
        type=AuditEventType.PAYMENT_SUCCEEDED,
        actor=actor,
        source=source,
        subject=payment,
        data={
            "course": subscription.course.title,
            "course_id": subscription.course_id,
            "amount": payment.amount,
            "currency": payment.currency,
            "amount_display": payment.money.format(),
            "renewal": True,
            **({"installment": paid, "installments_total": plan} if plan else {}),
        },
    )
    if subscription.status == Status.PAST_DUE:
        subscription_status_move(
            subscription, Status.ACTIVE, AuditEventType.SUBSCRIPTION_RECOVERED, actor, source
        )
    old_next = subscription.next_payment_at
    if plan and paid >= plan:
        subscription.next_payment_at = None
        subscription.completed_at = now
        subscription_status_move(
            subscription,
            Status.COMPLETED,
            AuditEventType.SUBSCRIPTION_COMPLETED,
            actor,
            source,
            payments_made=paid,
            next_payment_at=change(_iso(old_next), None),
        )
    else:
        subscription.next_payment_at = next_due_after(due, subscription.interval, now)
    lines = [
        f"Thank you: we received your payment of {payment.money.format()} for {subscription.course.title}."
    ]
    if plan:
        lines.append(f"That was payment {paid} of {plan}.")
    if subscription.next_payment_at:
        lines.append(
            f"Your next payment is due on {subscription.next_payment_at:%B} "
            f"{subscription.next_payment_at.day}, {subscription.next_payment_at.year}."
        )
    _email(
        subscription,
        kind=OutboundEmail.Kind.RECEIPT,
        subject=f"Your receipt for {subscription.course.title}",
        lines=lines,
        actor=actor,
        source=source,
    )


def _renewal_failed(subscription, payment, *, now, actor: Actor, source: str) -> None:
    audit_record(
        creator=subscription.customer.creator,
        customer=subscription.customer,
        type=AuditEventType.PAYMENT_FAILED,
        actor=actor,
        source=source,
        subject=payment,
        data={
            "course": subscription.course.title,
            "course_id": subscription.course_id,
            "amount": payment.amount,
            "currency": payment.currency,
            "amount_display": payment.money.format(),
            "error": payment.failure_message,
            "renewal": True,
        },
    )
    # The due date stays where it was (the billing calendar does not move); retries follow the
    # last attempt by RETRY_AFTER.
    if subscription.status != Status.PAST_DUE:
        subscription_status_move(
            subscription,
            Status.PAST_DUE,
            AuditEventType.SUBSCRIPTION_PAST_DUE,
            actor,
            source,
            retry_at=_iso(now + RETRY_AFTER),
        )
    billing_url = course_links(subscription.course)["billing_url"]
    _email(
        subscription,
        kind=OutboundEmail.Kind.PAYMENT_FAILED,
        subject=f"Your payment for {subscription.course.title} failed",
        lines=[
            f"We could not take your payment of {payment.money.format()} for "
            f"{subscription.course.title}: {payment.failure_message}",
            f"Please update your card here: {billing_url}",
            "We will try again in 3 days.",
        ],
        actor=actor,
        source=source,
    )


@dataclass
class RenewalReport:
    charged: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{len(self.charged)} charged, {len(self.failed)} failed" + (
            f", {len(self.errors)} errors" if self.errors else ""
        )


def renewals_run(*, now: dt.datetime | None = None) -> RenewalReport:
    """Renews every due sandbox subscription, each on its own."""
    report = RenewalReport()
    for subscription in subscriptions_due(now).order_by("next_payment_at", "pk"):
        try:
            payment = subscription_renew(
                subscription=subscription, actor=Actor.system(), source=AuditSource.RENEWAL
            )
        except Exception as error:  # one broken row must not stop the others; it is logged and reported
            logger.exception("renewal of subscription %s failed", subscription.pk)
            report.errors.append((subscription.pk, str(error)))
            continue
        if payment is None:
            continue
        (report.charged if payment.status == Payment.Status.SUCCEEDED else report.failed).append(payment.pk)
    return report
