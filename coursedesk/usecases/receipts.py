"""A receipt as the customer and the creator read it: one HTML page, and the same page as a PDF.

Both the student's pages and the desk show it through these functions, so the two never differ.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from coursedesk.billing.gateways import gateway_named
from coursedesk.billing.models import Receipt, Refund
from coursedesk.core.display import display_use
from coursedesk.core.money import Money
from coursedesk.usecases.display import display_for_creator

RECEIPT_CSS = "coursedesk/receipt.css"


@dataclass(frozen=True)
class ReceiptRefund:
    """A refund listed on a payment's receipt (or on a refund's receipt, the refund itself)."""

    refunded_at: dt.datetime
    amount: Money
    receipt: Receipt | None
    url: str = ""  # where its receipt opens, for the reader of this page

    @property
    def receipt_number(self) -> int | None:
        return self.receipt.number if self.receipt is not None else None


@dataclass(frozen=True)
class ReceiptDocument:
    receipt: Receipt
    title: str
    seller_name: str
    seller_email: str
    customer_name: str
    customer_email: str
    course_title: str
    item: str
    paid_at: dt.datetime
    reference: str
    price: Money | None  # before the discount, when there was one
    paid: Money
    refunds: list[ReceiptRefund]
    refunded: Money
    kept: Money  # paid less refunded (on a payment's receipt)
    payment_receipt_number: int | None  # the payment's receipt, named on a refund's receipt
    test_mode: bool


def receipt_document(receipt: Receipt) -> ReceiptDocument:
    payment = receipt.payment
    customer, course = payment.customer, payment.course
    refunds = list(
        Refund.objects.filter(payment=payment, status=Refund.Status.SUCCEEDED).order_by("created_at", "pk")
    )
    if receipt.kind == Receipt.Kind.REFUND:
        refunds = [refund for refund in refunds if refund.pk == receipt.refund_id]
    receipts = {r.refund_id: r for r in Receipt.objects.filter(refund__in=refunds)}
    listed = [
        ReceiptRefund(refunded_at=refund.created_at, amount=refund.money, receipt=receipts.get(refund.pk))
        for refund in refunds
    ]
    refunded = sum(refund.amount for refund in refunds)
    discount = receipt.discount
    payment_receipt = payment.receipts.filter(kind=Receipt.Kind.PAYMENT).values_list("number", flat=True)
    page = payment.payment_page
    return ReceiptDocument(
        receipt=receipt,
        title=receipt.get_kind_display(),
        seller_name=receipt.business_name or receipt.creator.name or course.title,
        seller_email=course.contact_email or receipt.creator.email,
        customer_name=" ".join(part for part in (customer.first_name, customer.last_name) if part),
        customer_email=customer.email,
        course_title=course.title,
        item=f"{course.title} ({page.name})" if page is not None else course.title,
        paid_at=payment.paid_at,
        reference=payment.gateway_payment_id or str(payment.pk),
        price=Money(payment.amount + discount.amount, payment.currency) if discount else None,
        paid=payment.money,
        refunds=listed,
        refunded=Money(refunded, payment.currency),
        kept=Money(payment.amount - refunded, payment.currency),
        payment_receipt_number=payment_receipt.first() if receipt.kind == Receipt.Kind.REFUND else None,
        test_mode=gateway_named(payment.gateway, creator=receipt.creator).is_test_mode,
    )


def receipt_html(
    receipt: Receipt,
    *,
    pdf_url: str = "",
    receipt_url: Callable[[Receipt], str] | None = None,
    for_pdf: bool = False,
) -> str:
    """The receipt as a whole HTML page, in the display of the request (the creator's date format
    and time zone on the student's page, see `receipt_display_use`). `receipt_url` gives the page
    links to the receipts of the refunds it lists; the PDF has none."""
    document = receipt_document(receipt)
    if receipt_url is not None and receipt.kind == Receipt.Kind.PAYMENT:
        refunds = [
            replace(refund, url=receipt_url(refund.receipt)) if refund.receipt else refund
            for refund in document.refunds
        ]
        document = replace(document, refunds=refunds)
    return render_to_string(
        "receipts/receipt.html", {"document": document, "pdf_url": pdf_url, "for_pdf": for_pdf}
    )


def receipt_display_use(receipt: Receipt) -> None:
    """Dates and amounts as the receipt's creator writes them, for this request."""
    display_use(display_for_creator(receipt.creator))


def receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt's page printed to PDF by WeasyPrint, its style read from the static file the page
    links (nothing is fetched over the network)."""
    import weasyprint  # noqa: PLC0415 -- loads Pango through cffi; only receipts need it

    style = weasyprint.CSS(filename=finders.find(RECEIPT_CSS))
    return weasyprint.HTML(string=receipt_html(receipt, for_pdf=True)).write_pdf(stylesheets=[style])


def receipt_filename(receipt: Receipt) -> str:
    kind = "refund-receipt" if receipt.kind == Receipt.Kind.REFUND else "receipt"
    return f"{kind}-{receipt.number}.pdf"
