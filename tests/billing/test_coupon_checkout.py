"""Coupons at checkout: the buyer pays the quoted price, the payment records the discount, a
subscription's coupon lowers the first payment or every payment, and a refused code charges nothing."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing.checkout import (
    checkout_complete_hosted,
    checkout_pay_with_card,
    checkout_start_hosted,
)
from coursedesk.billing.gateways.base import HostedCheckout
from coursedesk.billing.gateways.stripe import StripeGateway
from coursedesk.billing.models import GatewayAccount, Payment, Subscription
from coursedesk.billing.renewals import renewals_run
from coursedesk.catalog.coupons import coupon_create
from coursedesk.catalog.models import Coupon
from coursedesk.core import clock
from coursedesk.core.errors import DomainError
from tests.billing.test_checkout import VISA, counts
from tests.factories import make_page


def by(creator):
    return {"actor": Actor.creator(creator), "source": "desk"}


def buy(page, code, email="ada@example.com"):
    return checkout_pay_with_card(
        page=page,
        intent_key=secrets.token_urlsafe(8),
        email=email,
        first_name="Ada",
        password="a long password",
        card_number=VISA,
        coupon_code=code,
    )


def test_a_one_time_purchase_pays_the_discounted_price_and_records_the_discount(
    frozen_now, creator, one_time_page
):
    coupon = coupon_create(creator=creator, code="SPRING20", percent_off=20, **by(creator))

    buy(one_time_page, "spring20")

    payment = Payment.objects.get()
    assert (payment.amount, payment.discount, payment.coupon, payment.currency) == (3920, 980, coupon, "usd")
    assert str(payment.full_price) == "$49.00"
    coupon.refresh_from_db()
    assert coupon.times_redeemed == 1
    event = AuditEvent.objects.get(type="payment.succeeded")
    assert (event.data["amount"], event.data["discount"], event.data["coupon"]) == (3920, 980, "SPRING20")


def test_a_used_up_code_charges_nothing_and_changes_nothing(frozen_now, creator, one_time_page):
    coupon = coupon_create(creator=creator, code="LAST", percent_off=20, max_redemptions=1, **by(creator))
    buy(one_time_page, "LAST", email="first@example.com")
    before = counts()

    with pytest.raises(DomainError) as refused:
        buy(one_time_page, "LAST", email="second@example.com")

    assert (refused.value.code, refused.value.message) == (
        "coupon_invalid",
        "The code LAST has been used up.",
    )
    assert counts() == before
    coupon.refresh_from_db()
    assert coupon.times_redeemed == 1


def test_a_declined_card_does_not_use_up_the_code(frozen_now, creator, one_time_page):
    coupon = coupon_create(creator=creator, code="LAST", percent_off=20, max_redemptions=1, **by(creator))

    with pytest.raises(DomainError):
        checkout_pay_with_card(
            page=one_time_page,
            intent_key="declined",
            email="ada@example.com",
            first_name="Ada",
            password="a long password",
            card_number="4000 0000 0000 0002",
            coupon_code="LAST",
        )

    coupon.refresh_from_db()
    assert coupon.times_redeemed == 0
    buy(one_time_page, "LAST")
    assert Payment.objects.get().amount == 3920


def test_a_once_coupon_lowers_the_first_payment_of_a_subscription_only(frozen_now, creator, course):
    page = make_page(course, "subscription", amount=2000, interval="month")
    coupon_create(
        creator=creator, code="FIRST", amount_off=500, currency="usd", duration="once", **by(creator)
    )

    buy(page, "FIRST")
    clock.advance(dt.timedelta(days=31))
    renewals_run()

    assert list(Payment.objects.order_by("paid_at").values_list("amount", "discount")) == [
        (1500, 500),
        (2000, 0),
    ]
    subscription = Subscription.objects.get()
    assert (subscription.amount, subscription.discount, subscription.discount_payments_left) == (2000, 500, 0)


def test_a_forever_coupon_lowers_every_payment(frozen_now, creator, course):
    page = make_page(course, "subscription", amount=2000, interval="month")
    coupon = coupon_create(creator=creator, code="ALWAYS", percent_off=25, duration="forever", **by(creator))

    buy(page, "ALWAYS")
    for _ in range(2):
        clock.advance(dt.timedelta(days=31))
        renewals_run()

    assert list(Payment.objects.order_by("paid_at").values_list("amount", "discount", "coupon")) == [
        (1500, 500, coupon.pk),
        (1500, 500, coupon.pk),
        (1500, 500, coupon.pk),
    ]
    coupon.refresh_from_db()
    assert coupon.times_redeemed == 1


def test_with_a_trial_a_once_coupon_lowers_the_first_charge_after_the_trial(frozen_now, creator, course):
    page = make_page(course, "subscription", amount=1900, interval="month", trial_days=7)
    coupon_create(creator=creator, code="TRIAL", percent_off=50, duration="once", **by(creator))

    buy(page, "TRIAL")
    assert Payment.objects.count() == 0
    clock.advance(dt.timedelta(days=7))
    renewals_run()
    clock.advance(dt.timedelta(days=31))
    renewals_run()

    assert list(Payment.objects.order_by("paid_at").values_list("amount", "discount", "paid_at")) == [
        (950, 950, frozen_now + dt.timedelta(days=7)),
        (1900, 0, frozen_now + dt.timedelta(days=38)),
    ]


@pytest.fixture
def stripe_hosted(creator, monkeypatch):
    """Stripe's side, as CourseDesk sees it: what it was asked to open, and the coupon it made."""
    GatewayAccount.objects.create(creator=creator, gateway="stripe", stripe_secret_key="sk_test_coupons")
    asked = []

    def create(self, *, page, email, client_reference, coupon_reference="", **kwargs):
        asked.append(coupon_reference)
        return HostedCheckout(id=f"cs_test_{client_reference}", url="https://checkout.stripe.com/c/pay/x")

    def ensure(self, *, coupon):
        return f"stripe-{coupon.code}"

    monkeypatch.setattr(StripeGateway, "hosted_checkout_create", create)
    monkeypatch.setattr(StripeGateway, "coupon_ensure", ensure)
    return asked


def test_on_stripe_the_gateways_coupon_goes_to_its_page_and_the_use_is_counted_when_paid(
    frozen_now, creator, one_time_page, stripe_hosted
):
    coupon = coupon_create(creator=creator, code="SPRING20", percent_off=20, max_redemptions=1, **by(creator))

    session, _url = checkout_start_hosted(
        page=one_time_page,
        intent_key="hosted-1",
        email="ada@example.com",
        first_name="Ada",
        password="a long password",
        success_url="http://testserver/done",
        cancel_url="http://testserver/",
        coupon_code="spring20",
    )
    assert stripe_hosted == ["stripe-SPRING20"]
    assert (session.coupon, session.discount) == (coupon, 980)
    coupon.refresh_from_db()
    assert coupon.times_redeemed == 0  # an abandoned checkout uses nothing

    checkout_complete_hosted(
        creator=creator,
        hosted=HostedCheckout(
            id=session.gateway_session_id,
            complete=True,
            payment_reference="pi_1",
            amount=3920,
            currency="usd",
        ),
        actor=Actor.buyer("ada@example.com"),
        source="checkout",
    )

    payment = Payment.objects.get()
    assert (payment.amount, payment.discount, payment.coupon) == (3920, 980, coupon)
    coupon.refresh_from_db()
    assert coupon.times_redeemed == 1


def test_on_stripe_a_used_up_code_opens_no_checkout(frozen_now, creator, one_time_page, stripe_hosted):
    coupon = coupon_create(creator=creator, code="GONE", percent_off=20, max_redemptions=1, **by(creator))
    Coupon.objects.filter(pk=coupon.pk).update(times_redeemed=1)

    with pytest.raises(DomainError) as refused:
        checkout_start_hosted(
            page=one_time_page,
            intent_key="hosted-2",
            email="ada@example.com",
            first_name="Ada",
            password="a long password",
            success_url="http://testserver/done",
            cancel_url="http://testserver/",
            coupon_code="GONE",
        )

    assert refused.value.code == "coupon_invalid"
    assert stripe_hosted == []
    assert counts()[4] == 0  # no checkout session left behind
