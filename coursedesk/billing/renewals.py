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

from coursedesk.audit.services import Actor, change
from coursedesk.audit.types import AuditEventType, AuditSource
from coursedesk.billing.gateways import gateway_named
from coursedesk.billing.gateways.base import GatewayCharge, GatewayError
from coursedesk.billing.intervals import add_interval
from coursedesk.billing.models import Gateway, Payment, Subscription
from coursedesk.billing.subscriptions import subscription_payment_record, subscription_status_move
from coursedesk.core import clock

logger = logging.getLogger(__name__)
Status = Subscription.Status

# A failed renewal is tried again this long after the last attempt, while the subscription is past due.
RETRY_AFTER = dt.timedelta(days=3)


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


def subscription_renew(*, subscription: Subscription, actor: Actor, source: str) -> Payment | None:
    """Charges one due sandbox subscription and records the outcome through
    `subscription_payment_record`, as Stripe's invoices are; None when it is not due (or not the
    sandbox's)."""
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
                paused_until=change(clock.iso(subscription.paused_until), None),
                reason="resume date reached",
            )
            subscription.paused_until = None
            subscription.next_payment_before_pause_at = None
            subscription.save(update_fields=["status", "paused_until", "next_payment_before_pause_at"])

        if subscription.status == Status.PAST_DUE:
            last_attempt = subscription.payments.order_by("-paid_at", "-pk").first()
            if last_attempt is not None and last_attempt.paid_at + RETRY_AFTER > now:
                return None
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
        # The billing calendar does not move: the next due date follows the one just charged, and a
        # failed charge leaves it where it was while retries follow the last attempt.
        return subscription_payment_record(
            subscription=subscription,
            succeeded=charge.succeeded,
            amount=subscription.amount,
            currency=subscription.currency,
            reference=charge.id,
            failure_message=charge.failure_message,
            next_payment_at=next_due_after(subscription.next_payment_at, subscription.interval, now),
            retry_at=now + RETRY_AFTER,
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
