"""Failed payments (dunning): each creator's policy, and the retry schedule it gives.

The policy lives with the rest of the creator's money settings (`PaymentPolicy`); the moves it
causes (past due, retries, the final action) happen in `subscriptions.subscription_payment_record`,
which both gateways reach.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from django.db import transaction

from coursedesk.audit.services import Actor, audit_record, change
from coursedesk.audit.types import AuditEventType
from coursedesk.billing.models import PaymentPolicy
from coursedesk.core.errors import InvalidValue

MAX_RETRIES = 8
MAX_RETRY_DAY = 60
MAX_REMINDER_DAYS = 90
# The fields `payment_policy_update` may change.
POLICY_FIELDS = (
    "retry_days",
    "final_action",
    "access_while_past_due",
    "expiry_reminder_days",
    "customer_cancel_at_period_end",
    "business_name",
    "business_address",
    "tax_id",
)


def payment_policy_of(creator) -> PaymentPolicy:
    """The creator's policy; the defaults (retries 3, 5 and 7 days after a failure, keep past due,
    access continues, reminders 7 days before an expiry) until they change it. Never saved here."""
    policy = PaymentPolicy.objects.filter(creator=creator).first()
    return policy if policy is not None else PaymentPolicy(creator=creator)


def retry_days_parse(text: str) -> list[int]:
    """ "3, 5, 7" → [3, 5, 7]; an empty text means no retries. Refuses anything else with a sentence."""
    parts = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
    try:
        days = [int(part) for part in parts]
    except ValueError:
        raise InvalidValue(
            "Write the retry days as whole numbers separated by commas, e.g. 3, 5, 7.",
            code="invalid_retry_days",
        ) from None
    return retry_days_check(days)


def retry_days_check(days: list[int]) -> list[int]:
    if len(days) > MAX_RETRIES:
        raise InvalidValue(f"At most {MAX_RETRIES} retries.", code="invalid_retry_days")
    if any(
        not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= MAX_RETRY_DAY for day in days
    ):
        raise InvalidValue(
            f"Each retry day is a whole number from 1 to {MAX_RETRY_DAY}.", code="invalid_retry_days"
        )
    if any(later <= earlier for earlier, later in itertools.pairwise(days)):
        raise InvalidValue(
            "Retry days count from the failure, so each comes after the one before (e.g. 3, 5, 7).",
            code="invalid_retry_days",
        )
    return days


def payment_policy_update(*, creator, actor: Actor, source: str, **values) -> PaymentPolicy:
    """Changes the creator's policy; audited with the old and new value of each field changed."""
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise InvalidValue(f"Unknown setting: {', '.join(sorted(unknown))}.", code="invalid_setting")
    if "retry_days" in values:
        values["retry_days"] = retry_days_check(list(values["retry_days"]))
    if "final_action" in values and values["final_action"] not in PaymentPolicy.FinalAction.values:
        raise InvalidValue("Choose what happens after the last retry.", code="invalid_final_action")
    days = values.get("expiry_reminder_days")
    if days is not None and not 1 <= days <= MAX_REMINDER_DAYS:
        raise InvalidValue(
            f"Reminders go from 1 to {MAX_REMINDER_DAYS} days before access ends (or choose none).",
            code="invalid_reminder_days",
        )
    with transaction.atomic():
        policy, _ = PaymentPolicy.objects.select_for_update().get_or_create(creator=creator)
        changes = {}
        for name, value in values.items():
            old = getattr(policy, name)
            if old != value:
                changes[name] = change(old, value)
                setattr(policy, name, value)
        if changes:
            policy.save()
            audit_record(
                creator=creator,
                type=AuditEventType.PAYMENT_POLICY_UPDATED,
                actor=actor,
                source=source,
                data=changes,
            )
    return policy


@dataclass(frozen=True)
class RetryPlan:
    """After a failed attempt: when the payment is tried again (None: never) and how many tries remain."""

    retry_at: dt.datetime | None
    retries_left: int


def retry_plan(*, policy: PaymentPolicy, past_due_since: dt.datetime, failures: int) -> RetryPlan:
    """The sandbox's schedule: retries on the policy's days after the first failure. `failures`
    counts the failed attempts so far, this one included (1 is the first failure)."""
    days = policy.retry_days
    retries_made = failures - 1
    if retries_made >= len(days):
        return RetryPlan(None, 0)
    return RetryPlan(past_due_since + dt.timedelta(days=days[retries_made]), len(days) - retries_made)


def retry_plan_from_stripe(
    *, policy: PaymentPolicy, attempt_count: int, next_payment_attempt: dt.datetime | None
) -> RetryPlan:
    """Stripe retries by its own settings; its invoice says how many attempts were made and whether
    another follows. No next attempt means the last one failed."""
    if next_payment_attempt is None:
        return RetryPlan(None, 0)
    return RetryPlan(next_payment_attempt, max(1, len(policy.retry_days) - max(attempt_count, 1) + 1))
