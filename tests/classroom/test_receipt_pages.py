"""The student's receipt: opened by its long random address (from the email), linked from the
billing page, as a page and as a PDF; any other address is 404."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from coursedesk.audit.services import Actor
from coursedesk.billing.models import Receipt
from coursedesk.billing.payments import payment_record
from coursedesk.billing.refunds import payment_refund
from tests.factories import make_course


@pytest.fixture
def paid(frozen_now, customer, course, one_time_page, enrolment):
    return payment_record(
        customer=customer,
        course=course,
        payment_page=one_time_page,
        subscription=None,
        amount=4900,
        currency="usd",
        gateway="sandbox",
        reference="sbx_ch_receipt_page",
        actor=Actor.buyer(customer.email),
        source="checkout",
    )


@pytest.fixture
def receipt(paid):
    return Receipt.objects.get(payment=paid)


def test_the_receipt_opens_from_its_address_without_signing_in(client, creator, paid, receipt):
    payment_refund(payment=paid, amount=1500, actor=Actor.creator(creator), source="desk")
    refund_receipt = Receipt.objects.get(kind="refund")

    response = client.get(f"/c/watercolor/receipts/{receipt.access_key}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert '<strong id="receipt-number">1</strong>' in html
    assert "Watercolor Foundations (Lifetime access)" in html
    assert '<td class="amount">$49.00</td>' in html
    assert f'<a href="/c/watercolor/receipts/{refund_receipt.access_key}/">No. 2</a>' in html
    assert '<td class="amount">$34.00</td>' in html  # paid after refunds
    assert f'href="/c/watercolor/receipts/{receipt.access_key}/pdf/"' in html


def test_the_pdf_downloads_with_the_number_and_the_amount(client, receipt):
    response = client.get(f"/c/watercolor/receipts/{receipt.access_key}/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="receipt-1.pdf"'
    text = " ".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
    assert "Receipt No. 1" in text
    assert "Paid $49.00" in text


def test_a_wrong_key_or_another_course_is_404(client, creator, receipt):
    make_course(creator, title="Ink Sketching", slug="ink")
    key = receipt.access_key
    wrong = key[:-1] + ("y" if key.endswith("x") else "x")  # one character off, never the key itself
    assert client.get(f"/c/watercolor/receipts/{wrong}/").status_code == 404
    assert client.get(f"/c/ink/receipts/{receipt.access_key}/").status_code == 404
    assert client.get(f"/c/watercolor/receipts/{receipt.pk}/pdf/").status_code == 404


def test_the_billing_page_links_each_payment_to_its_receipt(student_client, receipt):
    html = student_client.get("/c/watercolor/billing/").content.decode()

    assert f'<a href="/c/watercolor/receipts/{receipt.access_key}/">No. 1</a>' in html
    assert f'<a href="/c/watercolor/receipts/{receipt.access_key}/pdf/">PDF</a>' in html
