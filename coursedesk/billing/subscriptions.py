"""Subscriptions: cancel, pause, resume, card changes and the payments of each renewal.

Each change is atomic and audited. Gateway calls happen inside the transaction, after the checks
and before the commit: when the gateway refuses, nothing is recorded as done. Changes that the
gateway itself reports (actor kind "gateway") are recorded without calling it back.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor, audit_record, change
from coursedesk.audit.types import AuditEventType
from coursedesk.billing.dunning import RetryPlan, payment_policy_of, retry_plan
from coursedesk.billing.emails import (
    card_update_link_queue,
    payment_failed_notice_queue,
    payment_receipt_queue,
)
from coursedesk.billing.gateways import gateway_named, gateway_refusal
from coursedesk.billing.gateways.base import CardDeclined, GatewayCard, GatewayCharge, GatewayError
from coursedesk.billing.gateways.stripe import pause_resumes_at
from coursedesk.billing.intervals import first_due_from, next_due_after
from coursedesk.billing.models import Gateway, Payment, PaymentPolicy, Subscription
from coursedesk.billing.payments import payment_record
from coursedesk.core import clock
from coursedesk.core.errors import DomainError, InvalidValue
from coursedesk.customers.models import Enrolment
from coursedesk.customers.services import enrolment_revoke

logger = logging.getLogger(__name__)
Status = Subscription.Status
# What a pause, a resume and a cancel change besides the status.
SCHEDULE_FIELDS = ["paused_until", "next_payment_at", "next_payment_before_pause_at"]


def _locked(subscription: Subscription) -> Subscription:
    return (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("customer__creator", "course")
        .get(pk=subscription.pk)
    )


def _check_move(subscription: Subscription, to: str, verb: str) -> None:
    if subscription.can_move_to(to):
        return
    if subscription.status == Status.CANCELED:
        if to == Status.CANCELED:
            raise DomainError("This subscription is already canceled.", code="subscription_already_canceled")
        raise DomainError(
            f"This subscription is canceled; it cannot be {verb}.", code="subscription_canceled"
        )
    if subscription.status == Status.COMPLETED:
        raise DomainError(
            f"This payment plan is complete (every payment was made); it cannot be {verb}.",
            code="subscription_completed",
        )
    raise DomainError(
        f"A {subscription.get_status_display().lower()} subscription cannot be {verb}.",
        code="subscription_status",
    )


def _tell_gateway(subscription: Subscription, actor: Actor, call: str, **arguments) -> None:
    """Asks the gateway to make the same move, unless the gateway is the one reporting it."""
    if actor.kind == AuditEvent.ActorKind.GATEWAY or not subscription.gateway_subscription_id:
        return
    gateway = gateway_named(subscription.gateway, creator=subscription.customer.creator)
    try:
        getattr(gateway, call)(subscription_reference=subscription.gateway_subscription_id, **arguments)
    except GatewayError as error:
        raise gateway_refusal(error) from error


def _enrolment_of(subscription: Subscription) -> Enrolment | None:
    return (
        Enrolment.objects.filter(customer=subscription.customer, course=subscription.course)
        .order_by("pk")
        .first()
    )


def _cancel(
    subscription: Subscription, *, actor: Actor, source: str, at: dt.datetime | None = None, reason: str = ""
) -> Subscription:
    subscription = _locked(subscription)
    _check_move(subscription, Status.CANCELED, "canceled")
    _tell_gateway(subscription, actor, "subscription_cancel")
    old_next = subscription.next_payment_at
    subscription.canceled_at = at or clock.now()
    subscription.next_payment_at = None
    subscription.paused_until = None
    subscription.next_payment_before_pause_at = None
    subscription.next_retry_at = subscription.retries_left = None
    subscription_status_move(
        subscription,
        Status.CANCELED,
        AuditEventType.SUBSCRIPTION_CANCELED,
        actor,
        source,
        next_payment_at=change(clock.iso(old_next), None),
        **({"reason": reason} if reason else {}),
    )
    subscription.save(
        update_fields=["status", "canceled_at", "next_retry_at", "retries_left", *SCHEDULE_FIELDS]
    )
    return subscription


def subscription_cancel(
    *, subscription: Subscription, actor: Actor, source: str, at_period_end: bool = False
) -> Subscription:
    """No further charges: now, or (`at_period_end`) once the period already paid for ends, which
    can be undone until then. Nothing is refunded and access is untouched."""
    with transaction.atomic():
        if at_period_end:
            return _cancel_at_period_end(subscription, actor=actor, source=source)
        return _cancel(subscription, actor=actor, source=source)


def _cancel_at_period_end(
    subscription: Subscription, *, actor: Actor, source: str, by_customer: bool = False
) -> Subscription:
    subscription = _locked(subscription)
    _check_move(subscription, Status.CANCELED, "canceled")
    if subscription.status != Status.ACTIVE or subscription.next_payment_at is None:
        raise DomainError(
            f"A {subscription.get_status_display().lower()} subscription has no paid period to finish; "
            "cancel it now instead.",
            code="subscription_status",
        )
    if subscription.cancel_at_period_end:
        raise DomainError(
            f"This subscription already ends on {timezone.localdate(subscription.next_payment_at):%Y-%m-%d}.",
            code="subscription_already_ending",
        )
    _tell_gateway(subscription, actor, "subscription_cancel_at_period_end", cancel=True)
    subscription.cancel_at_period_end = True
    subscription.canceled_by_customer = by_customer
    subscription.save(update_fields=["cancel_at_period_end", "canceled_by_customer"])
    _subscription_event(
        subscription,
        AuditEventType.SUBSCRIPTION_CANCEL_SCHEDULED,
        actor,
        source,
        ends_at=clock.iso(subscription.next_payment_at),
        cancel_at_period_end=change(False, True),
    )
    return subscription


def subscription_uncancel(*, subscription: Subscription, actor: Actor, source: str) -> Subscription:
    """Takes back a cancel at the period's end: payments go on as before."""
    with transaction.atomic():
        subscription = _locked(subscription)
        if not subscription.cancel_at_period_end or subscription.status == Status.CANCELED:
            raise DomainError("This subscription is not set to end.", code="subscription_not_ending")
        _tell_gateway(subscription, actor, "subscription_cancel_at_period_end", cancel=False)
        subscription.cancel_at_period_end = False
        subscription.canceled_by_customer = False
        subscription.save(update_fields=["cancel_at_period_end", "canceled_by_customer"])
        _subscription_event(
            subscription,
            AuditEventType.SUBSCRIPTION_CANCEL_UNDONE,
            actor,
            source,
            cancel_at_period_end=change(True, False),
            next_payment_at=clock.iso(subscription.next_payment_at),
        )
    return subscription


def subscription_period_end_reached(*, subscription: Subscription, actor: Actor, source: str) -> Subscription:
    """A subscription set to end at its period's end reaches it: canceled as of that moment, and,
    when the student canceled it themselves, their access ends with it."""
    with transaction.atomic():
        subscription = _locked(subscription)
        ends_at = subscription.next_payment_at
        subscription = _cancel(
            subscription, actor=actor, source=source, at=ends_at, reason="paid period ended"
        )
        if subscription.canceled_by_customer:
            _revoke_for_customer_cancel(subscription, actor=actor, source=source)
    return subscription


def _revoke_for_customer_cancel(subscription: Subscription, *, actor: Actor, source: str) -> None:
    enrolment = _enrolment_of(subscription)
    if enrolment is not None and enrolment.revoked_at is None:
        enrolment_revoke(
            enrolment=enrolment,
            actor=actor,
            source=source,
            reason="The customer canceled their recurring payments.",
        )


def subscription_cancel_by_customer(*, subscription: Subscription, actor: Actor, source: str) -> Subscription:
    """The student's own cancel: no further charges, and their access to the course ends with it,
    at once or (when the creator chose so) when the period they paid for ends."""
    with transaction.atomic():
        if customer_cancel_ends_at(subscription) is not None:
            return _cancel_at_period_end(subscription, actor=actor, source=source, by_customer=True)
        subscription = _cancel(subscription, actor=actor, source=source)
        subscription.canceled_by_customer = True
        subscription.save(update_fields=["canceled_by_customer"])
        _revoke_for_customer_cancel(subscription, actor=actor, source=source)
    return subscription


def customer_cancel_ends_at(subscription: Subscription) -> dt.datetime | None:
    """When a student's own cancel would end this subscription and their access: None for "at once"
    (the creator's default), else the end of the period they paid for."""
    policy = payment_policy_of(subscription.customer.creator)
    if (
        policy.customer_cancel_at_period_end
        and subscription.status == Status.ACTIVE
        and subscription.next_payment_at is not None
        and subscription.next_payment_at > clock.now()
    ):
        return subscription.next_payment_at
    return None


def subscription_pause(
    *, subscription: Subscription, resume_on: dt.date, actor: Actor, source: str
) -> Subscription:
    """No charge until `resume_on` (a future date), when the next payment falls; access continues.

    Pausing a paused subscription again moves its resume date.
    """
    if isinstance(resume_on, dt.datetime):
        resume_on = timezone.localdate(resume_on)
    if not isinstance(resume_on, dt.date):
        raise InvalidValue("Pick the date the payments resume.", code="invalid_resume_on")
    if resume_on <= clock.today():
        raise InvalidValue("The resume date must be in the future.", code="invalid_resume_on")
    if not clock.in_range(resume_on):
        raise InvalidValue(
            f"The resume date is out of range. {clock.RANGE_MESSAGE}", code="invalid_resume_on"
        )
    with transaction.atomic():
        return _pause(subscription, resume_on=resume_on, actor=actor, source=source)


def subscription_pause_from_gateway(
    *, subscription: Subscription, resumes_at: dt.datetime | None, actor: Actor, source: str
) -> Subscription:
    """Records a pause made at the gateway, until the moment it resumes collecting (its dashboard
    may pause with no resume date)."""
    resume_on = resumes_at.astimezone(dt.UTC).date() if resumes_at is not None else None
    with transaction.atomic():
        return _pause(subscription, resume_on=resume_on, resumes_at=resumes_at, actor=actor, source=source)


def pause_next_payment_at(
    subscription: Subscription, *, resume_on: dt.date, resumes_at: dt.datetime | None = None
) -> dt.datetime:
    """When the first payment after a pause until `resume_on` is taken.

    The sandbox takes it on that day. Stripe pauses with `behavior=void`, which keeps the billing
    cycle: the invoices falling in the pause are made and voided, and the next charge is the first
    cycle date at or after the moment collection resumes (`resumes_at`, midnight UTC of the day when
    CourseDesk asks), not that day itself ("Pause payment collection" in Stripe's guides). The date
    recorded is the one Stripe will charge.
    """
    if subscription.gateway != Gateway.STRIPE:
        return clock.start_of_day(resume_on)
    resumes_at = resumes_at or pause_resumes_at(resume_on)
    due = (
        subscription.next_payment_before_pause_at
        if subscription.status == Status.PAUSED
        else subscription.next_payment_at
    )
    return first_due_from(due, subscription.interval, resumes_at) if due is not None else resumes_at


def _pause(
    subscription: Subscription,
    *,
    resume_on: dt.date | None,
    actor: Actor,
    source: str,
    resumes_at: dt.datetime | None = None,
) -> Subscription:
    subscription = _locked(subscription)
    if subscription.status != Status.PAUSED:
        _check_move(subscription, Status.PAUSED, "paused")
    if resume_on is not None:
        _tell_gateway(subscription, actor, "subscription_pause", resume_on=resume_on)
    old_until, old_next = subscription.paused_until, subscription.next_payment_at
    next_payment_at = (
        pause_next_payment_at(subscription, resume_on=resume_on, resumes_at=resumes_at) if resume_on else None
    )
    if subscription.status != Status.PAUSED:
        subscription.next_payment_before_pause_at = subscription.next_payment_at
    subscription.paused_until = resume_on
    subscription.next_payment_at = next_payment_at
    subscription_status_move(
        subscription,
        Status.PAUSED,
        AuditEventType.SUBSCRIPTION_PAUSED,
        actor,
        source,
        paused_until=change(clock.iso(old_until), clock.iso(resume_on)),
        next_payment_at=change(clock.iso(old_next), clock.iso(subscription.next_payment_at)),
    )
    subscription.save(update_fields=["status", *SCHEDULE_FIELDS])
    return subscription


def subscription_resume(*, subscription: Subscription, actor: Actor, source: str) -> Subscription:
    """Ends a pause now. The next payment returns to its original date, or, if that has passed, is
    taken now (sandbox) or on the next date of the billing cycle (Stripe keeps the cycle: what fell
    in the pause was voided)."""
    with transaction.atomic():
        subscription = _locked(subscription)
        if subscription.status != Status.PAUSED:
            raise DomainError("This subscription is not paused.", code="subscription_not_paused")
        _tell_gateway(subscription, actor, "subscription_resume")
        now = clock.now()
        original = subscription.next_payment_before_pause_at
        old_until, old_next = subscription.paused_until, subscription.next_payment_at
        subscription.paused_until = None
        if original is not None and original > now:
            subscription.next_payment_at = original
        elif original is not None and subscription.gateway == Gateway.STRIPE:
            subscription.next_payment_at = first_due_from(original, subscription.interval, now)
        else:
            subscription.next_payment_at = now
        subscription.next_payment_before_pause_at = None
        subscription_status_move(
            subscription,
            Status.ACTIVE,
            AuditEventType.SUBSCRIPTION_RESUMED,
            actor,
            source,
            paused_until=change(clock.iso(old_until), None),
            next_payment_at=change(clock.iso(old_next), clock.iso(subscription.next_payment_at)),
        )
        subscription.save(update_fields=["status", *SCHEDULE_FIELDS])
    return subscription


def subscription_charge_now(
    *, subscription: Subscription, actor: Actor, source: str, after_card_update: bool = False
) -> Payment | None:
    """Charges a sandbox subscription's card now for the payment due, and records the outcome
    through `subscription_payment_record`: a renewal when due, a retry of a past-due payment, or
    the retry right after the student gave a new card. The caller holds the subscription's lock."""
    now = clock.now()
    number = subscription.payments.count() + 1  # every attempt has its row, so keys never repeat
    gateway = gateway_named(Gateway.SANDBOX, creator=subscription.customer.creator)
    discount = subscription.next_discount
    try:
        charge = gateway.charge(
            payment_method_id=subscription.gateway_payment_method_id,
            amount=subscription.amount - discount,
            currency=subscription.currency,
            idempotency_key=f"renewal-{subscription.pk}-{number}",
        )
    except GatewayError as error:
        charge = GatewayCharge(
            id=f"sbx_ch_renewal_{subscription.pk}_{number}", succeeded=False, failure_message=error.message
        )
    return subscription_payment_record(
        subscription=subscription,
        succeeded=charge.succeeded,
        amount=subscription.amount - discount,
        discount=discount,
        currency=subscription.currency,
        reference=charge.id,
        failure_message=charge.failure_message,
        next_payment_at=next_due_after(subscription.next_payment_at or now, subscription.interval, now),
        after_card_update=after_card_update,
        actor=actor,
        source=source,
    )


def subscription_payment_record(
    *,
    subscription: Subscription,
    succeeded: bool,
    amount: int,
    currency: str,
    reference: str,
    actor: Actor,
    source: str,
    failure_message: str = "",
    next_payment_at: dt.datetime | None = None,
    retry: RetryPlan | None = None,
    after_card_update: bool = False,
    discount: int = 0,
) -> Payment | None:
    """Records one renewal payment, taken or failed, whichever gateway charged it: Stripe's invoices
    (webhooks) and the sandbox's own charges both end here.

    A payment already recorded under `reference` is not recorded again (None). A payment taken
    brings a past-due subscription back, completes a plan at its last payment (and tells the gateway
    to stop charging) or moves the next payment to `next_payment_at`, and queues the receipt. A
    failed one makes an active subscription past due and follows the creator's dunning policy:
    `retry` is the gateway's own plan (Stripe retries by its settings), else the sandbox retries on
    the policy's days after the first failure. Each failure queues a notice; when the last retry
    fails, the policy's final action follows. A failed retry right after a card update
    (`after_card_update`) leaves the schedule as it was. The due date stays where it was. A payment
    taken with the coupon's `discount` uses up one of the subscription's discounted payments.
    """
    with transaction.atomic():
        subscription = _locked(subscription)
        if (
            reference
            and Payment.objects.filter(gateway=subscription.gateway, gateway_payment_id=reference).exists()
        ):
            return None
        gateway = gateway_named(subscription.gateway, creator=subscription.customer.creator)
        plan = subscription.installments_total
        paid = subscription.payments.filter(status=Payment.Status.SUCCEEDED).count() + 1
        payment = payment_record(
            customer=subscription.customer,
            course=subscription.course,
            payment_page=subscription.payment_page,
            subscription=subscription,
            amount=amount,
            currency=currency,
            gateway=subscription.gateway,
            reference=reference,
            succeeded=succeeded,
            failure_message=failure_message,
            discount=discount,
            coupon=subscription.coupon if discount else None,
            details={
                "renewal": True,
                **({"installment": paid, "installments_total": plan} if plan and succeeded else {}),
            },
            actor=actor,
            source=source,
        )
        if not succeeded:
            _payment_failed(
                subscription,
                payment,
                retry=retry,
                after_card_update=after_card_update,
                test_mode=gateway.is_test_mode,
                actor=actor,
                source=source,
            )
            return payment
        if subscription.status == Status.PAST_DUE:
            subscription_status_move(
                subscription, Status.ACTIVE, AuditEventType.SUBSCRIPTION_RECOVERED, actor, source
            )
        subscription.past_due_since = subscription.next_retry_at = subscription.retries_left = None
        if discount and subscription.discount_payments_left:
            subscription.discount_payments_left -= 1
        if plan and paid >= plan and subscription.can_move_to(Status.COMPLETED):
            try:
                # The gateway charges until told otherwise; a plan stops after its last payment.
                gateway.subscription_cancel(subscription_reference=subscription.gateway_subscription_id)
            except GatewayError as error:
                raise gateway_refusal(error) from error
            old_next = subscription.next_payment_at
            subscription.next_payment_at = None
            subscription.completed_at = clock.now()
            subscription_status_move(
                subscription,
                Status.COMPLETED,
                AuditEventType.SUBSCRIPTION_COMPLETED,
                actor,
                source,
                payments_made=paid,
                next_payment_at=change(clock.iso(old_next), None),
            )
        elif next_payment_at is not None and subscription.status == Status.ACTIVE:
            subscription.next_payment_at = next_payment_at
        subscription.save()
        payment_receipt_queue(
            payment=payment, test_mode=gateway.is_test_mode, installment=paid, actor=actor, source=source
        )
    return payment


def _payment_failed(
    subscription: Subscription,
    payment: Payment,
    *,
    retry: RetryPlan | None,
    after_card_update: bool,
    test_mode: bool,
    actor: Actor,
    source: str,
) -> None:
    """Past due, the next retry (or none), the notice, and the final action after the last retry."""
    policy = payment_policy_of(subscription.customer.creator)
    if subscription.status in (Status.CANCELED, Status.COMPLETED, Status.PAUSED):
        # A late report of a failure on a subscription that has moved on: recorded, nothing more.
        return
    first_failure = subscription.status == Status.ACTIVE or subscription.past_due_since is None
    if first_failure:
        subscription.past_due_since = payment.paid_at
    if after_card_update and not first_failure:
        retry = RetryPlan(subscription.next_retry_at, subscription.retries_left or 0)
    elif retry is None:
        failures = subscription.payments.filter(
            status=Payment.Status.FAILED, paid_at__gte=subscription.past_due_since
        ).count()
        retry = retry_plan(policy=policy, past_due_since=subscription.past_due_since, failures=failures)
    exhausted = retry.retries_left == 0 and (first_failure or bool(subscription.retries_left))
    subscription.next_retry_at, subscription.retries_left = retry.retry_at, retry.retries_left
    if subscription.status == Status.ACTIVE:
        subscription_status_move(
            subscription,
            Status.PAST_DUE,
            AuditEventType.SUBSCRIPTION_PAST_DUE,
            actor,
            source,
            retries_left=retry.retries_left,
            **({"retry_at": clock.iso(retry.retry_at)} if retry.retry_at else {}),
        )
    subscription.save(update_fields=["status", "past_due_since", "next_retry_at", "retries_left"])
    final_action = policy.final_action if exhausted else ""
    payment_failed_notice_queue(
        payment=payment,
        retry_at=retry.retry_at,
        final_action=final_action,
        test_mode=test_mode,
        actor=actor,
        source=source,
    )
    if not exhausted:
        return
    _subscription_event(
        subscription, AuditEventType.SUBSCRIPTION_RETRIES_EXHAUSTED, actor, source, final_action=final_action
    )
    if final_action == PaymentPolicy.FinalAction.KEEP_PAST_DUE:
        return
    # CourseDesk carries out the creator's choice itself, so the gateway is told even when it was the
    # one reporting the failure.
    _cancel(subscription, actor=Actor.system(), source=source)
    if final_action == PaymentPolicy.FinalAction.CANCEL_AND_REVOKE:
        enrolment = _enrolment_of(subscription)
        if enrolment is not None and enrolment.revoked_at is None:
            enrolment_revoke(
                enrolment=enrolment,
                actor=Actor.system(),
                source=source,
                reason="The payment failed after every retry.",
            )


def subscription_status_move(
    subscription: Subscription, to: str, type: str, actor: Actor, source: str, **data
) -> None:
    """Sets the status and writes its audit event; the caller holds the lock and saves."""
    old = subscription.status
    subscription.status = to
    _subscription_event(subscription, type, actor, source, status=change(old, to), **data)


def _subscription_event(subscription: Subscription, type: str, actor: Actor, source: str, **data) -> None:
    """A subscription's timeline event, naming its course."""
    audit_record(
        creator=subscription.customer.creator,
        customer=subscription.customer,
        type=type,
        actor=actor,
        source=source,
        subject=subscription,
        data={"course": subscription.course.title, "course_id": subscription.course_id, **data},
    )


def subscription_card_update(
    *, subscription: Subscription, card: GatewayCard, actor: Actor, source: str
) -> Subscription:
    """Future payments use `card`; a past-due payment is tried again with it at once. The same card
    twice changes nothing."""
    with transaction.atomic():
        subscription = _locked(subscription)
        if subscription.status in (Status.CANCELED, Status.COMPLETED):
            _check_move(subscription, Status.ACTIVE, "given a new card")
        if subscription.gateway_payment_method_id == card.payment_method_id:
            return subscription
        old = f"{subscription.card_brand} {subscription.card_last4}".strip()
        subscription.gateway_payment_method_id = card.payment_method_id
        subscription.card_brand, subscription.card_last4 = card.brand, card.last4
        subscription.save(update_fields=["gateway_payment_method_id", "card_brand", "card_last4"])
        _subscription_event(
            subscription,
            AuditEventType.SUBSCRIPTION_CARD_UPDATED,
            actor,
            source,
            card=change(old or None, f"{card.brand} {card.last4}"),
        )
        if subscription.status == Status.PAST_DUE:
            _retry_after_card_update(subscription, actor=actor, source=source)
            subscription.refresh_from_db()
    return subscription


def _retry_after_card_update(subscription: Subscription, *, actor: Actor, source: str) -> None:
    """A new card tries the unpaid payment at once. The sandbox charges it here; Stripe is asked to
    pay its open invoice, and reports the outcome by webhook (invoice.paid or payment_failed)."""
    if subscription.gateway == Gateway.SANDBOX:
        subscription_charge_now(subscription=subscription, actor=actor, source=source, after_card_update=True)
        return
    gateway = gateway_named(subscription.gateway, creator=subscription.customer.creator)
    try:
        gateway.subscription_open_invoice_pay(subscription_reference=subscription.gateway_subscription_id)
    except GatewayError:
        # The card is saved either way; a refused retry arrives as invoice.payment_failed.
        logger.info("retry of subscription %s after a card update was refused", subscription.pk)


def subscription_card_update_with_test_card(
    *, subscription: Subscription, card_number: str, actor: Actor, source: str
) -> Subscription:
    """The sandbox's card form: Stripe's test cards only."""
    if subscription.gateway != Gateway.SANDBOX:
        raise DomainError("This subscription's card is updated on Stripe's page.", code="wrong_gateway")
    gateway = gateway_named(Gateway.SANDBOX, creator=subscription.customer.creator)
    key = f"card-{subscription.pk}-{clock.now():%Y%m%d%H%M%S%f}"
    try:
        card = gateway.card_attach(number=card_number, idempotency_key=key)
    except CardDeclined as error:
        raise DomainError(
            "This card was declined. Please try another card.", code="card_declined", status=402
        ) from error
    except GatewayError as error:
        raise InvalidValue(error.message, code=error.code) from error
    return subscription_card_update(subscription=subscription, card=card, actor=actor, source=source)


def subscription_card_update_from_setup(
    *, subscription: Subscription, setup_reference: str, actor: Actor, source: str
) -> Subscription:
    """After a setup-mode hosted checkout: the card it saved becomes the subscription's."""
    gateway = gateway_named(subscription.gateway, creator=subscription.customer.creator)
    try:
        method = gateway.setup_payment_method(setup_reference=setup_reference)
        card = gateway.subscription_payment_method_set(
            subscription_reference=subscription.gateway_subscription_id,
            customer_reference=subscription.customer.gateway_customer_id,
            payment_method_id=method,
        )
    except GatewayError as error:
        raise gateway_refusal(error) from error
    return subscription_card_update(subscription=subscription, card=card, actor=actor, source=source)


def subscription_card_update_link_check(subscription: Subscription) -> None:
    if subscription.status != Status.PAST_DUE:
        status = subscription.get_status_display().lower()
        raise DomainError(
            f"Only a past-due subscription needs a new card; this one is {status}.",
            code="subscription_not_past_due",
        )


def subscription_card_update_link_send(*, subscription: Subscription, actor: Actor, source: str):
    """Emails the customer of a past-due subscription the billing page's address, where a new card
    is saved and tried at once; the timeline records that the link went out."""
    with transaction.atomic():
        subscription = _locked(subscription)
        subscription_card_update_link_check(subscription)
        creator = subscription.customer.creator
        email = card_update_link_queue(
            subscription=subscription,
            test_mode=gateway_named(subscription.gateway, creator=creator).is_test_mode,
            actor=actor,
            source=source,
        )
        _subscription_event(
            subscription, AuditEventType.SUBSCRIPTION_CARD_UPDATE_LINK_SENT, actor, source, email_id=email.pk
        )
    return email
