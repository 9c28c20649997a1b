"""The desk opens and downloads a customer's receipts from their profile; another creator's is 404."""

from __future__ import annotations

import io

import pytest
from django.db import transaction
from pypdf import PdfReader

from coursedesk.audit.services import Actor
from coursedesk.billing.models import Receipt
from coursedesk.billing.receipts import receipt_issue
from coursedesk.billing.refunds import payment_refund
from tests.desk.conftest import make_payment
from tests.factories import make_course, make_customer


@pytest.fixture
def receipt(payment):
    with transaction.atomic():
        return receipt_issue(payment=payment)


def test_the_profile_links_each_payment_to_its_receipt_and_pdf(creator_client, customer, payment, receipt):
    html = creator_client.get(f"/desk/customers/{customer.pk}/").content.decode()

    assert f'href="/desk/customers/{customer.pk}/receipts/{receipt.pk}/"' in html
    assert f">Receipt No. {receipt.number}</a>" in html
    assert f'href="/desk/customers/{customer.pk}/receipts/{receipt.pk}/pdf/"' in html


def test_the_creator_opens_the_receipt_and_the_receipts_of_its_refunds(
    creator, creator_client, customer, payment, receipt
):
    payment_refund(payment=payment, amount=900, actor=Actor.creator(creator), source="desk")
    refund_receipt = Receipt.objects.get(kind="refund")

    response = creator_client.get(f"/desk/customers/{customer.pk}/receipts/{receipt.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert '<strong id="receipt-number">1</strong>' in html
    assert "Zoë Okafor, zoe@example.com" in html
    assert (
        f'(refund receipt <a href="/desk/customers/{customer.pk}/receipts/{refund_receipt.pk}/">No. 2</a>)'
        in html
    )
    assert f'href="/desk/customers/{customer.pk}/receipts/{receipt.pk}/pdf/"' in html


def test_the_creator_downloads_the_pdf(creator_client, customer, payment, receipt):
    response = creator_client.get(f"/desk/customers/{customer.pk}/receipts/{receipt.pk}/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="receipt-1.pdf"'
    text = " ".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
    assert "Receipt No. 1" in text
    assert "Paid $49.00" in text


def test_a_receipt_is_404_under_another_customer_and_for_another_creator(
    creator_client, creator, other_creator, customer, course, receipt
):
    # the creator's own receipt under another of their customers
    other_customer = make_customer(creator, email="sam@example.com")
    assert (
        creator_client.get(f"/desk/customers/{other_customer.pk}/receipts/{receipt.pk}/").status_code == 404
    )
    # another creator's receipt under that creator's customer
    theirs = make_customer(other_creator, email="theirs@example.com")
    with transaction.atomic():
        foreign = receipt_issue(payment=make_payment(theirs, make_course(other_creator, slug="rival"), 1500))
    for suffix in ("", "pdf/"):
        assert (
            creator_client.get(f"/desk/customers/{theirs.pk}/receipts/{foreign.pk}/{suffix}").status_code
            == 404
        )


def test_a_signed_out_visitor_is_sent_to_sign_in(client, customer, receipt):
    response = client.get(f"/desk/customers/{customer.pk}/receipts/{receipt.pk}/")
    assert response.status_code == 302
