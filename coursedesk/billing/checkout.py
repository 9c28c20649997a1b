"""Buying a course: the card-field checkout (sandbox), the hosted one (Stripe), and their fulfilment.

Fulfilment is one transaction: customer found by email or created, enrolment granted, payment
recorded, subscription created for recurring pages, welcome email queued. A checkout session is
fulfilled once; whichever of the webhook and the buyer's return arrives second changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from coursedesk.audit.services import Actor, audit_record
from coursedesk.audit.types import AuditEventType, AuditSource
from coursedesk.billing.emails import payment_receipt_queue
from coursedesk.billing.gateways import gateway_account, gateway_named
from coursedesk.billing.gateways.base import CardDeclined, GatewayCard, GatewayError, HostedCheckout
from coursedesk.billing.intervals import add_interval
from coursedesk.billing.models import CheckoutSession, Gateway, Subscription
from coursedesk.billing.payments import payment_record
from coursedesk.catalog.coupons import coupon_quote, coupon_redeem
from coursedesk.catalog.models import PaymentPage
from coursedesk.core import clock
from coursedesk.core.errors import DomainError, InvalidValue
from coursedesk.core.locks import transaction_lock
from coursedesk.core.text import normalize_email
from coursedesk.customers.models import Customer, Enrolment
from coursedesk.customers.services import (
    customer_get_or_create,
    enrolment_expiration_set,
    enrolment_grant,
    enrolment_renew,
    password_check,
)
from coursedesk.mail.services import welcome_email_queue

DECLINED_MESSAGE = "Your card was declined. No payment was taken; please try another card."


def _buyer_checked(*, page: PaymentPage, email: str, first_name: str, last_name: str, password: str) -> str:
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
    if not existing:
        # The unsaved customer lets the validators refuse a password that repeats the buyer's name
        # or email.
        buyer = Customer(email=email, first_name=first_name.strip(), last_name=(last_name or "").strip())
        password_check(password or "", customer=buyer)
    return email


INTENT_SALT = "coursedesk.checkout-intent"
EXPIRED_FORM_MESSAGE = "This checkout form has expired. Please reload the page and try again."
BUSY_MESSAGE = "Your payment is still being processed. Please wait a moment and reload the page."
# Statuses in which a subscription still charges or may charge again.
LIVE_SUBSCRIPTION = (Subscription.Status.ACTIVE, Subscription.Status.PAUSED, Subscription.Status.PAST_DUE)


def _intent_signer(page: PaymentPage) -> signing.Signer:
    return signing.Signer(salt=f"{INTENT_SALT}:{page.pk}")


def checkout_intent_issue(*, page: PaymentPage) -> str:
    """A new purchase intent for one showing of `page`'s checkout form: a random key, signed for this
    page, that the form sends back. However often that form is sent, it pays at most once."""
    return _intent_signer(page).sign(secrets.token_urlsafe(24))


def checkout_intent_key(*, page: PaymentPage, signed: str) -> str:
    """The key of a purchase intent that `checkout_intent_issue` made for this page."""
    try:
        key = _intent_signer(page).unsign(signed or "")
    except signing.BadSignature as error:
        raise InvalidValue(EXPIRED_FORM_MESSAGE, code="invalid_intent") from error
    if not key or len(key) > 64:
        raise InvalidValue(EXPIRED_FORM_MESSAGE, code="invalid_intent")
    return key


@dataclass(frozen=True)
class _Buyer:
    email: str
    first_name: str
    last_name: str
    password_hash: str


def _buyer(*, email: str, first_name: str, last_name: str, password: str) -> _Buyer:
    return _Buyer(
        email=email,
        first_name=first_name.strip()[:100],
        last_name=(last_name or "").strip()[:100],
        # Only a hash is kept, and only until fulfilment gives it to a new customer.
        password_hash=make_password(password) if password else "",
    )


@contextlib.contextmanager
def _intent_session(*, page: PaymentPage, intent_key: str, buyer: _Buyer, gateway: str):
    """The intent's session, locked in a transaction for the body of the `with`.

    The session is found or opened (and committed) first, so its id, which its idempotency keys
    carry, outlives a crash between charging and committing: a retry asks the gateway with the same
    key. Two submits of one form meet at the lock: the second waits for the first's transaction,
    then finds its outcome (completed, or deleted after a decline, when it opens the session anew).
    """
    for _ in range(3):
        session, _created = CheckoutSession.objects.get_or_create(
            payment_page=page,
            intent_key=intent_key,
            defaults={
                "email": buyer.email,
                "first_name": buyer.first_name,
                "last_name": buyer.last_name,
                "password_hash": buyer.password_hash,
                "gateway": gateway,
                "created_at": clock.now(),
            },
        )
        with transaction.atomic():
            locked = CheckoutSession.objects.select_for_update().filter(pk=session.pk).first()
            if locked is not None:
                yield locked
                return
    raise DomainError(BUSY_MESSAGE, code="checkout_busy")


def _session_buyer_set(session: CheckoutSession, buyer: _Buyer) -> None:
    """An open session pays for what the latest submit says (a buyer may fix a typo after a decline)."""
    session.email = buyer.email
    session.first_name = buyer.first_name
    session.last_name = buyer.last_name
    session.password_hash = buyer.password_hash
    session.save(update_fields=["email", "first_name", "last_name", "password_hash"])


def _session_coupon_set(session: CheckoutSession, quote) -> None:
    session.coupon = quote.coupon
    session.discount = quote.discount
    session.save(update_fields=["coupon", "discount"])


def _second_subscription_refused(*, page: PaymentPage, email: str) -> None:
    """A buyer never holds two running subscriptions to one course, however many forms they send.

    Called under the buyer's lock (`_buyer_lock`), so a concurrent checkout of the same buyer has
    either committed its subscription or not started.
    """
    if not page.is_recurring:
        return
    customer = Customer.objects.for_creator(page.course.creator).with_email(email).first()
    if customer is None:
        return
    if Subscription.objects.filter(
        customer=customer, course=page.course, status__in=LIVE_SUBSCRIPTION
    ).exists():
        raise DomainError(
            f"You already have a subscription to {page.course.title}; nothing was charged. "
            "Sign in to the course to manage it.",
            code="already_subscribed",
        )


def _buyer_lock(*, page: PaymentPage, email: str) -> None:
    # The buyer may not be a customer yet, so there is no row to lock: a named lock stands for them.
    transaction_lock(f"checkout-buyer:{page.course.creator_id}:{normalize_email(email)}")


def checkout_pay_with_card(
    *,
    page: PaymentPage,
    intent_key: str,
    email: str,
    first_name: str,
    last_name: str = "",
    password: str = "",
    card_number: str,
    coupon_code: str = "",
) -> CheckoutSession:
    """The card-field checkout of the sandbox: at most one charge per purchase intent.

    A second submit of the same intent (at once or later) gets the first one's session. The charge's
    idempotency key names the intent and its session, so even a charge repeated after a crash is the
    same charge. A declined card leaves nothing behind, and the buyer may try another card.
    A coupon is counted under its lock before the charge, in the same transaction: when its last use
    has gone to another buyer meanwhile, nothing is charged and the buyer is told why.
    """
    email = _buyer_checked(
        page=page, email=email, first_name=first_name, last_name=last_name, password=password
    )
    if not gateway_account(page.course.creator).takes_cards_here:
        raise DomainError("This course takes payments on Stripe's page.", code="wrong_gateway")
    gateway = gateway_named(Gateway.SANDBOX, creator=page.course.creator)
    buyer = _buyer(email=email, first_name=first_name, last_name=last_name, password=password)
    refused: DomainError | None = None
    with _intent_session(page=page, intent_key=intent_key, buyer=buyer, gateway=Gateway.SANDBOX) as session:
        if session.status == CheckoutSession.Status.COMPLETED:
            return session
        _buyer_lock(page=page, email=email)
        try:
            with transaction.atomic():
                _second_subscription_refused(page=page, email=email)
                _session_buyer_set(session, buyer)
                quote = (
                    coupon_redeem(page=page, code=coupon_code)
                    if coupon_code.strip()
                    else coupon_quote(page=page, code="")
                )
                _session_coupon_set(session, quote)
                key = f"checkout-{intent_key}-{session.pk}"
                try:
                    card = gateway.card_attach(number=card_number, idempotency_key=key)
                    # A free trial saves the card now and charges it when the trial ends.
                    charge = (
                        None
                        if page.trial_days
                        else gateway.charge(
                            payment_method_id=card.payment_method_id,
                            amount=quote.amount,
                            currency=page.currency,
                            idempotency_key=key,
                        )
                    )
                except CardDeclined as error:
                    raise DomainError(DECLINED_MESSAGE, code="card_declined", status=402) from error
                except GatewayError as error:
                    raise InvalidValue(error.message, code=error.code) from error
                if charge is not None and not charge.succeeded:
                    raise DomainError(DECLINED_MESSAGE, code="card_declined", status=402)
        except DomainError as error:
            # Nothing was charged: the intent starts afresh with its next submit.
            refused = error
            session.delete()
        else:
            session.gateway_session_id = f"sbx_cs_{session.pk}"
            session.save(update_fields=["gateway_session_id"])
            return checkout_fulfil(
                session=session,
                payment_reference=charge.id if charge else "",
                amount=quote.amount,
                card=card,
                subscription_reference=f"sbx_sub_{session.pk}" if page.is_recurring else "",
                actor=Actor.buyer(email),
                source=AuditSource.CHECKOUT,
            )
    raise refused


def checkout_free(
    *,
    page: PaymentPage,
    intent_key: str,
    email: str,
    first_name: str,
    last_name: str = "",
    password: str = "",
) -> CheckoutSession:
    """Enrols at once on a free page: no gateway, no payment, the welcome email as for a purchase.
    Once per purchase intent, like a paid checkout."""
    if not page.is_free:
        raise DomainError("This course is not free.", code="not_free")
    email = _buyer_checked(
        page=page, email=email, first_name=first_name, last_name=last_name, password=password
    )
    buyer = _buyer(email=email, first_name=first_name, last_name=last_name, password=password)
    with _intent_session(page=page, intent_key=intent_key, buyer=buyer, gateway=Gateway.SANDBOX) as session:
        if session.status == CheckoutSession.Status.COMPLETED:
            return session
        _session_buyer_set(session, buyer)
        session.gateway_session_id = f"free_cs_{session.pk}"
        session.save(update_fields=["gateway_session_id"])
        return checkout_fulfil(
            session=session,
            payment_reference="",
            actor=Actor.buyer(email),
            source=AuditSource.CHECKOUT,
        )


def checkout_start_hosted(
    *,
    page: PaymentPage,
    intent_key: str,
    email: str,
    first_name: str,
    last_name: str = "",
    password: str = "",
    success_url: str,
    cancel_url: str,
    coupon_code: str = "",
) -> tuple[CheckoutSession, str]:
    """Opens a checkout on the gateway's page; returns the session and where to send the buyer.

    Once per purchase intent: the gateway is asked with the intent's key as its idempotency key,
    and a second submit of the same intent is sent to the same page, or to the outcome ("" as the
    address) when that checkout is already paid. A coupon is checked now and counted when the
    checkout is paid; the gateway's own coupon lowers the price on its page.
    """
    email = _buyer_checked(
        page=page, email=email, first_name=first_name, last_name=last_name, password=password
    )
    creator = page.course.creator
    gateway = gateway_named(gateway_account(creator).gateway, creator=creator)
    buyer = _buyer(email=email, first_name=first_name, last_name=last_name, password=password)
    refused: DomainError | None = None
    with _intent_session(page=page, intent_key=intent_key, buyer=buyer, gateway=gateway.name) as session:
        if session.status == CheckoutSession.Status.COMPLETED:
            return session, ""
        if session.gateway_session_id:
            return _hosted_again(session=session, gateway=gateway)
        _buyer_lock(page=page, email=email)
        try:
            with transaction.atomic():
                _second_subscription_refused(page=page, email=email)
                _session_buyer_set(session, buyer)
                quote = coupon_quote(page=page, code=coupon_code)
                _session_coupon_set(session, quote)
                existing = Customer.objects.for_creator(creator).with_email(email).first()
                try:
                    coupon_reference = gateway.coupon_ensure(coupon=quote.coupon) if quote.coupon else ""
                    hosted = gateway.hosted_checkout_create(
                        page=page,
                        email=email,
                        client_reference=str(session.pk),
                        success_url=success_url,
                        cancel_url=cancel_url,
                        customer_reference=existing.gateway_customer_id if existing else "",
                        coupon_reference=coupon_reference,
                        idempotency_key=f"checkout-{intent_key}-{session.pk}",
                    )
                except GatewayError as error:
                    raise DomainError(
                        f"Checkout could not start: {error.message}", code="gateway_error", status=502
                    ) from error
        except DomainError as error:
            refused = error
            session.delete()
        else:
            session.gateway_session_id = hosted.id
            session.save(update_fields=["gateway_session_id"])
            return session, hosted.url
    raise refused


def _hosted_again(*, session: CheckoutSession, gateway) -> tuple[CheckoutSession, str]:
    """A second submit of an intent whose checkout is open at the gateway: the same page again, or
    its outcome when it has been paid meanwhile."""
    try:
        hosted = gateway.hosted_checkout_retrieve(checkout_reference=session.gateway_session_id)
    except GatewayError as error:
        raise DomainError(
            f"Checkout could not start: {error.message}", code="gateway_error", status=502
        ) from error
    if hosted.complete:
        session = checkout_complete_hosted(
            creator=session.payment_page.course.creator,
            hosted=hosted,
            actor=Actor.buyer(session.email),
            source=AuditSource.CHECKOUT,
        )
        return session, ""
    if not hosted.url:
        raise DomainError(
            "This checkout has expired. Please reload the page to start again.", code="checkout_expired"
        )
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
        coupon, discount = session.coupon, session.discount if session.coupon_id else 0
        if coupon is not None and session.gateway != Gateway.SANDBOX:
            # Paid on the gateway's page at the discounted price: the use is counted now.
            coupon_redeem(page=page, code=coupon.code, paid_already=True)

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
        had = Enrolment.objects.filter(customer=customer, course=course).first()
        # A renewal: time-limited access bought again extends from its current end (or from now
        # once it has passed), so a student who renews early loses no day.
        renewal = had is not None and had.expires_at is not None and page.access_days is not None
        enrolment = enrolment_grant(
            customer=customer,
            course=course,
            expires_at=expires_at,
            payment_page=page,
            enrolment_source=Enrolment.Source.CHECKOUT,
            actor=actor,
            source=source,
        )
        if renewal:
            enrolment = enrolment_renew(
                enrolment=enrolment, days=page.access_days, actor=actor, source=source
            )
        # Buying lifetime access never shortens it: lifetime wins over an end date.
        elif enrolment.expires_at is not None and (expires_at is None or expires_at > enrolment.expires_at):
            enrolment_expiration_set(enrolment=enrolment, expires_at=expires_at, actor=actor, source=source)

        # A free page, or a subscription's free trial, takes no payment now.
        trial_ends_at = now + dt.timedelta(days=page.trial_days) if page.trial_days else None
        takes_payment = not page.is_free and trial_ends_at is None
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
                discount=discount,
                # "Once": the payment taken now used it, or the first one after the trial will.
                discount_payments_left=(
                    None
                    if coupon is None or coupon.duration == coupon.Duration.FOREVER
                    else (0 if takes_payment else 1)
                ),
                coupon=coupon,
                started_at=now,
                next_payment_at=next_payment_at or trial_ends_at or add_interval(now, page.interval),
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
                    **({"coupon": coupon.code, "discount": discount} if coupon is not None else {}),
                    "next_payment_at": clock.iso(subscription.next_payment_at),
                },
            )
        payment = None
        if takes_payment:
            payment = payment_record(
                customer=customer,
                course=course,
                payment_page=page,
                subscription=subscription,
                amount=amount or page.amount - discount,
                discount=discount,
                coupon=coupon,
                currency=page.currency,
                gateway=session.gateway,
                reference=payment_reference,
                details={
                    "payment_page": page.name,
                    **(
                        {"renewal_of_access": True, "access_until": clock.iso(enrolment.expires_at)}
                        if renewal
                        else {}
                    ),
                    **(
                        {"installment": 1, "installments_total": page.installments}
                        if page.installments
                        else {}
                    ),
                },
                actor=actor,
                source=source,
            )
        if not renewal:
            welcome_email_queue(customer=customer, course=course, actor=actor, source=source)
        if payment is not None:
            payment_receipt_queue(
                payment=payment,
                test_mode=gateway_named(session.gateway, creator=creator).is_test_mode,
                installment=1 if page.installments else None,
                actor=actor,
                source=source,
            )

        session.status = CheckoutSession.Status.COMPLETED
        session.customer = customer
        session.completed_at = now
        session.password_hash = ""
        session.save(update_fields=["status", "customer", "completed_at", "password_hash"])
    return session
