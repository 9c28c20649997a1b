"""The Stripe gateway against localstripe (a fake Stripe API) running on 127.0.0.1.

localstripe has customers, payment methods, payment intents, refunds, products + plans,
subscriptions and signed webhooks. It has no prices, checkout sessions, pause_collection or a
subscription's default payment method, and it ignores idempotency keys: those paths are covered
with Stripe's documented JSON in test_webhooks.py. What Stripe holds before CourseDesk acts (a
customer, a card, a payment, a subscription) is set up with a plain Stripe client, as Stripe's own
pages would make it.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import stripe

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing.gateways import gateway_named
from coursedesk.billing.gateways.base import GatewayError
from coursedesk.billing.models import GatewayAccount, Payment, Refund, Subscription, WebhookEvent
from coursedesk.billing.refunds import payment_refund
from coursedesk.billing.subscriptions import subscription_cancel, subscription_pause, subscription_uncancel
from coursedesk.catalog.coupons import coupon_create
from coursedesk.core.errors import DomainError
from tests.billing.conftest import make_payment, make_subscription
from tests.billing.stripe_json import WEBHOOK_SECRET
from tests.factories import make_page

SECRET_KEY = "sk_test_coursedesk_local"


@pytest.fixture
def account(creator, stripe_api_base):
    return GatewayAccount.objects.create(
        creator=creator, gateway="stripe", stripe_secret_key=SECRET_KEY, stripe_webhook_secret=WEBHOOK_SECRET
    )


@pytest.fixture
def gateway(account, creator):
    return gateway_named("stripe", creator=creator)


@pytest.fixture
def stripe_side(stripe_api_base):
    """Stripe as its dashboard would act on it: a plain client, outside CourseDesk."""
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": stripe_api_base})


@pytest.fixture
def buyer(stripe_side):
    """A customer with a saved default card, made at Stripe as a checkout would make them."""
    customer = stripe_side.v1.customers.create(params={"email": "ada@example.com", "name": "Ada Lovelace"})
    card = stripe_side.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    stripe_side.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": card.id}}
    )
    return customer.id


def test_the_gateway_is_labelled_test_mode_with_test_keys(gateway):
    assert gateway.is_test_mode


def test_the_gateway_stays_labelled_by_its_keys_after_a_switch_to_the_sandbox(account, creator):
    GatewayAccount.objects.filter(pk=account.pk).update(gateway="sandbox", stripe_secret_key="sk_live_x")

    assert not gateway_named("stripe", creator=creator).is_test_mode


@pytest.fixture
def stripe_payment(account, buyer, stripe_side, customer, course, one_time_page, frozen_now):
    # Stripe took the payment on its own page; CourseDesk recorded the payment intent.
    intent = stripe_side.v1.payment_intents.create(
        params={"amount": 4900, "currency": "usd", "customer": buyer, "payment_method": "pm_card_visa"}
    )
    intent = stripe_side.v1.payment_intents.confirm(intent.id)
    assert intent.status == "succeeded"
    return make_payment(
        customer, course, payment_page=one_time_page, gateway="stripe", gateway_payment_id=intent.id
    )


def refunded_at_stripe(stripe_side, payment) -> int:
    intent = stripe_side.v1.payment_intents.retrieve(payment.gateway_payment_id)
    charge_id = intent.latest_charge if isinstance(intent.latest_charge, str) else intent.latest_charge.id
    return stripe_side.v1.charges.retrieve(charge_id).amount_refunded


def test_partial_then_full_refunds_go_through_stripe(creator, stripe_payment, stripe_side):
    first = payment_refund(payment=stripe_payment, amount=1000, actor=Actor.creator(creator), source="desk")
    rest = payment_refund(payment=stripe_payment, actor=Actor.creator(creator), source="desk")

    assert [(r.amount, r.status) for r in (first, rest)] == [(1000, "succeeded"), (3900, "succeeded")]
    assert first.gateway_refund_id.startswith("re_") and rest.gateway_refund_id.startswith("re_")
    assert refunded_at_stripe(stripe_side, stripe_payment) == 4900
    refund = stripe_side.v1.refunds.retrieve(first.gateway_refund_id)
    assert refund.metadata["coursedesk_refund"] == f"refund-{first.pk}"


def test_an_over_refund_never_reaches_stripe(creator, stripe_payment, stripe_side):
    # localstripe itself accepts over-refunds: the limit is CourseDesk's, under its row lock.
    payment_refund(payment=stripe_payment, amount=4000, actor=Actor.creator(creator), source="desk")
    with pytest.raises(DomainError) as refused:
        payment_refund(payment=stripe_payment, amount=1000, actor=Actor.creator(creator), source="desk")
    assert refused.value.message == "Only $9.00 is left to refund on this payment."
    assert refunded_at_stripe(stripe_side, stripe_payment) == 4000
    assert Refund.objects.count() == 1


@pytest.fixture
def stripe_subscription(gateway, buyer, stripe_side, customer, course, frozen_now):
    page = make_page(course, "subscription", amount=1900, interval="month")
    price = gateway.price_ensure(page)
    page.refresh_from_db()
    assert page.gateway_product_id.startswith("prod_") and page.gateway_price_id == price
    subscription = stripe_side.v1.subscriptions.create(params={"customer": buyer, "items": [{"plan": price}]})
    return make_subscription(customer, page, gateway="stripe", gateway_subscription_id=subscription.id)


def test_stripe_takes_no_card_numbers_and_charges_on_its_own_schedule(gateway):
    with pytest.raises(GatewayError) as card:
        gateway.card_attach(number="4242424242424242", idempotency_key="k")
    with pytest.raises(GatewayError) as charge:
        gateway.charge(payment_method_id="pm_1", amount=100, currency="usd", idempotency_key="k")
    assert (card.value.code, charge.value.code) == ("not_supported", "not_supported")


def test_a_creator_cancel_cancels_at_stripe(creator, stripe_subscription, stripe_side):
    subscription_cancel(subscription=stripe_subscription, actor=Actor.creator(creator), source="desk")

    assert stripe_side.v1.subscriptions.retrieve(stripe_subscription.gateway_subscription_id).status == (
        "canceled"
    )
    assert Subscription.objects.get().status == "canceled"


def test_a_stripe_refusal_leaves_the_subscription_unchanged(creator, stripe_subscription):
    # localstripe answers pause_collection with an error, which stands in for any refusal here.
    with pytest.raises(DomainError) as refused:
        subscription_pause(
            subscription=stripe_subscription,
            resume_on=dt.date(2027, 1, 5),
            actor=Actor.creator(creator),
            source="desk",
        )
    assert refused.value.code == "gateway_error"
    assert Subscription.objects.get().status == "active"
    assert not AuditEvent.objects.filter(type="subscription.paused").exists()


def test_a_bad_key_is_a_clear_gateway_error(creator, stripe_api_base):
    GatewayAccount.objects.create(creator=creator, gateway="stripe", stripe_secret_key="rk_test_x")
    gateway = gateway_named("stripe", creator=creator)
    with pytest.raises(GatewayError):
        gateway.refunds_of_charge(charge_reference="ch_1")  # localstripe wants sk_


def test_a_cancel_in_stripe_arrives_as_a_signed_webhook(
    client, account, stripe_subscription, stripe_side, webhook_catcher, stripe_server
):
    # given Stripe is set to deliver events to an endpoint with the creator's signing secret
    stripe_server.webhook_register("coursedesk", webhook_catcher.url, WEBHOOK_SECRET)
    # when the creator cancels in Stripe's dashboard
    stripe_side.v1.subscriptions.cancel(stripe_subscription.gateway_subscription_id)
    delivery = webhook_catcher.wait_for("customer.subscription.deleted")[0]

    # then Stripe's signed delivery, handed to CourseDesk's inbox, cancels it with source "stripe"
    url = f"/webhooks/stripe/{account.webhook_endpoint_id}/"
    response = client.post(
        url, data=delivery.body, content_type="application/json", HTTP_STRIPE_SIGNATURE=delivery.signature
    )
    assert response.status_code == 200
    assert Subscription.objects.get().status == "canceled"
    event = AuditEvent.objects.get(type="subscription.canceled")
    assert (event.actor_kind, event.source) == ("gateway", "stripe")

    # and the same delivery with its body altered is refused
    forged = json.loads(delivery.body)
    forged["id"] = "evt_forged"
    response = client.post(
        url,
        data=json.dumps(forged),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=delivery.signature,
    )
    assert response.status_code == 400
    assert not WebhookEvent.objects.filter(event_id="evt_forged").exists()


def test_payments_of_stripe_are_stored_as_stripe(stripe_payment):
    assert Payment.objects.get().gateway == "stripe"


def test_a_new_card_pays_the_open_invoice_at_stripe(gateway, stripe_side, course):
    # the customer's card fails, so the subscription's invoice stays open
    customer = stripe_side.v1.customers.create(params={"email": "ada@example.com"})
    failing = stripe_side.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", params={"customer": customer.id}
    )
    stripe_side.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": failing.id}}
    )
    page = make_page(course, "subscription", amount=1900, interval="month")
    subscription = stripe_side.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"plan": gateway.price_ensure(page)}]}
    )
    invoices = stripe_side.v1.invoices.list(params={"subscription": subscription.id}).data
    assert [invoice.status for invoice in invoices] == ["open"]

    # the student's new card becomes the customer's default (localstripe has no subscription-level
    # default card, which subscription_payment_method_set also sets)
    visa = stripe_side.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    stripe_side.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": visa.id}}
    )

    gateway.subscription_open_invoice_pay(subscription_reference=subscription.id)

    assert stripe_side.v1.invoices.retrieve(invoices[0].id).status == "paid"


def test_a_new_price_makes_a_new_stripe_price_and_running_subscriptions_keep_the_old(
    creator, gateway, stripe_subscription, stripe_side
):
    from coursedesk.catalog.payment_pages import payment_page_update

    page = stripe_subscription.payment_page
    old_price = page.gateway_price_id

    payment_page_update(page=page, amount=2900, actor=Actor.creator(creator), source="desk")
    page.refresh_from_db()  # as the next checkout reads it
    new_price = gateway.price_ensure(page)

    page.refresh_from_db()
    assert new_price != old_price and page.gateway_price_id == new_price
    plan = stripe_side.v1.plans.retrieve(new_price)
    assert (plan.amount, plan.currency, plan.interval, plan.product) == (
        2900,
        "usd",
        "month",
        page.gateway_product_id,
    )
    running = stripe_side.v1.subscriptions.retrieve(stripe_subscription.gateway_subscription_id)
    assert running["items"]["data"][0]["plan"]["id"] == old_price
    assert running["items"]["data"][0]["plan"]["amount"] == 1900


def test_a_cancel_at_the_period_end_and_its_undo_reach_stripe(creator, stripe_subscription, stripe_side):
    reference = stripe_subscription.gateway_subscription_id

    subscription_cancel(
        subscription=stripe_subscription, at_period_end=True, actor=Actor.creator(creator), source="desk"
    )
    assert stripe_side.v1.subscriptions.retrieve(reference).cancel_at_period_end is True

    subscription_uncancel(subscription=stripe_subscription, actor=Actor.creator(creator), source="desk")
    at_stripe = stripe_side.v1.subscriptions.retrieve(reference)
    assert (at_stripe.cancel_at_period_end, at_stripe.status) == (False, "active")


def test_a_coupon_is_made_at_stripe_once_with_its_rule(creator, gateway, stripe_side):

    percent = coupon_create(
        creator=creator,
        code="SPRING20",
        percent_off=20,
        duration="forever",
        actor=Actor.creator(creator),
        source="desk",
    )
    amount = coupon_create(
        creator=creator,
        code="TENOFF",
        amount_off=1000,
        currency="usd",
        actor=Actor.creator(creator),
        source="desk",
    )

    made = gateway.coupon_ensure(coupon=percent)
    again = gateway.coupon_ensure(coupon=percent)
    made_amount = gateway.coupon_ensure(coupon=amount)

    assert made == again == f"coursedesk-{percent.pk}-SPRING20"
    percent.refresh_from_db()
    assert percent.gateway_coupon_id == made
    at_stripe = stripe_side.v1.coupons.retrieve(made)
    assert (at_stripe.percent_off, at_stripe.amount_off, at_stripe.duration) == (20.0, None, "forever")
    at_stripe = stripe_side.v1.coupons.retrieve(made_amount)
    assert (at_stripe.percent_off, at_stripe.amount_off, at_stripe.currency, at_stripe.duration) == (
        None,
        1000,
        "usd",
        "once",
    )
