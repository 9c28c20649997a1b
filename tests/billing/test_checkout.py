"""Sandbox checkout: buyers get access, a payment and a subscription; declines change nothing."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing.checkout import checkout_fulfil, checkout_pay_with_card
from coursedesk.billing.models import CheckoutSession, GatewayAccount, Payment, Subscription
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import Customer, Enrolment
from coursedesk.mail.models import OutboundEmail
from tests.factories import make_customer, make_enrolment, make_page

VISA = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
FAILS_LATER = "4000 0000 0000 0341"


def buy(page, card=VISA, email="ada@example.com", password="a long password", **extra):
    return checkout_pay_with_card(
        page=page,
        intent_key=extra.pop("intent_key", None) or secrets.token_urlsafe(8),
        email=email,
        first_name=extra.pop("first_name", "Ada"),
        last_name=extra.pop("last_name", "Lovelace"),
        password=password,
        card_number=card,
    )


def counts():
    return (
        Customer.objects.count(),
        Enrolment.objects.count(),
        Payment.objects.count(),
        Subscription.objects.count(),
        CheckoutSession.objects.count(),
        OutboundEmail.objects.count(),
        AuditEvent.objects.count(),
    )


def test_a_new_buyer_becomes_a_customer_with_access_a_payment_and_a_welcome_email(
    frozen_now, creator, course, one_time_page
):
    session = buy(one_time_page, intent_key="first")

    assert session.status == "completed"
    assert session.password_hash == ""
    customer = Customer.objects.get()
    assert (customer.creator, customer.email, customer.first_name, customer.last_name) == (
        creator,
        "ada@example.com",
        "Ada",
        "Lovelace",
    )
    assert customer.check_password("a long password")
    assert session.customer == customer
    enrolment = Enrolment.objects.get()
    assert (enrolment.course, enrolment.status, enrolment.expires_at) == (course, "active", None)
    assert (enrolment.source, enrolment.payment_page) == ("checkout", one_time_page)
    payment = Payment.objects.get()
    assert (payment.amount, payment.currency, payment.status, payment.gateway) == (
        4900,
        "usd",
        "succeeded",
        "sandbox",
    )
    assert payment.gateway_payment_id == f"sbx_ch_checkout_first_{session.pk}"
    assert payment.subscription is None
    assert Subscription.objects.count() == 0
    welcome, receipt = OutboundEmail.objects.order_by("pk")
    assert (welcome.kind, welcome.to) == ("welcome", "ada@example.com")
    assert (receipt.kind, receipt.to, receipt.subject) == (
        "receipt",
        "ada@example.com",
        "Your receipt for Watercolor Foundations",
    )
    assert (
        "Thank you for your payment of $49.00 for Watercolor Foundations (Lifetime access)."
        in receipt.text_body
    )
    assert "test-mode payment: no real money moved" in receipt.text_body
    assert [(e.type, e.actor_kind, e.actor_label, e.source) for e in AuditEvent.objects.order_by("pk")] == [
        ("customer.created", "customer", "ada@example.com", "checkout"),
        ("enrolment.granted", "customer", "ada@example.com", "checkout"),
        ("payment.succeeded", "customer", "ada@example.com", "checkout"),
        ("email.queued", "customer", "ada@example.com", "checkout"),
        ("email.queued", "customer", "ada@example.com", "checkout"),
    ]


def test_access_days_set_the_expiration(frozen_now, course):
    page = make_page(course, "one_time", access_days=90)
    buy(page)
    assert Enrolment.objects.get().expires_at == frozen_now + dt.timedelta(days=90)


def test_an_existing_customer_is_found_by_email_whatever_the_case(frozen_now, customer, one_time_page):
    old_password = customer.password
    buy(one_time_page, email="ZOE@Example.com", password="", first_name="Zoe")

    assert Customer.objects.count() == 1
    customer.refresh_from_db()
    assert customer.password == old_password
    assert Payment.objects.get().customer == customer
    assert Enrolment.objects.get().customer == customer
    assert not AuditEvent.objects.filter(type="customer.created").exists()


def test_buying_lifetime_access_lifts_an_expiration(frozen_now, customer, course, one_time_page):
    enrolment = make_enrolment(customer, course, expires_at=frozen_now + dt.timedelta(days=3))
    buy(one_time_page, email=customer.email, password="")
    enrolment.refresh_from_db()
    assert enrolment.expires_at is None
    assert AuditEvent.objects.filter(type="enrolment.expiration_changed").count() == 1


def test_a_subscription_page_creates_the_subscription(frozen_now, course):
    page = make_page(course, "subscription", amount=1900, interval="month")
    session = buy(page)

    subscription = Subscription.objects.get()
    assert (subscription.status, subscription.amount, subscription.interval) == ("active", 1900, "month")
    assert subscription.next_payment_at == dt.datetime(2026, 12, 21, 10, 0, tzinfo=dt.UTC)
    assert subscription.gateway_subscription_id == f"sbx_sub_{session.pk}"
    assert (subscription.card_brand, subscription.card_last4) == ("visa", "4242")
    assert subscription.gateway_payment_method_id.startswith("sbx_pm_ok_4242_")
    assert Payment.objects.get().subscription == subscription
    created = AuditEvent.objects.get(type="subscription.created")
    assert created.data["next_payment_at"] == "2026-12-21T10:00:00+00:00"


def test_a_payment_plan_remembers_its_number_of_payments(frozen_now, course):
    page = make_page(course, "payment_plan", amount=2000, installments=3, interval="month")
    buy(page)
    assert Subscription.objects.get().installments_total == 3
    assert AuditEvent.objects.get(type="payment.succeeded").data["installment"] == 1


@pytest.mark.parametrize("card", [DECLINED, FAILS_LATER])
def test_a_declined_card_creates_nothing(frozen_now, one_time_page, card):
    before = counts()
    with pytest.raises(DomainError) as refused:
        buy(one_time_page, card=card)
    assert (refused.value.code, refused.value.status) == ("card_declined", 402)
    assert refused.value.message == "Your card was declined. No payment was taken; please try another card."
    assert counts() == before


def test_a_new_customer_must_choose_a_password(frozen_now, one_time_page):
    before = counts()
    with pytest.raises(DomainError) as refused:
        buy(one_time_page, password="short")
    assert (refused.value.code, refused.value.status) == ("weak_password", 422)
    assert refused.value.message == "This password is too short. It must contain at least 8 characters."
    assert counts() == before


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password123", "This password is too common."),
        ("ada@example.com", "The password is too similar to the email."),
        ("84920571", "This password is entirely numeric."),
    ],
)
def test_a_new_customers_password_passes_djangos_validators(frozen_now, one_time_page, password, message):
    before = counts()
    with pytest.raises(DomainError) as refused:
        buy(one_time_page, password=password)
    assert (refused.value.code, refused.value.message) == ("weak_password", message)
    assert counts() == before


def test_a_returning_customer_needs_no_password(frozen_now, creator, one_time_page):
    make_customer(creator, email="ada@example.com")

    session = buy(one_time_page, password="")

    assert session.status == "completed"


def test_fulfilling_the_same_session_twice_changes_nothing(frozen_now, one_time_page):
    session = buy(one_time_page)
    before = counts()

    again = checkout_fulfil(
        session=session, payment_reference="sbx_ch_other", actor=Actor.gateway("sandbox"), source="checkout"
    )

    assert again.status == "completed"
    assert counts() == before


def test_the_card_field_checkout_is_refused_when_the_creator_sells_through_stripe(
    frozen_now, creator, one_time_page
):
    GatewayAccount.objects.create(creator=creator, gateway="stripe", stripe_secret_key="sk_test_x")
    before = counts()
    with pytest.raises(DomainError) as refused:
        buy(one_time_page)
    assert refused.value.code == "wrong_gateway"
    assert counts() == before
