"""Payment emails share one greeting, test-mode line, sign-off and date wording."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from coursedesk.audit.services import Actor
from coursedesk.billing.emails import email_date
from coursedesk.billing.models import CheckoutSession, Receipt, Subscription
from coursedesk.billing.refunds import payment_refund
from coursedesk.billing.renewals import renewals_run
from coursedesk.core import clock
from coursedesk.mail.models import OutboundEmail
from tests.billing.test_renewals import bought


def newest(kind):
    return OutboundEmail.objects.filter(kind=kind).order_by("-pk").first()


def test_a_day_is_written_one_way():
    assert email_date(dt.datetime(2026, 11, 21, 23, 30, tzinfo=dt.UTC)) == "November 21, 2026"
    assert email_date(dt.date(2027, 1, 3)) == "January 3, 2027"


def test_the_checkout_receipt_of_a_plan_says_which_payment_and_the_next_date(frozen_now, plan_page):
    bought(plan_page)
    session = CheckoutSession.objects.get()

    assert newest("receipt").text_body == (
        "Hi Ada,\n\n"
        "Thank you for your payment of $20.00 for Watercolor Foundations (Three payments).\n"
        "Paid on November 21, 2026. Payment reference: "
        f"sbx_ch_checkout_renewals_{plan_page.pk}_{session.pk}.\n"
        "That was payment 1 of 3.\n"
        "Your next payment is due on December 21, 2026.\n"
        "Receipt No. 1 (to view, print or save as PDF): "
        f"{settings.SITE_URL}/c/watercolor/receipts/{Receipt.objects.get().access_key}/\n\n"
        "This is a test-mode payment: no real money moved.\n\n"
        "Maya Studio"
    )


def test_a_renewal_receipt_has_the_same_shape(frozen_now, plan_page):
    subscription = bought(plan_page)
    clock.set_now(subscription.next_payment_at)

    renewals_run()

    receipt = newest("receipt")
    assert receipt.subject == "Your receipt for Watercolor Foundations"
    assert receipt.text_body == (
        "Hi Ada,\n\n"
        "Thank you for your payment of $20.00 for Watercolor Foundations (Three payments).\n"
        f"Paid on December 21, 2026. Payment reference: sbx_ch_renewal_{subscription.pk}_2.\n"
        "That was payment 2 of 3.\n"
        "Your next payment is due on January 21, 2027.\n"
        "Receipt No. 2 (to view, print or save as PDF): "
        f"{settings.SITE_URL}/c/watercolor/receipts/{Receipt.objects.get(number=2).access_key}/\n\n"
        "This is a test-mode payment: no real money moved.\n\n"
        "Maya Studio"
    )


def test_the_failed_payment_notice_says_where_to_update_the_card_and_when_it_is_retried(
    frozen_now, monthly_page
):
    subscription = bought(monthly_page)
    Subscription.objects.update(gateway_payment_method_id="sbx_pm_fails_0341_x")
    clock.set_now(subscription.next_payment_at)

    renewals_run()

    notice = newest("payment_failed")
    assert notice.subject == "Your payment for Watercolor Foundations failed"
    assert notice.text_body == (
        "Hi Ada,\n\n"
        "We could not take your payment of $19.00 for Watercolor Foundations: Your card was declined.\n"
        f"Please update your card here: {settings.SITE_URL}/c/watercolor/billing/\n"
        "We will try again on December 24, 2026; a new card is tried at once when you save it.\n\n"
        "This is a test-mode payment: no real money moved.\n\n"
        "Maya Studio"
    )


def test_the_refund_notice_has_the_same_greeting_test_mode_line_and_sign_off(creator, payment):
    payment_refund(payment=payment, amount=1000, actor=Actor.creator(creator), source="desk")

    assert newest("refund_notice").text_body == (
        "Hi Zoë,\n\n"
        "We have refunded $10.00 of your payment of $49.00 for Watercolor Foundations "
        "made on November 21, 2026.\n"
        "Depending on your bank, it can take 5 to 10 days to appear on your statement.\n"
        "Refund receipt No. 1: "
        f"{settings.SITE_URL}/c/watercolor/receipts/{Receipt.objects.get(kind='refund').access_key}/\n\n"
        "This is a test-mode payment: no real money moved.\n\n"
        "Maya Studio"
    )
