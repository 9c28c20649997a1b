"""Payment emails to a customer (receipts, failed-payment notices), queued through the outbox."""

from __future__ import annotations

from coursedesk.audit.services import Actor
from coursedesk.mail.services import email_queue

TEST_MODE_LINE = "This is a test-mode payment: no real money moved."


def payment_email_queue(
    *,
    customer,
    course,
    kind: str,
    subject: str,
    lines: list[str],
    test_mode: bool,
    actor: Actor,
    source: str,
):
    """A short plain-text email about a payment, signed with the creator's name; audited as queued."""
    greeting = f"Hi {customer.first_name}," if customer.first_name else "Hello,"
    footer = [TEST_MODE_LINE, ""] if test_mode else []
    body = "\n".join([greeting, "", *lines, "", *footer, customer.creator.name or course.title])
    email = email_queue(
        creator=customer.creator,
        customer=customer,
        course=course,
        kind=kind,
        to=customer.email,
        subject=subject,
        text_body=body,
        actor=actor,
        source=source,
    )
    return email


def payment_receipt_queue(*, payment, test_mode: bool, actor: Actor, source: str):
    page = payment.payment_page
    lines = [
        f"Thank you for your payment of {payment.money.format()} for {payment.course.title}"
        + (f" ({page.name})." if page is not None else "."),
        f"Paid on {payment.paid_at:%Y-%m-%d}. Payment reference: {payment.gateway_payment_id or payment.pk}.",
    ]
    return payment_email_queue(
        customer=payment.customer,
        course=payment.course,
        kind="receipt",
        subject=f"Your receipt for {payment.course.title}",
        lines=lines,
        test_mode=test_mode,
        actor=actor,
        source=source,
    )
