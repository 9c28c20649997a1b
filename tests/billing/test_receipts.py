"""Receipts: one per successful payment and refund, numbered per creator from 1 with no gap and no
number twice, carrying the business details of the day they were issued."""

from __future__ import annotations

import datetime as dt
import importlib
import io

import pytest
from django.apps import apps
from django.db import transaction
from pypdf import PdfReader

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing.dunning import payment_policy_update
from coursedesk.billing.emails import payment_receipt_queue
from coursedesk.billing.models import Payment, PaymentPolicy, Receipt, ReceiptCounter, Refund
from coursedesk.billing.payments import payment_record
from coursedesk.billing.receipts import receipt_issue
from coursedesk.billing.refunds import payment_refund, payment_refund_record, refund_status_sync
from coursedesk.core import clock
from coursedesk.mail.models import OutboundEmail
from coursedesk.usecases.receipts import receipt_document, receipt_html, receipt_pdf
from tests.billing.conftest import make_payment
from tests.factories import make_course, make_customer

past_receipts = importlib.import_module("coursedesk.billing.migrations.0007_receipts_for_past_payments")


def paid(customer, course, amount=4900, *, succeeded=True, page=None):
    with transaction.atomic():
        return payment_record(
            customer=customer,
            course=course,
            payment_page=page,
            subscription=None,
            amount=amount,
            currency="usd",
            gateway="sandbox",
            reference=f"sbx_ch_receipt_{Payment.objects.count() + 1}",
            succeeded=succeeded,
            failure_message="" if succeeded else "The card was declined.",
            actor=Actor.buyer(customer.email),
            source="checkout",
        )


def refunded(payment, creator, amount=None):
    return payment_refund(payment=payment, amount=amount, actor=Actor.creator(creator), source="desk")


def numbers(creator):
    return list(
        Receipt.objects.filter(creator=creator).order_by("number").values_list("number", "kind", "amount")
    )


@pytest.fixture
def business(creator):
    payment_policy_update(
        creator=creator,
        actor=Actor.creator(creator),
        source="desk",
        business_name="Maya Studio Ltd",
        business_address="12 Canal Street\nAmsterdam",
        tax_id="NL123456789B01",
    )


def test_payments_and_refunds_are_numbered_in_turn_from_one_per_creator(
    frozen_now, creator, other_creator, course, customer
):
    # given two payments and a partial refund of the first at one creator
    first = paid(customer, course, 4900)
    paid(customer, course, 1900)
    refunded(first, creator, amount=1000)
    # and a payment at another creator
    rival = make_customer(other_creator, email="kim@example.com")
    paid(rival, make_course(other_creator, title="Rival course", slug="rival"), 2500)

    # then each creator counts from 1, payments and refunds alike, in the order the money moved
    assert numbers(creator) == [(1, "payment", 4900), (2, "payment", 1900), (3, "refund", 1000)]
    assert numbers(other_creator) == [(1, "payment", 2500)]
    assert ReceiptCounter.objects.get(creator=creator).last_number == 3
    # and the payment's timeline event names its receipt
    event = AuditEvent.objects.filter(type="payment.succeeded", subject_id=str(first.pk)).get()
    assert event.data["receipt_number"] == 1
    assert AuditEvent.objects.get(type="payment.refunded").data["receipt_number"] == 3


def test_a_failed_payment_or_refund_has_no_receipt_and_takes_no_number(frozen_now, creator, course, customer):
    # given a failed payment
    paid(customer, course, 4900, succeeded=False)
    # and a refund the gateway reports as failed
    payment = paid(customer, course, 4900)
    payment_refund_record(
        payment=payment,
        amount=4900,
        gateway_refund_id="re_failed",
        status=Refund.Status.FAILED,
        actor=Actor.gateway(),
        source="stripe",
    )

    # then only the successful payment has a receipt, and it is No. 1
    assert numbers(creator) == [(1, "payment", 4900)]


def test_a_pending_refund_gets_its_receipt_when_it_succeeds(frozen_now, creator, course, customer):
    payment = paid(customer, course, 4900)
    refund = payment_refund_record(
        payment=payment,
        amount=2000,
        gateway_refund_id="re_pending",
        status=Refund.Status.PENDING,
        actor=Actor.gateway(),
        source="stripe",
    )
    assert numbers(creator) == [(1, "payment", 4900)]

    refund_status_sync(refund=refund, gateway_refund_id="re_pending", status=Refund.Status.SUCCEEDED)
    refund_status_sync(refund=refund, gateway_refund_id="re_pending", status=Refund.Status.SUCCEEDED)

    assert numbers(creator) == [(1, "payment", 4900), (2, "refund", 2000)]
    assert Receipt.objects.get(kind="refund").refund_id == refund.pk


def test_a_rolled_back_payment_takes_its_number_back(frozen_now, creator, course, customer):
    paid(customer, course, 4900)

    # when a payment is recorded in a transaction that then fails
    with pytest.raises(RuntimeError), transaction.atomic():
        paid(customer, course, 1900)
        raise RuntimeError("the checkout failed after recording the payment")
    paid(customer, course, 2500)

    # then the next payment gets the number the failed one had
    assert numbers(creator) == [(1, "payment", 4900), (2, "payment", 2500)]


def test_a_receipt_is_issued_once(frozen_now, creator, course, customer):
    payment = paid(customer, course, 4900)
    with transaction.atomic():
        again = receipt_issue(payment=payment)
    assert again.number == 1
    assert Receipt.objects.count() == 1
    with pytest.raises(ValueError, match="Only a successful payment"):
        receipt_issue(payment=make_payment(customer, course, status="failed"))


def test_a_receipt_keeps_the_business_details_of_the_day_it_was_issued(
    frozen_now, creator, course, customer, business
):
    payment = paid(customer, course, 4900)
    # when the creator changes their details afterwards
    payment_policy_update(
        creator=creator, actor=Actor.creator(creator), source="desk", business_name="Maya Studio BV"
    )
    receipt = Receipt.objects.get(payment=payment)

    assert (receipt.business_name, receipt.business_address, receipt.tax_id) == (
        "Maya Studio Ltd",
        "12 Canal Street\nAmsterdam",
        "NL123456789B01",
    )
    assert PaymentPolicy.objects.get(creator=creator).business_name == "Maya Studio BV"


def test_the_receipt_email_names_the_receipt_and_its_address(frozen_now, creator, course, customer):
    payment = paid(customer, course, 4900)
    receipt = Receipt.objects.get(payment=payment)
    email = payment_receipt_queue(payment=payment, test_mode=True, actor=Actor.system(), source="checkout")

    assert (
        f"Receipt No. 1 (to view, print or save as PDF): "
        f"http://127.0.0.1:8000/c/watercolor/receipts/{receipt.access_key}/\n"
    ) in email.text_body
    assert len(receipt.access_key) == 32


def test_the_refund_notice_names_the_refund_receipt(frozen_now, creator, course, customer):
    payment = paid(customer, course, 4900)
    refunded(payment, creator, amount=900)
    receipt = Receipt.objects.get(kind="refund")

    notice = OutboundEmail.objects.get(kind="refund_notice")
    assert f"Refund receipt No. 2: http://127.0.0.1:8000/c/watercolor/receipts/{receipt.access_key}/" in (
        notice.text_body
    )


def test_the_receipt_names_the_seller_the_customer_the_course_the_amount_and_the_refunds(
    frozen_now, creator, course, customer, business, one_time_page
):
    payment = paid(customer, course, 4900, page=one_time_page)
    clock.advance(dt.timedelta(days=2))
    refunded(payment, creator, amount=1500)

    document = receipt_document(Receipt.objects.get(kind="payment"))

    assert (document.title, document.receipt.number) == ("Receipt", 1)
    assert (document.seller_name, document.customer_name, document.customer_email) == (
        "Maya Studio Ltd",
        "Zoë Okafor",
        "zoe@example.com",
    )
    assert document.item == "Watercolor Foundations (Lifetime access)"
    assert (str(document.paid), str(document.refunded), str(document.kept)) == ("$49.00", "$15.00", "$34.00")
    assert [(r.refunded_at, str(r.amount), r.receipt_number) for r in document.refunds] == [
        (frozen_now + dt.timedelta(days=2), "$15.00", 2)
    ]
    assert document.price is None  # no discount
    html = receipt_html(document.receipt)
    assert "Tax ID: NL123456789B01" in html
    assert "Refunded on 23 Nov 2026 (refund receipt No. 2)" in html
    assert "Paid after refunds" in html


def test_a_refund_receipt_names_the_payment_receipt_and_only_its_own_refund(
    frozen_now, creator, course, customer
):
    payment = paid(customer, course, 4900)
    refunded(payment, creator, amount=1000)
    refunded(payment, creator, amount=500)

    document = receipt_document(Receipt.objects.get(number=3))

    assert (document.title, document.payment_receipt_number) == ("Refund receipt", 1)
    assert [str(r.amount) for r in document.refunds] == ["$5.00"]


def test_a_discount_shows_the_price_before_it(frozen_now, creator, course, customer):
    payment = paid(customer, course, 3900)
    receipt = Receipt.objects.get(payment=payment)
    Receipt.objects.filter(pk=receipt.pk).update(discount_amount=1000)
    receipt.refresh_from_db()

    document = receipt_document(receipt)
    html = receipt_html(receipt)

    assert (str(document.price), str(document.paid)) == ("$49.00", "$39.00")
    assert "<td>Discount</td>" in html


def test_the_pdf_carries_the_number_the_amount_and_the_refund(
    frozen_now, creator, course, customer, business
):
    payment = paid(customer, course, 4900)
    refunded(payment, creator, amount=1500)

    pdf = receipt_pdf(Receipt.objects.get(kind="payment"))

    assert pdf.startswith(b"%PDF-")
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "Receipt No. 1" in text
    assert "Maya Studio Ltd" in text
    assert "Paid $49.00" in text
    assert "Refunded on 21 Nov 2026 (refund receipt No. 2) −$15.00" in text
    assert "Paid after refunds $34.00" in text


def test_past_payments_get_receipts_in_the_order_they_were_paid(frozen_now, creator, course, customer):
    # given payments and refunds recorded before receipts existed (rows made directly)
    later = make_payment(customer, course, amount=1900, paid_at=frozen_now - dt.timedelta(days=1))
    earlier = make_payment(customer, course, amount=4900, paid_at=frozen_now - dt.timedelta(days=5))
    make_payment(customer, course, amount=999, status="failed", paid_at=frozen_now - dt.timedelta(days=3))
    Refund.objects.create(
        payment=earlier,
        amount=700,
        currency="usd",
        status="succeeded",
        created_at=frozen_now - dt.timedelta(days=2),
    )
    Refund.objects.create(
        payment=earlier,
        amount=300,
        currency="usd",
        status="failed",
        created_at=frozen_now - dt.timedelta(days=2),
    )

    # when the data migration runs (twice: the second run finds receipts and leaves them)
    past_receipts.issue_past_receipts(apps, None)
    past_receipts.issue_past_receipts(apps, None)

    # then they are numbered by the time the money moved, and numbering goes on from there
    assert [(r.number, r.kind, r.payment_id, r.amount) for r in Receipt.objects.order_by("number")] == [
        (1, "payment", earlier.pk, 4900),
        (2, "refund", earlier.pk, 700),
        (3, "payment", later.pk, 1900),
    ]
    assert paid(customer, course, 100).receipts.get().number == 4


def test_past_receipts_are_written_in_batches_without_a_gap(
    frozen_now, creator, course, customer, monkeypatch
):
    monkeypatch.setattr(past_receipts, "BATCH", 2)
    for n in range(5):
        make_payment(customer, course, amount=100 + n, paid_at=frozen_now - dt.timedelta(days=10 - n))

    past_receipts.issue_past_receipts(apps, None)

    assert list(Receipt.objects.order_by("number").values_list("number", "amount")) == [
        (1, 100),
        (2, 101),
        (3, 102),
        (4, 103),
        (5, 104),
    ]
    assert ReceiptCounter.objects.get(creator=creator).last_number == 5
