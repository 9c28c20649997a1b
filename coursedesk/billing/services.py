"""State changes of payments and subscriptions: refunds, cancels, pauses. Each is atomic and audited.

Gateway calls happen inside the transaction, after the checks and before the commit: when the
gateway refuses, nothing is recorded as done. Changes that the gateway itself reports (actor kind
"gateway") are recorded without calling it back.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor, audit_record, change
from coursedesk.audit.types import AuditEventType
from coursedesk.billing.gateways import gateway_named
from coursedesk.billing.gateways.base import CardDeclined, GatewayCard, GatewayError
from coursedesk.billing.models import Gateway, GatewayAccount, Payment, Refund, Subscription
from coursedesk.core import clock
from coursedesk.core.errors import DomainError, InvalidValue
from coursedesk.core.money import Money
from coursedesk.customers.models import Enrolment
from coursedesk.customers.services import enrolment_revoke
from coursedesk.mail.models import OutboundEmail
from coursedesk.mail.services import email_queue

Status = Subscription.Status


def _iso(moment: dt.datetime | dt.date | None) -> str | None:
    return moment.isoformat() if moment else None


def _day(moment: dt.datetime) -> str:
    day = timezone.localdate(moment)
    return f"{day:%B} {day.day}, {day.year}"


def _gateway_error(error: GatewayError) -> DomainError:
    return DomainError(f"The payment gateway refused: {error.message}", code="gateway_error", status=502)


# Refunds ----------------------------------------------------------------------------------------


def payment_refund(
    *, payment: Payment, amount: int | None = None, reason: str = "", actor: Actor, source: str
) -> Refund:
    """Refunds `amount` (minor units) of one payment, or everything left when no amount is given.

    The payment row is locked and the refund rows are summed under the lock; the new refund row
    counts as pending before the gateway is called (with its id as the idempotency key), so two
    refunds racing each other can never pass the amount paid. Access is untouched.
    """
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0):
        raise InvalidValue("The refund amount must be more than zero.", code="invalid_amount")
    failure: GatewayError | None = None
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("customer__creator", "course")
            .get(pk=payment.pk)
        )
        if payment.status != Payment.Status.SUCCEEDED:
            raise DomainError(
                "This payment failed, so there is nothing to refund.", code="payment_not_refundable"
            )
        refunded_before = payment.refunded_total()
        left = payment.money - refunded_before
        if left.amount <= 0:
            raise DomainError("This payment has already been refunded in full.", code="nothing_to_refund")
        amount = left.amount if amount is None else amount
        if amount > left.amount:
            raise DomainError(
                f"Only {left.format()} is left to refund on this payment.",
                code="refund_exceeds_refundable",
            )
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
                refunded_before=refunded_before,
                actor=actor,
                source=source,
                test_mode=gateway.is_test_mode,
            )
    if failure is not None:
        raise _gateway_error(failure)
    return refund


def _refund_recorded(
    *,
    payment: Payment,
    refund: Refund,
    refunded_before: Money,
    actor: Actor,
    source: str,
    test_mode: bool,
) -> None:
    """The audit event and the customer's refund notice, in the caller's transaction."""
    refunded_after = refunded_before + refund.money
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
            "refunded_total": change(refunded_before.amount, refunded_after.amount),
            "refundable": change(
                (payment.money - refunded_before).amount, (payment.money - refunded_after).amount
            ),
            **({"reason": refund.reason} if refund.reason else {}),
        },
    )
    customer = payment.customer
    greeting = f"Hi {customer.first_name}," if customer.first_name else "Hello,"
    lines = [
        greeting,
        "",
        f"We have refunded {refund.money.format()} of your payment of {payment.money.format()} "
        f"for {payment.course.title} made on {_day(payment.paid_at)}.",
        "Depending on your bank, it can take 5 to 10 days to appear on your statement.",
    ]
    if test_mode:
        lines += ["", "This payment was made in test mode: no real money moved."]
    lines += ["", creator.name or payment.course.title]
    email_queue(
        creator=creator,
        customer=customer,
        course=payment.course,
        kind=OutboundEmail.Kind.REFUND_NOTICE,
        to=customer.email,
        subject=f"Your refund for {payment.course.title}",
        text_body="\n".join(lines),
        actor=actor,
        source=source,
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
) -> Refund:
    """Records a refund the gateway made (e.g. in Stripe's dashboard). Known refund ids are not
    recorded twice; their status is brought up to date instead."""
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("customer__creator", "course")
            .get(pk=payment.pk)
        )
        known = Refund.objects.filter(gateway_refund_id=gateway_refund_id).first()
        if known is not None:
            return refund_status_sync(refund=known, gateway_refund_id=gateway_refund_id, status=status)
        refunded_before = payment.refunded_total()
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
                refunded_before=refunded_before,
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


# Subscriptions ----------------------------------------------------------------------------------


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
        raise _gateway_error(error) from error


def _cancel(subscription: Subscription, *, actor: Actor, source: str) -> Subscription:
    subscription = _locked(subscription)
    _check_move(subscription, Status.CANCELED, "canceled")
    _tell_gateway(subscription, actor, "subscription_cancel")
    old_status, old_next = subscription.status, subscription.next_payment_at
    subscription.status = Status.CANCELED
    subscription.canceled_at = clock.now()
    subscription.next_payment_at = None
    subscription.paused_until = None
    subscription.next_payment_before_pause_at = None
    subscription.save(
        update_fields=[
            "status",
            "canceled_at",
            "next_payment_at",
            "paused_until",
            "next_payment_before_pause_at",
        ]
    )
    audit_record(
        creator=subscription.customer.creator,
        customer=subscription.customer,
        type=AuditEventType.SUBSCRIPTION_CANCELED,
        actor=actor,
        source=source,
        subject=subscription,
        data={
            "course": subscription.course.title,
            "course_id": subscription.course_id,
            "status": change(old_status, subscription.status),
            "next_payment_at": change(_iso(old_next), None),
        },
    )
    return subscription


def subscription_cancel(*, subscription: Subscription, actor: Actor, source: str) -> Subscription:
    """No further charges. Nothing is refunded and access is untouched."""
    with transaction.atomic():
        return _cancel(subscription, actor=actor, source=source)


def subscription_cancel_by_customer(*, subscription: Subscription, actor: Actor, source: str) -> Subscription:
    """The student's own cancel: no further charges, and their access to the course ends at once."""
    with transaction.atomic():
        subscription = _cancel(subscription, actor=actor, source=source)
        enrolment = (
            Enrolment.objects.filter(customer=subscription.customer, course=subscription.course)
            .order_by("pk")
            .first()
        )
        if enrolment is not None and enrolment.revoked_at is None:
            enrolment_revoke(
                enrolment=enrolment,
                actor=actor,
                source=source,
                reason="The customer canceled their recurring payments.",
            )
    return subscription


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


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
    with transaction.atomic():
        return _pause(subscription, resume_on=resume_on, actor=actor, source=source)


def subscription_pause_from_gateway(
    *, subscription: Subscription, resume_on: dt.date | None, actor: Actor, source: str
) -> Subscription:
    """Records a pause made at the gateway (its dashboard may pause with no resume date)."""
    with transaction.atomic():
        return _pause(subscription, resume_on=resume_on, actor=actor, source=source)


def _pause(
    subscription: Subscription, *, resume_on: dt.date | None, actor: Actor, source: str
) -> Subscription:
    subscription = _locked(subscription)
    if subscription.status != Status.PAUSED:
        _check_move(subscription, Status.PAUSED, "paused")
    if resume_on is not None:
        _tell_gateway(subscription, actor, "subscription_pause", resume_on=resume_on)
    old_status = subscription.status
    old_until, old_next = subscription.paused_until, subscription.next_payment_at
    if subscription.status != Status.PAUSED:
        subscription.next_payment_before_pause_at = subscription.next_payment_at
    subscription.status = Status.PAUSED
    subscription.paused_until = resume_on
    subscription.next_payment_at = _start_of(resume_on) if resume_on else None
    subscription.save(
        update_fields=[
            "status",
            "paused_until",
            "next_payment_at",
            "next_payment_before_pause_at",
        ]
    )
    audit_record(
        creator=subscription.customer.creator,
        customer=subscription.customer,
        type=AuditEventType.SUBSCRIPTION_PAUSED,
        actor=actor,
        source=source,
        subject=subscription,
        data={
            "course": subscription.course.title,
            "course_id": subscription.course_id,
            "status": change(old_status, subscription.status),
            "paused_until": change(_iso(old_until), _iso(resume_on)),
            "next_payment_at": change(_iso(old_next), _iso(subscription.next_payment_at)),
        },
    )
    return subscription


def subscription_resume(*, subscription: Subscription, actor: Actor, source: str) -> Subscription:
    """Ends a pause now. The next payment returns to its original date, or now if that has passed."""
    with transaction.atomic():
        subscription = _locked(subscription)
        if subscription.status != Status.PAUSED:
            raise DomainError("This subscription is not paused.", code="subscription_not_paused")
        _tell_gateway(subscription, actor, "subscription_resume")
        now = clock.now()
        original = subscription.next_payment_before_pause_at
        old_until, old_next = subscription.paused_until, subscription.next_payment_at
        subscription.status = Status.ACTIVE
        subscription.paused_until = None
        subscription.next_payment_at = original if original is not None and original > now else now
        subscription.next_payment_before_pause_at = None
        subscription.save(
            update_fields=[
                "status",
                "paused_until",
                "next_payment_at",
                "next_payment_before_pause_at",
            ]
        )
        audit_record(
            creator=subscription.customer.creator,
            customer=subscription.customer,
            type=AuditEventType.SUBSCRIPTION_RESUMED,
            actor=actor,
            source=source,
            subject=subscription,
            data={
                "course": subscription.course.title,
                "course_id": subscription.course_id,
                "status": change(Status.PAUSED.value, subscription.status),
                "paused_until": change(_iso(old_until), None),
                "next_payment_at": change(_iso(old_next), _iso(subscription.next_payment_at)),
            },
        )
    return subscription


# Payment settings -------------------------------------------------------------------------------


def gateway_account_update(
    *,
    creator,
    gateway: str,
    publishable_key: str = "",
    secret_key: str = "",
    webhook_secret: str = "",
    actor: Actor,
    source: str,
) -> GatewayAccount:
    """Chooses the gateway and saves Stripe keys. Empty keys keep the saved ones; none is logged."""
    if gateway not in Gateway.values:
        raise InvalidValue("Choose a payment gateway.", code="invalid_gateway")
    with transaction.atomic():
        account, _ = GatewayAccount.objects.select_for_update().get_or_create(creator=creator)
        old_gateway = account.gateway
        changed = []
        for field, value in (
            ("stripe_publishable_key", publishable_key),
            ("stripe_secret_key", secret_key),
            ("stripe_webhook_secret", webhook_secret),
        ):
            if value and value != getattr(account, field):
                setattr(account, field, value)
                changed.append(field)
        if gateway == Gateway.STRIPE and not account.stripe_secret_key:
            raise InvalidValue(
                "Enter your Stripe secret key to take payments with Stripe.", code="stripe_key_missing"
            )
        account.gateway = gateway
        if not changed and old_gateway == gateway:
            return account
        account.save()
        audit_record(
            creator=creator,
            type=AuditEventType.GATEWAY_ACCOUNT_UPDATED,
            actor=actor,
            source=source,
            subject=account,
            data={
                "gateway": change(old_gateway, gateway),
                "keys_changed": changed,
                "test_mode": account.is_test_mode,
            },
        )
    return account


# Gateway-driven subscription changes -----------------------------------------------------------


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
) -> Payment | None:
    """Records a renewal the gateway charged (Stripe's invoices). The same invoice is recorded once.

    A payment plan whose last payment arrives becomes completed, and the gateway is told to stop.
    """
    with transaction.atomic():
        subscription = _locked(subscription)
        if (
            reference
            and Payment.objects.filter(gateway=subscription.gateway, gateway_payment_id=reference).exists()
        ):
            return None
        payment = Payment.objects.create(
            customer=subscription.customer,
            course=subscription.course,
            payment_page=subscription.payment_page,
            subscription=subscription,
            amount=amount,
            currency=currency.lower(),
            gateway=subscription.gateway,
            gateway_payment_id=reference,
            status=Payment.Status.SUCCEEDED if succeeded else Payment.Status.FAILED,
            failure_message=failure_message[:500],
            paid_at=clock.now(),
        )
        creator, customer = subscription.customer.creator, subscription.customer
        facts = {
            "course": subscription.course.title,
            "course_id": subscription.course_id,
            "amount": payment.amount,
            "currency": payment.currency,
            "amount_display": payment.money.format(),
            "renewal": True,
        }
        if not succeeded:
            audit_record(
                creator=creator,
                customer=customer,
                type=AuditEventType.PAYMENT_FAILED,
                actor=actor,
                source=source,
                subject=payment,
                data={**facts, "error": payment.failure_message},
            )
            if subscription.status == Status.ACTIVE:
                subscription_status_move(
                    subscription, Status.PAST_DUE, AuditEventType.SUBSCRIPTION_PAST_DUE, actor, source
                )
                subscription.save(update_fields=["status"])
            return payment
        paid = subscription.payments.filter(status=Payment.Status.SUCCEEDED).count()
        plan = subscription.installments_total
        audit_record(
            creator=creator,
            customer=customer,
            type=AuditEventType.PAYMENT_SUCCEEDED,
            actor=actor,
            source=source,
            subject=payment,
            data={**facts, **({"installment": paid, "installments_total": plan} if plan else {})},
        )
        if subscription.status == Status.PAST_DUE:
            subscription_status_move(
                subscription, Status.ACTIVE, AuditEventType.SUBSCRIPTION_RECOVERED, actor, source
            )
        if plan and paid >= plan and subscription.status != Status.COMPLETED:
            gateway = gateway_named(subscription.gateway, creator=creator)
            try:
                # The gateway charges until told otherwise; a plan stops after its last payment.
                gateway.subscription_cancel(subscription_reference=subscription.gateway_subscription_id)
            except GatewayError as error:
                raise _gateway_error(error) from error
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
                next_payment_at=change(_iso(old_next), None),
            )
        elif next_payment_at is not None and subscription.status == Status.ACTIVE:
            subscription.next_payment_at = next_payment_at
        subscription.save()
    return payment


def subscription_status_move(
    subscription: Subscription, to: str, type: str, actor: Actor, source: str, **data
) -> None:
    """Sets the status and writes its audit event; the caller holds the lock and saves."""
    old = subscription.status
    subscription.status = to
    audit_record(
        creator=subscription.customer.creator,
        customer=subscription.customer,
        type=type,
        actor=actor,
        source=source,
        subject=subscription,
        data={
            "course": subscription.course.title,
            "course_id": subscription.course_id,
            "status": change(old, to),
            **data,
        },
    )


def subscription_card_update(
    *, subscription: Subscription, card: GatewayCard, actor: Actor, source: str
) -> Subscription:
    """Future payments use `card`. The same card twice changes nothing."""
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
        audit_record(
            creator=subscription.customer.creator,
            customer=subscription.customer,
            type=AuditEventType.SUBSCRIPTION_CARD_UPDATED,
            actor=actor,
            source=source,
            subject=subscription,
            data={
                "course": subscription.course.title,
                "course_id": subscription.course_id,
                "card": change(old or None, f"{card.brand} {card.last4}"),
            },
        )
    return subscription


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
        raise _gateway_error(error) from error
    return subscription_card_update(subscription=subscription, card=card, actor=actor, source=source)
