"""The Stripe webhook inbox: signatures, storing first, once-only effects, any delivery order.

localstripe sends none of these events (checkout sessions, invoice.paid, refunds, subscription
updates with pause_collection), so they are built from Stripe's documented JSON (stripe_json.py)
and signed exactly as Stripe signs them.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing import webhooks
from coursedesk.billing.checkout import checkout_intent_issue, checkout_start_hosted
from coursedesk.billing.emails import TEST_MODE_LINE
from coursedesk.billing.gateways.base import GatewayCard, GatewayRefund, HostedCheckout
from coursedesk.billing.gateways.stripe import StripeGateway, hosted_checkout_from
from coursedesk.billing.models import (
    GatewayAccount,
    Payment,
    PaymentPolicy,
    Refund,
    Subscription,
    WebhookEvent,
)
from coursedesk.billing.refunds import payment_refund
from coursedesk.billing.selectors import payment_refund_amounts
from coursedesk.billing.webhooks import webhook_events_replay
from coursedesk.customers.models import Customer, Enrolment
from coursedesk.mail.models import OutboundEmail
from tests.billing import stripe_json as sj
from tests.factories import make_page


@pytest.fixture
def stripe_account(creator):
    return GatewayAccount.objects.create(
        creator=creator,
        gateway="stripe",
        stripe_secret_key="sk_test_coursedesk",
        stripe_webhook_secret=sj.WEBHOOK_SECRET,
    )


@pytest.fixture
def hosted(monkeypatch):
    """Stripe's checkout page, as far as CourseDesk sees it: a session id and a URL."""
    created = []

    def create(self, *, page, email, client_reference, **kwargs):
        session_id = f"cs_test_{client_reference}"
        created.append(session_id)
        return HostedCheckout(id=session_id, url=f"https://checkout.stripe.com/c/pay/{session_id}")

    monkeypatch.setattr(StripeGateway, "hosted_checkout_create", create)
    monkeypatch.setattr(StripeGateway, "price_ensure", lambda self, page: "plan_test")
    return created


def start(page, email="ada@example.com"):
    session, _url = checkout_start_hosted(
        page=page,
        intent_key=f"intent-{page.pk}-{email}",
        email=email,
        first_name="Ada",
        last_name="Lovelace",
        password="a long password",
        success_url="http://testserver/buy/1/?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="http://testserver/",
    )
    return session


def deliver(client, account, body, **kwargs):
    return sj.deliver(client, account.webhook_endpoint_id, body, **kwargs)


def counts():
    return (
        Customer.objects.count(),
        Enrolment.objects.count(),
        Payment.objects.count(),
        Subscription.objects.count(),
        Refund.objects.count(),
        OutboundEmail.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def bought_once(client, frozen_now, stripe_account, one_time_page, hosted):
    session = start(one_time_page)
    body = sj.event(
        "checkout.session.completed",
        sj.checkout_session(
            session_id=session.gateway_session_id,
            payment_intent="pi_test_1",
            client_reference=str(session.pk),
        ),
    )
    response = deliver(client, stripe_account, body)
    assert response.status_code == 200
    return Payment.objects.get()


@pytest.fixture
def bought_monthly(client, frozen_now, stripe_account, course, hosted):
    page = make_page(course, "subscription", amount=1900, interval="month")
    session = start(page)
    deliver(
        client,
        stripe_account,
        sj.event(
            "checkout.session.completed",
            sj.checkout_session(
                session_id=session.gateway_session_id,
                mode="subscription",
                amount=1900,
                subscription="sub_test_1",
                invoice="in_test_first",
            ),
        ),
    )
    return Subscription.objects.get()


# Signatures -------------------------------------------------------------------------------------


def test_a_forged_signature_is_refused_and_nothing_is_stored(client, stripe_account):
    body = sj.event("customer.subscription.deleted", sj.subscription(subscription_id="sub_x"))
    response = deliver(client, stripe_account, body, secret="whsec_someone_else")
    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 0


def test_a_missing_signature_is_refused(client, stripe_account):
    response = deliver(client, stripe_account, sj.event("invoice.paid", {}), signed=False)
    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 0


def test_a_tampered_body_is_refused(client, stripe_account):
    payload = b'{"id": "evt_1", "type": "charge.refunded", "data": {"object": {}}}'
    header = sj.signature(payload)
    response = client.post(
        f"/webhooks/stripe/{stripe_account.webhook_endpoint_id}/",
        data=payload.replace(b"evt_1", b"evt_2"),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )
    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 0


def test_an_old_signature_is_refused(client, stripe_account):
    payload = b'{"id": "evt_1", "type": "invoice.paid", "data": {"object": {}}}'
    header = sj.signature(payload, timestamp=int(time.time()) - 3600)
    response = client.post(
        f"/webhooks/stripe/{stripe_account.webhook_endpoint_id}/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )
    assert response.status_code == 400


def test_an_unknown_endpoint_is_not_found(client, db):
    response = sj.deliver(client, "no-such-endpoint", sj.event("invoice.paid", {}))
    assert response.status_code == 404


def test_an_event_type_not_handled_is_stored_and_ignored(client, stripe_account):
    response = deliver(client, stripe_account, sj.event("customer.created", {"id": "cus_1"}))
    assert response.status_code == 200
    stored = WebhookEvent.objects.get()
    assert (stored.type, stored.status, stored.attempts) == ("customer.created", "ignored", 1)


# Checkout -------------------------------------------------------------------------------------


def test_checkout_completed_fulfils_the_purchase_with_source_stripe(client, bought_once, course):
    customer = Customer.objects.get()
    assert (customer.email, customer.gateway_customer_id) == ("ada@example.com", "cus_test_buyer")
    assert customer.check_password("a long password")
    assert Enrolment.objects.get().status == "active"
    assert (bought_once.gateway, bought_once.gateway_payment_id, bought_once.amount) == (
        "stripe",
        "pi_test_1",
        4900,
    )
    assert list(OutboundEmail.objects.order_by("pk").values_list("kind", flat=True)) == ["welcome", "receipt"]
    assert set(AuditEvent.objects.values_list("actor_kind", "source")) == {("gateway", "stripe")}
    assert WebhookEvent.objects.get().status == "processed"


def test_the_same_event_twice_has_one_effect(client, bought_once, stripe_account):
    stored = WebhookEvent.objects.get()
    before = counts()

    response = deliver(client, stripe_account, stored.payload)

    assert response.status_code == 200
    assert counts() == before
    assert WebhookEvent.objects.count() == 1
    assert WebhookEvent.objects.get().attempts == 1


def test_the_return_page_after_the_webhook_changes_nothing(client, bought_once, monkeypatch, one_time_page):
    session_id = WebhookEvent.objects.get().payload["data"]["object"]["id"]
    monkeypatch.setattr(
        StripeGateway,
        "hosted_checkout_retrieve",
        lambda self, **kw: pytest.fail("a fulfilled checkout is not asked about again"),
    )
    before = counts()
    response = client.get(f"/buy/{one_time_page.pk}/?session_id={session_id}")
    assert response.status_code == 200
    assert "You're in!" in response.content.decode()
    assert counts() == before


def test_the_return_page_fulfils_first_and_the_webhook_is_then_a_no_op(
    client, frozen_now, stripe_account, one_time_page, hosted, monkeypatch
):
    session = start(one_time_page)
    completed = sj.checkout_session(session_id=session.gateway_session_id, payment_intent="pi_test_9")
    monkeypatch.setattr(
        StripeGateway,
        "hosted_checkout_retrieve",
        lambda self, *, checkout_reference: hosted_checkout_from(completed),
    )
    response = client.get(f"/buy/{one_time_page.pk}/?session_id={session.gateway_session_id}")
    assert "You're in!" in response.content.decode()
    assert Payment.objects.get().gateway_payment_id == "pi_test_9"
    assert AuditEvent.objects.filter(type="payment.succeeded").get().source == "checkout"
    before = counts()

    response = deliver(client, stripe_account, sj.event("checkout.session.completed", completed))

    assert response.status_code == 200
    assert counts() == before


def test_the_checkout_page_sends_the_buyer_to_stripe(client, stripe_account, one_time_page, hosted):
    response = client.post(
        f"/buy/{one_time_page.pk}/",
        {
            "first_name": "Ada",
            "email": "ada@example.com",
            "password": "a long password",
            "intent": checkout_intent_issue(page=one_time_page),
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    assert Customer.objects.count() == 0  # nothing is sold until Stripe says it is paid


def test_a_checkout_of_another_creator_is_ignored(
    client, frozen_now, other_creator, stripe_account, one_time_page, hosted
):
    session = start(one_time_page)
    rival = GatewayAccount.objects.create(
        creator=other_creator,
        gateway="stripe",
        stripe_secret_key="sk_test_rival",
        stripe_webhook_secret="whsec_rival",
    )
    body = sj.event(
        "checkout.session.completed",
        sj.checkout_session(session_id=session.gateway_session_id, payment_intent="pi_x"),
    )
    response = deliver(client, rival, body, secret="whsec_rival")
    assert response.status_code == 200
    assert WebhookEvent.objects.get().status == "ignored"
    assert Customer.objects.count() == 0


# Renewals -------------------------------------------------------------------------------------


def test_a_subscription_checkout_then_renewals_by_invoice(client, bought_monthly, stripe_account):
    subscription = bought_monthly
    assert (subscription.gateway, subscription.gateway_subscription_id) == ("stripe", "sub_test_1")
    assert Payment.objects.get().gateway_payment_id == "in_test_first"

    first = sj.invoice(
        invoice_id="in_test_first", subscription="sub_test_1", billing_reason="subscription_create"
    )
    assert deliver(client, stripe_account, sj.event("invoice.paid", first)).status_code == 200
    assert Payment.objects.count() == 1

    renewal = sj.invoice(invoice_id="in_test_second", subscription="sub_test_1", period_end=1800000000)
    deliver(client, stripe_account, sj.event("invoice.paid", renewal))
    deliver(client, stripe_account, sj.event("invoice.payment_succeeded", renewal))  # same invoice

    assert Payment.objects.filter(gateway_payment_id="in_test_second").count() == 1
    subscription.refresh_from_db()
    assert subscription.next_payment_at == dt.datetime.fromtimestamp(1800000000, tz=dt.UTC)
    event = AuditEvent.objects.filter(type="payment.succeeded").order_by("-pk").first()
    assert (event.actor_kind, event.source, event.data["amount"]) == ("gateway", "stripe", 1900)


def test_a_stripe_renewal_queues_coursedesks_receipt(client, bought_monthly, stripe_account):
    renewal = sj.invoice(invoice_id="in_test_second", subscription="sub_test_1", period_end=1800000000)
    mark = AuditEvent.objects.order_by("-pk").first().pk

    deliver(client, stripe_account, sj.event("invoice.paid", renewal))
    deliver(client, stripe_account, sj.event("invoice.payment_succeeded", renewal))  # same invoice

    receipt = OutboundEmail.objects.filter(kind="receipt").order_by("-pk").first()
    assert OutboundEmail.objects.filter(kind="receipt").count() == 2  # the checkout's, the renewal's
    assert (receipt.to, receipt.subject) == ("ada@example.com", "Your receipt for Watercolor Foundations")
    assert "Thank you for your payment of $19.00 for Watercolor Foundations" in receipt.text_body
    assert "Payment reference: in_test_second." in receipt.text_body
    assert "Your next payment is due on January 15, 2027." in receipt.text_body
    assert TEST_MODE_LINE in receipt.text_body  # the creator's Stripe keys are test keys
    # and the renewal has its numbered receipt, linked from the email
    paid = Payment.objects.get(gateway_payment_id="in_test_second")
    assert [r.number for r in paid.receipts.all()] == [2]
    assert (
        f"Receipt No. 2 (to view, print or save as PDF): "
        f"{settings.SITE_URL}/c/watercolor/receipts/{paid.receipts.get().access_key}/"
    ) in receipt.text_body
    assert [(e.type, e.source) for e in AuditEvent.objects.filter(pk__gt=mark).order_by("pk")] == [
        ("payment.succeeded", "stripe"),
        ("email.queued", "stripe"),
    ]


def test_a_failed_stripe_renewal_queues_the_failure_notice_with_stripes_retry_date(
    client, bought_monthly, stripe_account
):
    retry = int(dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC).timestamp())
    failed = sj.invoice(
        invoice_id="in_test_2", subscription="sub_test_1", status="open", next_payment_attempt=retry
    )
    mark = AuditEvent.objects.order_by("-pk").first().pk

    deliver(client, stripe_account, sj.event("invoice.payment_failed", failed))

    notice = OutboundEmail.objects.get(kind="payment_failed")
    assert notice.subject == "Your payment for Watercolor Foundations failed"
    assert "We could not take your payment of $19.00 for Watercolor Foundations" in notice.text_body
    assert "/c/watercolor/billing/" in notice.text_body
    assert "We will try again on November 24, 2026;" in notice.text_body
    assert [e.type for e in AuditEvent.objects.filter(pk__gt=mark).order_by("pk")] == [
        "payment.failed",
        "subscription.past_due",
        "email.queued",
    ]
    past_due = AuditEvent.objects.get(type="subscription.past_due")
    assert past_due.data["retry_at"] == "2026-11-24T10:00:00+00:00"


def test_a_failed_renewal_makes_it_past_due_and_a_later_payment_recovers_it(
    client, bought_monthly, stripe_account
):
    retry = int(dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC).timestamp())
    failed = sj.invoice(
        invoice_id="in_test_2", subscription="sub_test_1", status="open", next_payment_attempt=retry
    )
    deliver(client, stripe_account, sj.event("invoice.payment_failed", failed))

    subscription = Subscription.objects.get()
    assert subscription.status == "past_due"
    failed_payment = Payment.objects.get(status="failed")
    assert (failed_payment.amount, failed_payment.failure_message) == (1900, "The card was declined.")

    deliver(
        client,
        stripe_account,
        sj.event("invoice.paid", sj.invoice(invoice_id="in_test_2", subscription="sub_test_1")),
    )
    subscription.refresh_from_db()
    assert subscription.status == "active"
    assert [e.type for e in AuditEvent.objects.filter(type__startswith="subscription.").order_by("pk")] == [
        "subscription.created",
        "subscription.past_due",
        "subscription.recovered",
    ]


def test_a_renewal_invoice_records_what_stripes_coupon_took_off(client, bought_monthly, stripe_account):
    renewal = sj.invoice(invoice_id="in_test_2", subscription="sub_test_1", amount=1520)
    renewal["total_discount_amounts"] = [{"amount": 380, "discount": "di_1"}]

    deliver(client, stripe_account, sj.event("invoice.paid", renewal))

    payment = Payment.objects.get(gateway_payment_id="in_test_2")
    assert (payment.amount, payment.discount, str(payment.full_price)) == (1520, 380, "$19.00")


def test_a_plan_completes_at_its_last_invoice_and_stripe_is_told_to_stop(
    client, frozen_now, stripe_account, course, hosted, monkeypatch
):
    canceled = []
    monkeypatch.setattr(
        StripeGateway,
        "subscription_cancel",
        lambda self, *, subscription_reference: canceled.append(subscription_reference),
    )
    page = make_page(course, "payment_plan", amount=2000, installments=2, interval="month")
    session = start(page)
    deliver(
        client,
        stripe_account,
        sj.event(
            "checkout.session.completed",
            sj.checkout_session(
                session_id=session.gateway_session_id,
                mode="subscription",
                amount=2000,
                subscription="sub_plan",
                invoice="in_plan_1",
            ),
        ),
    )
    deliver(
        client,
        stripe_account,
        sj.event("invoice.paid", sj.invoice(invoice_id="in_plan_2", subscription="sub_plan", amount=2000)),
    )

    subscription = Subscription.objects.get()
    assert (subscription.status, subscription.next_payment_at) == ("completed", None)
    assert canceled == ["sub_plan"]
    assert Enrolment.objects.get().status == "active"
    # Stripe's deletion event that follows changes nothing
    before = counts()
    deliver(
        client,
        stripe_account,
        sj.event(
            "customer.subscription.deleted", sj.subscription(subscription_id="sub_plan", status="canceled")
        ),
    )
    assert counts() == before
    assert Subscription.objects.get().status == "completed"


# Order of delivery ----------------------------------------------------------------------------


def test_a_renewal_before_its_checkout_fails_then_replays_into_place(
    client, frozen_now, stripe_account, course, hosted
):
    page = make_page(course, "subscription", amount=1900, interval="month")
    session = start(page)
    renewal = sj.event("invoice.paid", sj.invoice(invoice_id="in_early", subscription="sub_late"))

    response = deliver(client, stripe_account, renewal)

    assert response.status_code == 500  # Stripe will deliver it again
    stored = WebhookEvent.objects.get()
    assert stored.status == "failed"
    assert "sub_late is not recorded yet" in stored.error
    assert Payment.objects.count() == 0

    deliver(
        client,
        stripe_account,
        sj.event(
            "checkout.session.completed",
            sj.checkout_session(
                session_id=session.gateway_session_id,
                mode="subscription",
                amount=1900,
                subscription="sub_late",
                invoice="in_first",
            ),
        ),
    )
    out = StringIO()
    call_command("replay_webhooks", "--failed", stdout=out)

    assert f"{renewal['id']} invoice.paid: processed" in out.getvalue()
    assert "Replayed 1 events; 0 still failed." in out.getvalue()
    assert sorted(Payment.objects.values_list("gateway_payment_id", flat=True)) == ["in_early", "in_first"]
    assert WebhookEvent.objects.get(event_id=renewal["id"]).attempts == 2


def test_a_stale_subscription_update_is_ignored(client, bought_monthly, stripe_account):
    now = int(time.time())
    paused = sj.event(
        "customer.subscription.updated",
        sj.subscription(
            subscription_id="sub_test_1", pause_collection={"behavior": "void", "resumes_at": 1800000000}
        ),
        created=now - 60,
    )
    resumed = sj.event(
        "customer.subscription.updated", sj.subscription(subscription_id="sub_test_1"), created=now
    )

    deliver(client, stripe_account, resumed)  # newest first: nothing to change
    deliver(client, stripe_account, paused)  # the older pause arrives late

    assert Subscription.objects.get().status == "active"
    assert WebhookEvent.objects.get(event_id=paused["id"]).status == "ignored"


def test_an_update_after_the_deletion_does_not_bring_it_back(client, bought_monthly, stripe_account):
    now = int(time.time())
    deliver(
        client,
        stripe_account,
        sj.event(
            "customer.subscription.deleted",
            sj.subscription(subscription_id="sub_test_1", status="canceled"),
            created=now,
        ),
    )
    deliver(
        client,
        stripe_account,
        sj.event(
            "customer.subscription.updated",
            sj.subscription(
                subscription_id="sub_test_1", pause_collection={"behavior": "void", "resumes_at": 1800000000}
            ),
            created=now - 30,
        ),
    )
    assert Subscription.objects.get().status == "canceled"


# Changes made in Stripe's dashboard -------------------------------------------------------------


def test_a_cancel_in_stripe_appears_with_source_stripe_and_keeps_access(
    client, bought_monthly, stripe_account
):
    deliver(
        client,
        stripe_account,
        sj.event(
            "customer.subscription.deleted", sj.subscription(subscription_id="sub_test_1", status="canceled")
        ),
    )

    subscription = Subscription.objects.get()
    assert subscription.status == "canceled"
    assert Enrolment.objects.get().status == "active"
    event = AuditEvent.objects.get(type="subscription.canceled")
    assert (event.actor_kind, event.actor_label, event.source) == ("gateway", "stripe", "stripe")


def test_a_pause_and_resume_in_stripe_appear_with_source_stripe(client, bought_monthly, stripe_account):
    now = int(time.time())
    resumes_at = int(dt.datetime(2027, 2, 1, tzinfo=dt.UTC).timestamp())
    deliver(
        client,
        stripe_account,
        sj.event(
            "customer.subscription.updated",
            sj.subscription(
                subscription_id="sub_test_1", pause_collection={"behavior": "void", "resumes_at": resumes_at}
            ),
            created=now - 10,
        ),
    )
    subscription = Subscription.objects.get()
    assert (subscription.status, subscription.paused_until) == ("paused", dt.date(2027, 2, 1))

    deliver(
        client,
        stripe_account,
        sj.event("customer.subscription.updated", sj.subscription(subscription_id="sub_test_1"), created=now),
    )
    subscription.refresh_from_db()
    assert subscription.status == "active"
    assert [
        (e.type, e.source)
        for e in AuditEvent.objects.filter(type__in=["subscription.paused", "subscription.resumed"]).order_by(
            "pk"
        )
    ] == [("subscription.paused", "stripe"), ("subscription.resumed", "stripe")]


def test_a_refund_in_stripe_appears_once_with_source_stripe(client, bought_once, stripe_account):
    first = sj.refund(
        refund_id="re_dash_1", amount=1000, charge="ch_1", payment_intent="pi_test_1", created=1
    )
    deliver(
        client,
        stripe_account,
        sj.event(
            "charge.refunded",
            sj.charge(charge_id="ch_1", payment_intent="pi_test_1", amount=4900, refunds=[first]),
        ),
    )
    second = sj.refund(
        refund_id="re_dash_2", amount=500, charge="ch_1", payment_intent="pi_test_1", created=2
    )
    deliver(
        client,
        stripe_account,
        sj.event(
            "charge.refunded",
            sj.charge(charge_id="ch_1", payment_intent="pi_test_1", amount=4900, refunds=[second, first]),
        ),
    )
    deliver(client, stripe_account, sj.event("refund.updated", second))

    assert sorted(Refund.objects.values_list("gateway_refund_id", "amount", "source")) == [
        ("re_dash_1", 1000, "stripe"),
        ("re_dash_2", 500, "stripe"),
    ]
    assert payment_refund_amounts(payment=bought_once).refundable.amount == 3400
    events = AuditEvent.objects.filter(type="payment.refunded").order_by("pk")
    assert [(e.actor_kind, e.source, e.data["refunded_total"]) for e in events] == [
        ("gateway", "stripe", {"old": 0, "new": 1000}),
        ("gateway", "stripe", {"old": 1000, "new": 1500}),
    ]
    assert OutboundEmail.objects.filter(kind="refund_notice").count() == 2


def test_a_refund_coursedesk_made_is_not_recorded_again(
    client, creator, bought_once, stripe_account, monkeypatch
):
    monkeypatch.setattr(
        StripeGateway, "refund", lambda self, **kw: GatewayRefund(id="re_ours", status="succeeded")
    )
    ours = payment_refund(payment=bought_once, amount=2000, actor=Actor.creator(creator), source="desk")
    before = counts()

    deliver(
        client,
        stripe_account,
        sj.event(
            "charge.refunded",
            sj.charge(
                charge_id="ch_1",
                payment_intent="pi_test_1",
                amount=4900,
                refunds=[
                    sj.refund(
                        refund_id="re_ours",
                        amount=2000,
                        charge="ch_1",
                        payment_intent="pi_test_1",
                        metadata={"coursedesk_refund": f"refund-{ours.pk}"},
                    )
                ],
            ),
        ),
    )

    assert counts() == before
    assert WebhookEvent.objects.filter(type="charge.refunded").get().status == "processed"


def test_a_refund_of_ours_still_committing_is_retried_not_duplicated(client, bought_once, stripe_account):
    # Stripe's event can overtake the commit of the refund that caused it.
    body = sj.event(
        "refund.created",
        sj.refund(
            refund_id="re_racing",
            amount=900,
            charge="ch_1",
            payment_intent="pi_test_1",
            metadata={"coursedesk_refund": "refund-999999"},
        ),
    )
    response = deliver(client, stripe_account, body)
    assert response.status_code == 500
    assert Refund.objects.count() == 0
    assert "still being recorded" in WebhookEvent.objects.get(type="refund.created").error


def test_a_handler_error_is_recorded_and_the_event_can_be_replayed(
    client, bought_once, stripe_account, monkeypatch
):
    def broken(event):
        raise RuntimeError("database hiccup")

    monkeypatch.setitem(webhooks.HANDLERS, "refund.created", broken)
    refund = sj.refund(refund_id="re_later", amount=100, charge="ch_1", payment_intent="pi_test_1")
    response = deliver(client, stripe_account, sj.event("refund.created", refund))
    assert response.status_code == 500
    stored = WebhookEvent.objects.get(type="refund.created")
    assert (stored.status, stored.error) == ("failed", "RuntimeError: database hiccup")
    assert Refund.objects.count() == 0

    monkeypatch.setitem(webhooks.HANDLERS, "refund.created", webhooks.on_refund_event)
    call_command("replay_webhooks", "--failed", stdout=StringIO())
    stored.refresh_from_db()
    assert (stored.status, stored.error, stored.attempts) == ("processed", "", 2)
    assert Refund.objects.get().gateway_refund_id == "re_later"


def test_replay_needs_to_be_told_what(db):
    with pytest.raises(CommandError):
        call_command("replay_webhooks")


def test_an_endpoint_without_a_signing_secret_refuses_everything(client, creator):
    account = GatewayAccount.objects.create(creator=creator, gateway="stripe", stripe_secret_key="sk_test_x")
    response = deliver(client, account, sj.event("invoice.paid", {}))
    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 0


def test_a_pending_refund_that_fails_at_stripe_stops_counting(
    client, creator, bought_once, stripe_account, monkeypatch
):
    monkeypatch.setattr(
        StripeGateway, "refund", lambda self, **kw: GatewayRefund(id="re_slow", status="pending")
    )
    ours = payment_refund(payment=bought_once, amount=2000, actor=Actor.creator(creator), source="desk")
    assert (ours.status, payment_refund_amounts(payment=bought_once).refundable.amount) == ("pending", 2900)

    deliver(
        client,
        stripe_account,
        sj.event(
            "refund.updated",
            sj.refund(
                refund_id="re_slow",
                amount=2000,
                charge="ch_1",
                payment_intent="pi_test_1",
                status="failed",
                metadata={"coursedesk_refund": f"refund-{ours.pk}"},
            ),
        ),
    )

    ours.refresh_from_db()
    assert ours.status == "failed"
    assert payment_refund_amounts(payment=bought_once).refundable.amount == 4900
    event = AuditEvent.objects.get(type="payment.refund_failed")
    assert (event.actor_kind, event.source, event.data["amount"]) == ("gateway", "stripe", 2000)


# Failed payments: Stripe retries, the creator's policy decides the end ------------------------------


def payment_failed(attempt_count, next_attempt):
    invoice = sj.invoice(
        invoice_id="in_test_2",
        subscription="sub_test_1",
        status="open",
        next_payment_attempt=int(next_attempt.timestamp()) if next_attempt else None,
    )
    invoice["attempt_count"] = attempt_count
    return sj.event("invoice.payment_failed", invoice)


@pytest.fixture
def stripe_cancels(monkeypatch):
    canceled = []
    monkeypatch.setattr(
        StripeGateway,
        "subscription_cancel",
        lambda self, *, subscription_reference: canceled.append(subscription_reference),
    )
    return canceled


def test_stripe_retries_show_the_next_retry_date_and_the_retries_left(client, bought_monthly, stripe_account):
    first_retry = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
    deliver(client, stripe_account, payment_failed(1, first_retry))
    subscription = Subscription.objects.get()
    assert (subscription.status, subscription.retries_left, subscription.next_retry_at) == (
        "past_due",
        3,
        first_retry,
    )

    second_retry = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
    deliver(client, stripe_account, payment_failed(2, second_retry))
    subscription.refresh_from_db()
    assert (subscription.status, subscription.retries_left, subscription.next_retry_at) == (
        "past_due",
        2,
        second_retry,
    )
    assert OutboundEmail.objects.filter(kind="payment_failed").count() == 2


@pytest.mark.parametrize(
    ("final_action", "status", "access", "told_stripe"),
    [
        ("keep_past_due", "past_due", "active", []),
        ("cancel", "canceled", "active", ["sub_test_1"]),
        ("cancel_and_revoke", "canceled", "revoked", ["sub_test_1"]),
    ],
)
def test_after_stripes_last_retry_the_creators_final_action_follows(
    client, bought_monthly, stripe_account, stripe_cancels, creator, final_action, status, access, told_stripe
):
    PaymentPolicy.objects.create(creator=creator, final_action=final_action)
    deliver(client, stripe_account, payment_failed(1, dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)))

    # Stripe's last attempt: no next_payment_attempt
    deliver(client, stripe_account, payment_failed(4, None))

    subscription = Subscription.objects.get()
    assert (subscription.status, subscription.retries_left, subscription.next_retry_at) == (
        status,
        None if status == "canceled" else 0,
        None,
    )
    assert Enrolment.objects.get().status == access
    assert stripe_cancels == told_stripe
    exhausted = AuditEvent.objects.get(type="subscription.retries_exhausted")
    assert (exhausted.data["final_action"], exhausted.source) == (final_action, "stripe")
    # Stripe's own deletion event afterwards changes nothing more
    deliver(
        client,
        stripe_account,
        sj.event(
            "customer.subscription.deleted", sj.subscription(subscription_id="sub_test_1", status="canceled")
        ),
    )
    assert AuditEvent.objects.filter(type="subscription.canceled").count() == 1


def test_a_new_card_on_stripe_asks_stripe_to_pay_the_open_invoice_and_its_payment_recovers(
    client, bought_monthly, stripe_account, monkeypatch
):
    deliver(client, stripe_account, payment_failed(1, dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)))
    paid_again = []
    monkeypatch.setattr(StripeGateway, "setup_payment_method", lambda self, *, setup_reference: "pm_new")
    monkeypatch.setattr(
        StripeGateway,
        "subscription_payment_method_set",
        lambda self, **kwargs: GatewayCard(payment_method_id="pm_new", brand="visa", last4="4444"),
    )
    monkeypatch.setattr(
        StripeGateway,
        "subscription_open_invoice_pay",
        lambda self, *, subscription_reference: paid_again.append(subscription_reference),
    )
    session = sj.checkout_session(session_id="cs_test_card", mode="setup")
    session["setup_intent"] = "seti_test_1"
    session["metadata"] = {"coursedesk_subscription": "sub_test_1"}

    deliver(client, stripe_account, sj.event("checkout.session.completed", session))

    assert paid_again == ["sub_test_1"]
    # Stripe reports the payment of the open invoice; the subscription is active again
    deliver(
        client,
        stripe_account,
        sj.event("invoice.paid", sj.invoice(invoice_id="in_test_2", subscription="sub_test_1")),
    )
    subscription = Subscription.objects.get()
    assert (subscription.status, subscription.card_last4, subscription.retries_left) == (
        "active",
        "4444",
        None,
    )
    assert AuditEvent.objects.filter(type="subscription.recovered").count() == 1


def test_a_cancel_at_the_period_end_set_and_undone_in_stripe_then_the_end(
    client, bought_monthly, stripe_account
):
    ending = sj.subscription(subscription_id="sub_test_1")
    ending["cancel_at_period_end"] = True
    deliver(client, stripe_account, sj.event("customer.subscription.updated", ending, created=1000))
    subscription = Subscription.objects.get()
    assert (subscription.status, subscription.cancel_at_period_end) == ("active", True)

    deliver(
        client,
        stripe_account,
        sj.event(
            "customer.subscription.updated", sj.subscription(subscription_id="sub_test_1"), created=2000
        ),
    )
    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end is False

    deliver(client, stripe_account, sj.event("customer.subscription.updated", ending, created=3000))
    deliver(
        client,
        stripe_account,
        sj.event(
            "customer.subscription.deleted",
            sj.subscription(subscription_id="sub_test_1", status="canceled"),
            created=4000,
        ),
    )
    subscription.refresh_from_db()
    assert subscription.status == "canceled"
    assert [
        (e.type, e.source)
        for e in AuditEvent.objects.filter(type__startswith="subscription.cancel").order_by("pk")
    ] == [
        ("subscription.cancel_scheduled", "stripe"),
        ("subscription.cancel_undone", "stripe"),
        ("subscription.cancel_scheduled", "stripe"),
        ("subscription.canceled", "stripe"),
    ]
    assert AuditEvent.objects.get(type="subscription.canceled").data["reason"] == "paid period ended"
    assert Enrolment.objects.get().status == "active"


# The outside probe's webhook findings (issue 13): refunds reported beyond what was paid (6), a signed
# body that is not an event (9), and signatures dated in the future.


def post_signed(client, account, payload: bytes, timestamp: int | None = None):
    return client.post(
        f"/webhooks/stripe/{account.webhook_endpoint_id}/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sj.signature(payload, timestamp=timestamp),
    )


# --- Finding 6: a webhook never refunds more than was paid -------------------------------------------


def test_refunds_reported_beyond_the_payment_record_what_fits_and_flag_the_rest(
    client, bought_once, stripe_account
):
    # Given a payment of $49.00 made through Stripe
    first = sj.refund(refund_id="re_1", amount=3000, charge="ch_1", payment_intent="pi_test_1", created=1)
    second = sj.refund(refund_id="re_2", amount=9000, charge="ch_1", payment_intent="pi_test_1", created=2)
    event = sj.event(
        "charge.refunded",
        sj.charge(charge_id="ch_1", payment_intent="pi_test_1", amount=4900, refunds=[first, second]),
    )

    # When Stripe reports refunds of $30.00 and $90.00 on it (and the event arrives twice)
    assert deliver(client, stripe_account, event).status_code == 200
    assert deliver(client, stripe_account, event).status_code == 200

    # Then $30.00 and the $19.00 that fits are recorded: never more than was paid
    assert sorted(Refund.objects.values_list("gateway_refund_id", "amount")) == [
        ("re_1", 3000),
        ("re_2", 1900),
    ]
    amounts = payment_refund_amounts(payment=bought_once)
    assert (amounts.refunded.amount, amounts.refundable.amount) == (4900, 0)
    # And the $71.00 beyond it is flagged once in the timeline for review
    flags = AuditEvent.objects.filter(type="payment.refund_over_reported")
    assert [(f.data["gateway_refund_id"], f.data["reported"], f.data["amount"]) for f in flags] == [
        ("re_2", 9000, 7100)
    ]
    assert AuditEvent.objects.filter(type="payment.refunded").count() == 2
    assert OutboundEmail.objects.filter(kind="refund_notice").count() == 2


def test_a_refund_reported_after_the_payment_is_fully_refunded_records_nothing_but_the_flag(
    client, bought_once, stripe_account
):
    full = sj.refund(refund_id="re_1", amount=4900, charge="ch_1", payment_intent="pi_test_1", created=1)
    deliver(client, stripe_account, sj.event("refund.created", full))
    before_emails = OutboundEmail.objects.filter(kind="refund_notice").count()

    extra = sj.refund(refund_id="re_2", amount=500, charge="ch_1", payment_intent="pi_test_1", created=2)
    response = deliver(client, stripe_account, sj.event("refund.created", extra))

    assert response.status_code == 200
    assert list(Refund.objects.values_list("gateway_refund_id", "amount")) == [("re_1", 4900)]
    assert AuditEvent.objects.filter(type="payment.refund_over_reported").get().data["amount"] == 500
    assert OutboundEmail.objects.filter(kind="refund_notice").count() == before_emails


# --- Finding 9: a signed body that is not an event -------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [b"[1,2,3]", b"42", b'"text"', b"null", b"{not json", b'{"id": 5, "type": "x"}', b'{"id": "evt_1"}'],
)
def test_a_signed_body_that_is_not_an_event_is_a_400_stored_for_the_operator(client, stripe_account, payload):
    before = counts()

    response = post_signed(client, stripe_account, payload)

    # Then it is a 400 saying why, stored (failed, with the reason) where the operator sees events
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    stored = WebhookEvent.objects.get()
    assert (stored.type, stored.status, stored.creator_id) == ("refused", "failed", stripe_account.creator_id)
    assert stored.error == response.json()["error"]
    assert stored.payload == {"body": payload.decode()}
    # And nothing else changed, a second delivery is stored once, and a replay leaves it alone
    assert counts() == before
    post_signed(client, stripe_account, payload)
    assert WebhookEvent.objects.count() == 1
    assert webhook_events_replay(failed_only=True) == []


def test_a_signed_event_holding_a_nul_is_refused_and_stored(client, stripe_account):
    payload = json.dumps(sj.event("invoice.paid", {"id": "in_1", "description": "a\x00b"})).encode()

    response = post_signed(client, stripe_account, payload)

    assert response.status_code == 400
    assert WebhookEvent.objects.get().type == "refused"


# --- Also: signatures dated in the future ------------------------------------------------------------


def test_a_signature_ten_minutes_in_the_future_is_refused_and_nothing_is_stored(client, stripe_account):
    payload = json.dumps(sj.event("invoice.paid", {"id": "in_1"})).encode()

    response = post_signed(client, stripe_account, payload, timestamp=int(time.time()) + 600)

    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 0


def test_a_signature_a_few_seconds_ahead_is_clock_skew_and_accepted(client, stripe_account):
    payload = json.dumps(sj.event("invoice.paid", {"id": "in_1"})).encode()

    response = post_signed(client, stripe_account, payload, timestamp=int(time.time()) + 20)

    assert response.status_code == 200
    assert WebhookEvent.objects.count() == 1
