"""`stripe_sync CREATOR_EMAIL [--since DATE]` against localstripe: a refund and a cancel made at
Stripe whose webhooks never arrived are recorded through the usual services (source stripe_sync),
printed, and a second run changes nothing."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import stripe
from django.core.management import call_command
from django.core.management.base import CommandError

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing.gateways.stripe import StripeGateway
from coursedesk.billing.models import GatewayAccount, Payment, Receipt, Refund
from coursedesk.billing.payments import payment_record
from coursedesk.billing.refunds import payment_refund
from coursedesk.core import clock
from coursedesk.customers.models import Enrolment
from coursedesk.mail.models import OutboundEmail
from tests.billing import stripe_json as sj
from tests.billing.conftest import make_subscription
from tests.factories import make_page

SECRET_KEY = "sk_test_coursedesk_sync"


@pytest.fixture
def account(creator, stripe_api_base):
    return GatewayAccount.objects.create(creator=creator, gateway="stripe", stripe_secret_key=SECRET_KEY)


@pytest.fixture
def stripe_side(stripe_api_base):
    """Stripe as its dashboard would act on it: a plain client, outside CourseDesk."""
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": stripe_api_base})


@pytest.fixture
def buyer(stripe_side):
    customer = stripe_side.v1.customers.create(params={"email": "zoe@example.com"})
    card = stripe_side.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    stripe_side.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": card.id}}
    )
    return customer.id


def stripe_paid(stripe_side, buyer, customer, course, page, amount=4900):
    """A payment Stripe took and CourseDesk recorded (as its checkout does)."""
    intent = stripe_side.v1.payment_intents.create(
        params={"amount": amount, "currency": "usd", "customer": buyer, "payment_method": "pm_card_visa"}
    )
    intent = stripe_side.v1.payment_intents.confirm(intent.id)
    assert intent.status == "succeeded"
    return payment_record(
        customer=customer,
        course=course,
        payment_page=page,
        subscription=None,
        amount=amount,
        currency="usd",
        gateway="stripe",
        reference=intent.id,
        actor=Actor.gateway("stripe"),
        source="stripe",
    )


@pytest.fixture
def stripe_subscription(account, stripe_side, buyer, customer, course, enrolment):
    page = make_page(course, "subscription", name="Monthly", amount=1900, interval="month")
    product = stripe_side.v1.products.create(params={"name": "Watercolor Foundations: Monthly"})
    plan = stripe_side.v1.plans.create(
        params={"amount": 1900, "currency": "usd", "interval": "month", "product": product.id}
    )
    at_stripe = stripe_side.v1.subscriptions.create(params={"customer": buyer, "items": [{"plan": plan.id}]})
    subscription = make_subscription(customer, page, gateway="stripe", gateway_subscription_id=at_stripe.id)
    # its first payment, recorded by the checkout under Stripe's first invoice
    first_invoice = (
        at_stripe.latest_invoice if isinstance(at_stripe.latest_invoice, str) else at_stripe.latest_invoice.id
    )
    payment_record(
        customer=customer,
        course=course,
        payment_page=page,
        subscription=subscription,
        amount=1900,
        currency="usd",
        gateway="stripe",
        reference=first_invoice,
        actor=Actor.gateway("stripe"),
        source="stripe",
    )
    return subscription


def sync(*args) -> str:
    out = StringIO()
    call_command("stripe_sync", "maya@example.com", *args, stdout=out)
    return out.getvalue()


def test_a_refund_and_a_cancel_made_at_stripe_are_recorded_once(
    frozen_now, account, stripe_side, buyer, customer, course, one_time_page, enrolment, stripe_subscription
):
    # given a payment and a subscription CourseDesk knows, refunded and canceled in Stripe's
    # dashboard, whose webhooks never arrived
    payment = stripe_paid(stripe_side, buyer, customer, course, one_time_page)
    at_stripe = stripe_side.v1.refunds.create(
        params={"payment_intent": payment.gateway_payment_id, "amount": 1500}
    )
    stripe_side.v1.subscriptions.cancel(stripe_subscription.gateway_subscription_id)
    assert not Refund.objects.exists()

    # when the creator's records are synced with Stripe
    out = sync()

    # then it says what it changed
    assert out.splitlines() == [
        f"Recorded refund {at_stripe.id} of $15.00 on payment {payment.pk} (refunded).",
        f"Canceled subscription {stripe_subscription.pk} (Watercolor Foundations), as at Stripe.",
        "Checked 2 payments and 1 open subscriptions; 2 changes.",
    ]
    # and the refund is recorded with its receipt and notice, as a webhook would have
    refund = Refund.objects.get()
    assert (refund.amount, refund.status, refund.gateway_refund_id, refund.source) == (
        1500,
        "succeeded",
        at_stripe.id,
        "stripe_sync",
    )
    assert Receipt.objects.filter(refund=refund).values_list("number", flat=True).get() == 3
    assert OutboundEmail.objects.filter(kind="refund_notice").count() == 1
    # and the subscription is canceled; access stays (a cancel never revokes it)
    stripe_subscription.refresh_from_db()
    assert stripe_subscription.status == "canceled"
    assert Enrolment.objects.get(pk=enrolment.pk).status == "active"
    events = AuditEvent.objects.filter(type__in=["payment.refunded", "subscription.canceled"]).order_by("pk")
    assert [(e.type, e.actor_kind, e.source) for e in events] == [
        ("payment.refunded", "gateway", "stripe_sync"),
        ("subscription.canceled", "gateway", "stripe_sync"),
    ]

    # when it runs again, nothing changes
    audit, emails = AuditEvent.objects.count(), OutboundEmail.objects.count()
    assert sync().splitlines() == ["Checked 2 payments and 0 open subscriptions; 0 changes."]
    assert (AuditEvent.objects.count(), OutboundEmail.objects.count(), Refund.objects.count()) == (
        audit,
        emails,
        1,
    )


def test_a_refund_made_from_coursedesk_is_not_recorded_twice(
    frozen_now, creator, account, stripe_side, buyer, customer, course, one_time_page, enrolment
):
    payment = stripe_paid(stripe_side, buyer, customer, course, one_time_page)
    payment_refund(payment=payment, amount=900, actor=Actor.creator(creator), source="desk")

    assert sync().splitlines() == ["Checked 1 payments and 0 open subscriptions; 0 changes."]
    assert list(Refund.objects.values_list("amount", "source")) == [(900, "desk")]


def test_since_leaves_older_payments_alone(
    frozen_now, account, stripe_side, buyer, customer, course, one_time_page, enrolment
):
    payment = stripe_paid(stripe_side, buyer, customer, course, one_time_page)
    stripe_side.v1.refunds.create(params={"payment_intent": payment.gateway_payment_id, "amount": 1000})
    clock.set_now(frozen_now + dt.timedelta(days=10))

    assert sync("--since", "2026-11-22").splitlines() == [
        "Checked 0 payments and 0 open subscriptions; 0 changes."
    ]
    assert not Refund.objects.exists()
    assert "Recorded refund" in sync("--since", "2026-11-21")


def test_an_unknown_creator_or_a_bad_date_is_refused(account):
    with pytest.raises(CommandError, match=r"No creator signs in as nobody@example\.com\."):
        call_command("stripe_sync", "nobody@example.com")
    with pytest.raises(CommandError, match="Write --since as YYYY-MM-DD"):
        call_command("stripe_sync", "maya@example.com", "--since", "last week")


def test_a_creator_without_stripe_is_told_so(creator):
    with pytest.raises(CommandError, match="Stripe could not be read: Stripe is not set up"):
        call_command("stripe_sync", "maya@example.com")


def test_a_renewal_whose_invoice_paid_was_lost_is_recorded_once(
    frozen_now, account, customer, stripe_subscription, monkeypatch
):
    # given Stripe's invoices of the subscription: the first (the checkout's) and a paid renewal
    # that CourseDesk never heard of (Stripe's documented JSON; localstripe cannot renew)
    reference = stripe_subscription.gateway_subscription_id
    renewal = {
        **sj.invoice(invoice_id="in_lost_renewal", subscription=reference, period_end=1800000000),
        "created": int(frozen_now.timestamp()) + 60,
    }
    unpaid = {**sj.invoice(invoice_id="in_open", subscription=reference, status="open"), "created": 1}
    localstripe_invoices = StripeGateway.subscription_invoices
    monkeypatch.setattr(
        StripeGateway,
        "subscription_invoices",
        lambda self, **kw: [*localstripe_invoices(self, **kw), renewal, unpaid],
    )
    localstripe_refunds = StripeGateway.refunds_of_payment
    monkeypatch.setattr(
        StripeGateway,
        "refunds_of_payment",
        lambda self, *, payment_reference: (
            []
            if payment_reference == "in_lost_renewal"
            else localstripe_refunds(self, payment_reference=payment_reference)
        ),
    )

    out = sync()

    # then the renewal is recorded like the webhook would: the payment, its receipt, the next date
    assert out.splitlines()[0] == (
        f"Recorded payment in_lost_renewal of $19.00 for subscription {stripe_subscription.pk} "
        "(Watercolor Foundations)."
    )
    paid = Payment.objects.get(gateway_payment_id="in_lost_renewal")
    assert (paid.amount, paid.status, paid.subscription_id) == (1900, "succeeded", stripe_subscription.pk)
    assert paid.receipts.get().number == 2
    stripe_subscription.refresh_from_db()
    assert stripe_subscription.next_payment_at == dt.datetime.fromtimestamp(1800000000, tz=dt.UTC)
    assert AuditEvent.objects.get(type="payment.succeeded", subject_id=str(paid.pk)).source == "stripe_sync"
    # and a second run records nothing more
    assert "Recorded payment" not in sync()
    assert Payment.objects.filter(subscription=stripe_subscription).count() == 2


def test_an_object_stripe_cannot_give_is_reported_and_the_rest_is_synced(
    frozen_now, account, stripe_side, buyer, customer, course, one_time_page, enrolment
):
    # given a payment Stripe has no record of, and one it refunded
    unknown = stripe_paid(stripe_side, buyer, customer, course, one_time_page)
    Payment.objects.filter(pk=unknown.pk).update(gateway_payment_id="pi_unknown_at_stripe")
    payment = stripe_paid(stripe_side, buyer, customer, course, one_time_page, amount=2500)
    stripe_side.v1.refunds.create(params={"payment_intent": payment.gateway_payment_id, "amount": 500})
    out, err = StringIO(), StringIO()

    call_command("stripe_sync", "maya@example.com", stdout=out, stderr=err)

    assert err.getvalue().startswith(f"Could not read the refunds of payment {unknown.pk} from Stripe: ")
    assert (
        out.getvalue().splitlines()[-1]
        == "Checked 2 payments and 0 open subscriptions; 1 changes; 1 could not be read."
    )
    assert list(Refund.objects.values_list("payment_id", "amount")) == [(payment.pk, 500)]
