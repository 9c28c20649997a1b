"""Races on PostgreSQL: row locks let exactly one of two simultaneous actions through."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from coursedesk.audit.services import Actor
from coursedesk.billing.checkout import checkout_fulfil, checkout_pay_with_card
from coursedesk.billing.models import (
    CheckoutSession,
    GatewayAccount,
    Payment,
    Receipt,
    ReceiptCounter,
    Refund,
)
from coursedesk.billing.payments import payment_record
from coursedesk.billing.refunds import payment_refund
from coursedesk.billing.selectors import payment_refund_amounts
from coursedesk.catalog.coupons import coupon_create
from coursedesk.catalog.models import Coupon
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import Customer, Enrolment
from coursedesk.mail.models import OutboundEmail
from tests.billing.conftest import make_payment
from tests.factories import make_course, make_creator, make_customer, make_page

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks; the race is only meaningful on PostgreSQL")


def at_once(action, times: int = 2) -> list[str]:
    """Runs `action` in `times` threads released together; returns each outcome."""
    start = threading.Barrier(times)
    outcomes: list[str] = []

    def run():
        try:
            start.wait()
            outcomes.append(action())
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_two_full_refunds_racing_give_exactly_one_refund():
    creator = make_creator()
    payment = make_payment(make_customer(creator), make_course(creator), amount=4900)

    def refund_everything():
        payment_refund(
            payment=Payment.objects.get(pk=payment.pk), actor=Actor.creator(creator), source="desk"
        )
        return "refunded"

    assert sorted(at_once(refund_everything)) == ["nothing_to_refund", "refunded"]
    assert list(Refund.objects.values_list("amount", "status")) == [(4900, "succeeded")]
    assert payment_refund_amounts(payment=payment).refunded.amount == 4900


def test_the_webhook_and_the_return_page_fulfilling_at_once_sell_once():
    creator = make_creator()
    GatewayAccount.objects.create(creator=creator, gateway="stripe", stripe_secret_key="sk_test_race")
    page = make_page(make_course(creator), "one_time", amount=4900)
    session = CheckoutSession.objects.create(
        payment_page=page,
        email="ada@example.com",
        first_name="Ada",
        gateway="stripe",
        gateway_session_id="cs_race",
    )

    def fulfil():
        result = checkout_fulfil(
            session=session, payment_reference="pi_race", actor=Actor.gateway("stripe"), source="stripe"
        )
        return result.status

    assert at_once(fulfil) == ["completed", "completed"]
    assert (Customer.objects.count(), Enrolment.objects.count(), Payment.objects.count()) == (1, 1, 1)
    # one welcome email and one receipt, not two of each
    assert sorted(OutboundEmail.objects.values_list("kind", flat=True)) == ["receipt", "welcome"]


def test_receipt_numbers_taken_at_once_have_no_gap_and_no_double():
    # given a creator with no receipt yet (the counter row itself is made in the race) and a paid
    # payment to refund while new payments come in
    creator = make_creator()
    course = make_course(creator)
    customers = [make_customer(creator, email=f"buyer{n}@example.com") for n in range(8)]
    refundable = make_payment(customers[0], course, amount=4900)
    ticket = iter(range(8))

    def pay_or_refund():
        n = next(ticket)
        if n == 7:
            payment_refund(payment=refundable, amount=900, actor=Actor.creator(creator), source="desk")
            return "refunded"
        with transaction.atomic():
            payment_record(
                customer=customers[n],
                course=course,
                payment_page=None,
                subscription=None,
                amount=1000 + n,
                currency="usd",
                gateway="sandbox",
                reference=f"sbx_ch_race_{n}",
                actor=Actor.buyer(customers[n].email),
                source="checkout",
            )
        return "paid"

    # when seven payments and a refund are recorded at the same moment
    outcomes = at_once(pay_or_refund, times=8)

    # then the receipts are numbered 1 to 8, each once
    assert sorted(outcomes) == ["paid"] * 7 + ["refunded"]
    assert sorted(Receipt.objects.filter(creator=creator).values_list("number", flat=True)) == list(
        range(1, 9)
    )
    assert ReceiptCounter.objects.get(creator=creator).last_number == 8
    assert Receipt.objects.filter(kind="refund").values_list("amount", flat=True).get() == 900


def test_buyers_racing_for_a_coupons_last_use_sell_it_once():

    creator = make_creator()
    page = make_page(make_course(creator), "one_time", amount=4900)
    coupon = coupon_create(
        creator=creator,
        code="LAST",
        percent_off=50,
        max_redemptions=1,
        actor=Actor.creator(creator),
        source="desk",
    )
    buyers = iter(range(4))

    def buy_with_the_code():
        n = next(buyers)
        checkout_pay_with_card(
            page=page,
            intent_key=f"race-{n}",
            email=f"buyer{n}@example.com",
            first_name="Ada",
            password="a long password",
            card_number="4242424242424242",
            coupon_code="LAST",
        )
        return "sold"

    assert sorted(at_once(buy_with_the_code, times=4)) == ["coupon_invalid"] * 3 + ["sold"]
    assert Coupon.objects.get(pk=coupon.pk).times_redeemed == 1
    assert list(Payment.objects.values_list("amount", "discount")) == [(2450, 2450)]
    assert (Customer.objects.count(), Enrolment.objects.count(), CheckoutSession.objects.count()) == (1, 1, 1)
