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
from coursedesk.billing.models import Gateway, Payment, Subscription
from coursedesk.billing.subscriptions import subscription_charge_now, subscription_status_move
from coursedesk.core import clock

logger = logging.getLogger(__name__)
Status = Subscription.Status


def subscriptions_due(now: dt.datetime | None = None):
    now = now or clock.now()
    # A past-due subscription is tried again on its retry date only; none once its retries are spent.
    return Subscription.objects.filter(gateway=Gateway.SANDBOX, next_payment_at__lte=now).filter(
        Q(status__in=[Status.ACTIVE, Status.PAUSED]) | Q(status=Status.PAST_DUE, next_retry_at__lte=now)
    )


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

        if subscription.status == Status.PAST_DUE and (
            subscription.next_retry_at is None or subscription.next_retry_at > now
        ):
            return None
        # The billing calendar does not move: the next due date follows the one just charged, and a
        # failed charge leaves it where it was while retries follow the creator's policy.
        return subscription_charge_now(subscription=subscription, actor=actor, source=source)


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
