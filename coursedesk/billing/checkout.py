"""Buying a course: the card-field checkout (sandbox), the hosted one (Stripe), and their fulfilment.

Fulfilment is one transaction: customer found by email or created, enrolment granted, payment
recorded, subscription created for recurring pages, welcome email queued. A checkout session is
fulfilled once; whichever of the webhook and the buyer's return arrives second changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from coursedesk.audit.services import Actor, audit_record
from coursedesk.audit.types import AuditEventType, AuditSource
from coursedesk.billing.emails import payment_receipt_queue
from coursedesk.billing.gateways import gateway_account, gateway_named
from coursedesk.billing.gateways.base import CardDeclined, GatewayCard, GatewayError, HostedCheckout
from coursedesk.billing.intervals import add_interval
from coursedesk.billing.models import CheckoutSession, Gateway, Payment, Subscription
from coursedesk.catalog.models import PaymentPage
from coursedesk.core import clock
from coursedesk.core.errors import DomainError, InvalidValue
from coursedesk.customers.models import Customer, Enrolment
from coursedesk.customers.services import (
    customer_get_or_create,
    enrolment_expiration_set,
    enrolment_grant,
)
from coursedesk.mail.services import welcome_email_queue

PASSWORD_MIN_LENGTH = 8
DECLINED_MESSAGE = "Your card was declined. No payment was taken; please try another card."


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _buyer_checked(*, page: PaymentPage, email: str, first_name: str, password: str) -> str:
    """Validates what the buyer typed; returns the email. New customers must choose a password."""
    if not page.active or not page.course.published:
        raise DomainError("This course is not on sale at the moment.", code="not_on_sale")
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError as error:
        raise InvalidValue("Please enter a valid email address.", code="invalid_email") from error
    if not (first_name or "").strip():
        raise InvalidValue("Please enter your first name.", code="invalid_name")
    existing = Customer.objects.for_creator(page.course.creator).with_email(email).exists()
    if not existing and len(password or "") < PASSWORD_MIN_LENGTH:
        raise InvalidValue(
            f"Choose a password of at least {PASSWORD_MIN_LENGTH} characters for your new account.",
            code="invalid_password",
        )
    return email


def _session_open(*, page, email, first_name, last_name, password, gateway) -> CheckoutSession:
    return CheckoutSession.objects.create(
        payment_page=page,
        email=email,
        first_name=first_name.strip()[:100],
        last_name=(last_name or "").strip()[:100],
        # Only a hash is kept, and only until fulfilment gives it to a new customer.
        password_hash=make_password(password) if password else "",
        gateway=gateway,
        created_at=clock.now(),
    )


def checkout_pay_with_card(
    *,
    page: PaymentPage,
    email: str,
    first_name: str,
    last_name: str = "",
    password: str = "",
    card_number: str,
) -> CheckoutSession:
    """The card-field checkout of the sandbox. A declined card leaves nothing behind."""
    email = _buyer_checked(page=page, email=email, first_name=first_name, password=password)
    if gateway_account(page.course.creator).gateway != Gateway.SANDBOX:
        raise DomainError("This course takes payments on Stripe's page.", code="wrong_gateway")
    gateway = gateway_named(Gateway.SANDBOX, creator=page.course.creator)
    with transaction.atomic():
        session = _session_open(
            page=page,
            email=email,
            first_name=first_name,
            last_name=last_name,
            password=password,
            gateway=Gateway.SANDBOX,
        )
        key = f"checkout-{session.pk}"
        try:
            card = gateway.card_attach(number=card_number, idempotency_key=key)
            charge = gateway.charge(
                payment_method_id=card.payment_method_id,
                amount=page.amount,
                currency=page.currency,
                idempotency_key=key,
            )
        except CardDeclined as error:
            raise DomainError(DECLINED_MESSAGE, code="card_declined", status=402) from error
        except GatewayError as error:
            raise InvalidValue(error.message, code=error.code) from error
        if not charge.succeeded:
            raise DomainError(DECLINED_MESSAGE, code="card_declined", status=402)
        session.gateway_session_id = f"sbx_cs_{session.pk}"
        session.save(update_fields=["gateway_session_id"])
        return checkout_fulfil(
            session=session,
            payment_reference=charge.id,
            card=card,
            subscription_reference=f"sbx_sub_{session.pk}" if page.is_recurring else "",
            actor=Actor.buyer(email),
            source=AuditSource.CHECKOUT,
        )


def checkout_start_hosted(
    *,
    page: PaymentPage,
    email: str,
    first_name: str,
    last_name: str = "",
    password: str = "",
    success_url: str,
    cancel_url: str,
) -> tuple[CheckoutSession, str]:
    """Opens a checkout on the gateway's page; returns the session and where to send the buyer."""
    email = _buyer_checked(page=page, email=email, first_name=first_name, password=password)
    creator = page.course.creator
    gateway = gateway_named(gateway_account(creator).gateway, creator=creator)
    existing = Customer.objects.for_creator(creator).with_email(email).first()
    session = _session_open(
        page=page,
        email=email,
        first_name=first_name,
        last_name=last_name,
        password=password,
        gateway=gateway.name,
    )
    try:
        hosted = gateway.hosted_checkout_create(
            page=page,
            email=email,
            client_reference=str(session.pk),
            success_url=success_url,
            cancel_url=cancel_url,
            customer_reference=existing.gateway_customer_id if existing else "",
        )
    except GatewayError as error:
        session.status = CheckoutSession.Status.FAILED
        session.save(update_fields=["status"])
        raise DomainError(
            f"Checkout could not start: {error.message}", code="gateway_error", status=502
        ) from error
    session.gateway_session_id = hosted.id
    session.save(update_fields=["gateway_session_id"])
    return session, hosted.url


def checkout_complete_hosted(
    *, creator, hosted: HostedCheckout, actor: Actor, source: str
) -> CheckoutSession | None:
    """Fulfils a completed hosted checkout of `creator`'s; None when it is not one of ours."""
    session = (
        CheckoutSession.objects.select_related("payment_page__course")
        .filter(gateway=Gateway.STRIPE, gateway_session_id=hosted.id, payment_page__course__creator=creator)
        .first()
    )
    if session is None:
        return None
    if not hosted.complete:
        raise DomainError("The payment is not complete yet.", code="checkout_incomplete")
    return checkout_fulfil(
        session=session,
        payment_reference=hosted.payment_reference,
        amount=hosted.amount,
        subscription_reference=hosted.subscription_reference,
        customer_reference=hosted.customer_reference,
        actor=actor,
        source=source,
    )


def checkout_fulfil(
    *,
    session: CheckoutSession,
    payment_reference: str,
    actor: Actor,
    source: str,
    amount: int | None = None,
    subscription_reference: str = "",
    card: GatewayCard | None = None,
    customer_reference: str = "",
    next_payment_at: dt.datetime | None = None,
) -> CheckoutSession:
    """Gives the buyer what they paid for, once. A session already fulfilled is returned unchanged."""
    with transaction.atomic():
        session = (
            CheckoutSession.objects.select_for_update(of=("self",))
            .select_related("payment_page__course__creator")
            .get(pk=session.pk)
        )
        if session.status == CheckoutSession.Status.COMPLETED:
            return session
        page = session.payment_page
        course, creator, now = page.course, page.course.creator, clock.now()

        customer, created = customer_get_or_create(
            creator=creator,
            email=session.email,
            first_name=session.first_name,
            last_name=session.last_name,
            actor=actor,
            source=source,
        )
        updates = []
        if created and session.password_hash:
            customer.password = session.password_hash
            updates.append("password")
        if customer_reference and not customer.gateway_customer_id:
            customer.gateway_customer_id = customer_reference
            updates.append("gateway_customer_id")
        if updates:
            customer.save(update_fields=updates)

        expires_at = now + dt.timedelta(days=page.access_days) if page.access_days else None
        enrolment = enrolment_grant(
            customer=customer,
            course=course,
            expires_at=expires_at,
            payment_page=page,
            enrolment_source=Enrolment.Source.CHECKOUT,
            actor=actor,
            source=source,
        )
        # Buying again never shortens access: lifetime wins, and a later end date wins.
        if enrolment.expires_at is not None and (expires_at is None or expires_at > enrolment.expires_at):
            enrolment_expiration_set(enrolment=enrolment, expires_at=expires_at, actor=actor, source=source)

        subscription = None
        if page.is_recurring:
            subscription = Subscription.objects.create(
                customer=customer,
                course=course,
                payment_page=page,
                amount=page.amount,
                currency=page.currency,
                interval=page.interval,
                installments_total=page.installments,
                status=Subscription.Status.ACTIVE,
                started_at=now,
                next_payment_at=next_payment_at or add_interval(now, page.interval),
                gateway=session.gateway,
                gateway_subscription_id=subscription_reference,
                gateway_payment_method_id=card.payment_method_id if card else "",
                card_brand=card.brand if card else "",
                card_last4=card.last4 if card else "",
            )
            audit_record(
                creator=creator,
                customer=customer,
                type=AuditEventType.SUBSCRIPTION_CREATED,
                actor=actor,
                source=source,
                subject=subscription,
                data={
                    "course": course.title,
                    "course_id": course.pk,
                    "amount": subscription.amount,
                    "currency": subscription.currency,
                    "interval": subscription.interval,
                    "installments_total": subscription.installments_total,
                    "next_payment_at": _iso(subscription.next_payment_at),
                },
            )
        payment = Payment.objects.create(
            customer=customer,
            course=course,
            payment_page=page,
            subscription=subscription,
            amount=amount or page.amount,
            currency=page.currency,
            status=Payment.Status.SUCCEEDED,
            gateway=session.gateway,
            gateway_payment_id=payment_reference,
            paid_at=now,
        )
        audit_record(
            creator=creator,
            customer=customer,
            type=AuditEventType.PAYMENT_SUCCEEDED,
            actor=actor,
            source=source,
            subject=payment,
            data={
                "course": course.title,
                "course_id": course.pk,
                "amount": payment.amount,
                "currency": payment.currency,
                "amount_display": payment.money.format(),
                "payment_page": page.name,
                **({"installment": 1, "installments_total": page.installments} if page.installments else {}),
            },
        )
        welcome_email_queue(customer=customer, course=course, actor=actor, source=source)
        test_mode = session.gateway == Gateway.SANDBOX or gateway_account(creator).is_test_mode
        payment_receipt_queue(payment=payment, test_mode=test_mode, actor=actor, source=source)

        session.status = CheckoutSession.Status.COMPLETED
        session.customer = customer
        session.completed_at = now
        session.password_hash = ""
        session.save(update_fields=["status", "customer", "completed_at", "password_hash"])
    return session
