"""Every payment email to a customer: receipts, failed-payment notices, refund notices.

Each is a few plain-text lines put between one greeting and one sign-off by `payment_email_queue`,
which also says when no real money moved, and queues it through the outbox.
"""

from __future__ import annotations

import datetime as dt

from django.utils import dateformat, timezone

from coursedesk.audit.services import Actor
from coursedesk.billing.receipts import payment_receipt_of, receipt_url, refund_receipt_of
from coursedesk.catalog.links import course_links
from coursedesk.mail.models import OutboundEmail
from coursedesk.mail.services import email_queue

TEST_MODE_LINE = "This is a test-mode payment: no real money moved."


def email_date(moment: dt.datetime | dt.date) -> str:
    """How a day is written in a payment email: "November 21, 2026", in the site's time zone."""
    if isinstance(moment, dt.datetime):
        moment = timezone.localdate(moment)
    return dateformat.format(moment, "F j, Y")


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
) -> OutboundEmail:
    """A short plain-text email about a payment, signed with the creator's name; audited as queued."""
    greeting = f"Hi {customer.first_name}," if customer.first_name else "Hello,"
    footer = [TEST_MODE_LINE, ""] if test_mode else []
    body = "\n".join([greeting, "", *lines, "", *footer, customer.creator.name or course.title])
    return email_queue(
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


def payment_receipt_queue(
    *, payment, test_mode: bool, installment: int | None = None, actor: Actor, source: str
) -> OutboundEmail:
    """The receipt of a payment taken, at checkout or at a renewal. For a subscription it also says
    which payment of a plan this was (`installment`) and when the next one is due."""
    page, course, subscription = payment.payment_page, payment.course, payment.subscription
    lines = [
        f"Thank you for your payment of {payment.money.format()} for {course.title}"
        + (f" ({page.name})." if page is not None else "."),
        f"Paid on {email_date(payment.paid_at)}. "
        f"Payment reference: {payment.gateway_payment_id or payment.pk}.",
    ]
    if installment and subscription is not None and subscription.installments_total:
        lines.append(f"That was payment {installment} of {subscription.installments_total}.")
    if subscription is not None and subscription.next_payment_at:
        lines.append(f"Your next payment is due on {email_date(subscription.next_payment_at)}.")
    receipt = payment_receipt_of(payment)
    if receipt is not None:
        lines.append(f"Receipt No. {receipt.number} (to view, print or save as PDF): {receipt_url(receipt)}")
    return payment_email_queue(
        customer=payment.customer,
        course=course,
        kind=OutboundEmail.Kind.RECEIPT,
        subject=f"Your receipt for {course.title}",
        lines=lines,
        test_mode=test_mode,
        actor=actor,
        source=source,
    )


# After the last retry failed, what the creator's policy did (PaymentPolicy.FinalAction's values).
FINAL_ACTION_LINES = {
    "keep_past_due": "That was our last try. Your subscription stays open: update your card and we "
    "will take the payment at once.",
    "cancel": "That was our last try, so your subscription is now canceled and nothing more will be charged.",
    "cancel_and_revoke": "That was our last try, so your subscription is now canceled and your access "
    "to {course} has ended.",
}


def payment_failed_notice_queue(
    *,
    payment,
    retry_at: dt.datetime | None,
    test_mode: bool,
    actor: Actor,
    source: str,
    final_action: str = "",
) -> OutboundEmail:
    """A renewal that could not be charged: the amount, the course, why, where to update the card
    (which tries again at once), and when it is tried again or what happened after the last try."""
    course = payment.course
    lines = [
        f"We could not take your payment of {payment.money.format()} for {course.title}: "
        f"{payment.failure_message}",
        f"Please update your card here: {course_links(course)['billing_url']}",
    ]
    if final_action:
        lines.append(FINAL_ACTION_LINES[final_action].format(course=course.title))
    elif retry_at is not None:
        lines.append(
            f"We will try again on {email_date(retry_at)}; a new card is tried at once when you save it."
        )
    return payment_email_queue(
        customer=payment.customer,
        course=course,
        kind=OutboundEmail.Kind.PAYMENT_FAILED,
        subject=f"Your payment for {course.title} failed",
        lines=lines,
        test_mode=test_mode,
        actor=actor,
        source=source,
    )


def card_update_link_queue(*, subscription, test_mode: bool, actor: Actor, source: str) -> OutboundEmail:
    """The billing page's address for a subscription behind on its payments: a new card saved there
    is tried at once."""
    course = subscription.course
    lines = [
        f"Your {subscription.money.format()} payment for {course.title} is still unpaid.",
        f"Please update your card here: {course_links(course)['billing_url']}",
        "The new card is tried as soon as you save it.",
    ]
    return payment_email_queue(
        customer=subscription.customer,
        course=course,
        kind=OutboundEmail.Kind.CARD_UPDATE_LINK,
        subject=f"Update your card for {course.title}",
        lines=lines,
        test_mode=test_mode,
        actor=actor,
        source=source,
    )


def refund_notice_queue(*, refund, test_mode: bool, actor: Actor, source: str) -> OutboundEmail:
    payment = refund.payment
    course = payment.course
    receipt = refund_receipt_of(refund)
    return payment_email_queue(
        customer=payment.customer,
        course=course,
        kind=OutboundEmail.Kind.REFUND_NOTICE,
        subject=f"Your refund for {course.title}",
        lines=[
            f"We have refunded {refund.money.format()} of your payment of {payment.money.format()} "
            f"for {course.title} made on {email_date(payment.paid_at)}.",
            "Depending on your bank, it can take 5 to 10 days to appear on your statement.",
            *(
                [f"Refund receipt No. {receipt.number}: {receipt_url(receipt)}"]
                if receipt is not None
                else []
            ),
        ],
        test_mode=test_mode,
        actor=actor,
        source=source,
    )
