"""The student's billing page (card update, payments) and their own cancel, which ends access."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from coursedesk.accounts.sessions import SessionStore
from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing.dunning import payment_policy_update
from coursedesk.billing.gateways.base import GatewayCard, HostedCheckout
from coursedesk.billing.gateways.stripe import StripeGateway
from coursedesk.billing.models import GatewayAccount, Subscription
from coursedesk.classroom.auth import COOKIE_NAME, student_login
from coursedesk.customers.models import Enrolment
from tests.billing.conftest import make_payment, make_subscription
from tests.factories import make_customer, make_page

BILLING = "/c/watercolor/billing/"
CANCEL = "/c/watercolor/cancel/"


def signed_in(client, customer):
    request = RequestFactory().get("/")
    request.student_session = SessionStore()
    student_login(request, customer)
    request.student_session.save()
    client.cookies[COOKIE_NAME] = request.student_session.session_key
    return client


@pytest.fixture
def student(client, customer):
    return signed_in(client, customer)


@pytest.fixture
def monthly_page(course):
    return make_page(course, "subscription", name="Monthly", amount=1900, interval="month")


@pytest.fixture
def subscription(frozen_now, customer, monthly_page, enrolment):
    return make_subscription(customer, monthly_page)


def test_pages_need_a_signed_in_student(client, subscription):
    response = client.get(BILLING)
    assert response.status_code == 302
    assert response["Location"].startswith("/c/watercolor/login/")


def test_billing_shows_the_subscription_card_and_payments(student, customer, course, subscription):
    make_payment(customer, course, subscription=subscription, amount=1900)
    response = student.get(BILLING)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Visa ending in 4242" in html
    assert "$19.00" in html
    assert "21 Dec 2026" in html
    assert "test-mode-banner" in html


def test_a_student_updates_their_card_with_a_test_card(student, customer, subscription):
    response = student.post(BILLING, {"subscription": subscription.pk, "card_number": "5555 5555 5555 4444"})
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.card_brand, subscription.card_last4) == ("mastercard", "4444")
    event = AuditEvent.objects.get(type="subscription.card_updated")
    assert (event.actor_kind, event.source) == ("customer", "student")
    assert event.data["card"] == {"old": "visa 4242", "new": "mastercard 4444"}


def test_a_declined_card_is_refused_on_the_billing_page(student, subscription):
    response = student.post(BILLING, {"subscription": subscription.pk, "card_number": "4000000000000002"})
    assert response.status_code == 422
    assert "This card was declined" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.card_last4 == "4242"
    assert AuditEvent.objects.count() == 0


def test_another_customers_subscription_is_not_found(student, creator, monthly_page, frozen_now):
    someone_else = make_subscription(make_customer(creator), monthly_page)
    response = student.post(BILLING, {"subscription": someone_else.pk, "card_number": "4242424242424242"})
    assert response.status_code == 404
    response = student.post(CANCEL, {"subscription": someone_else.pk})
    assert response.status_code == 404
    assert Subscription.objects.get(pk=someone_else.pk).status == "active"


def test_stripe_card_update_goes_to_a_setup_checkout_and_back(
    student, creator, customer, monthly_page, frozen_now, monkeypatch
):
    GatewayAccount.objects.create(creator=creator, gateway="stripe", stripe_secret_key="sk_test_x")
    customer.gateway_customer_id = "cus_1"
    customer.save()
    subscription = make_subscription(
        customer,
        monthly_page,
        gateway="stripe",
        gateway_subscription_id="sub_1",
        gateway_payment_method_id="pm_old",
        card_last4="4242",
    )
    asked = {}

    def create(self, **kwargs):
        asked.update(kwargs)
        return HostedCheckout(
            id="cs_setup_1", url="https://checkout.stripe.com/c/pay/cs_setup_1", mode="setup"
        )

    monkeypatch.setattr(StripeGateway, "hosted_card_update_create", create)
    response = student.post(BILLING, {"subscription": subscription.pk})
    assert response["Location"] == "https://checkout.stripe.com/c/pay/cs_setup_1"
    assert (asked["customer_reference"], asked["subscription_reference"]) == ("cus_1", "sub_1")
    assert "card_session={CHECKOUT_SESSION_ID}" in asked["success_url"]

    monkeypatch.setattr(
        StripeGateway,
        "hosted_checkout_retrieve",
        lambda self, **kw: HostedCheckout(
            id="cs_setup_1", mode="setup", complete=True, setup_reference="seti_1"
        ),
    )
    monkeypatch.setattr(StripeGateway, "setup_payment_method", lambda self, **kw: "pm_new")
    monkeypatch.setattr(
        StripeGateway,
        "subscription_payment_method_set",
        lambda self, **kw: GatewayCard(payment_method_id=kw["payment_method_id"], brand="visa", last4="1881"),
    )
    response = student.get(f"{BILLING}?subscription={subscription.pk}&card_session=cs_setup_1")
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.gateway_payment_method_id, subscription.card_last4) == ("pm_new", "1881")


def test_cancel_page_warns_that_access_ends(student, subscription):
    html = student.get(CANCEL).content.decode()
    assert "ends your access to Watercolor Foundations right away" in html


def test_the_students_cancel_stops_payments_and_ends_access(student, subscription, enrolment):
    response = student.post(CANCEL, {"subscription": subscription.pk})

    assert response.status_code == 200
    assert "your access to the course has ended" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == "canceled"
    enrolment.refresh_from_db()
    assert enrolment.status == "revoked"
    assert [(e.type, e.actor_kind, e.source) for e in AuditEvent.objects.order_by("pk")] == [
        ("subscription.canceled", "customer", "student"),
        ("enrolment.revoked", "customer", "student"),
    ]


def test_cancelling_twice_says_so_and_changes_nothing(student, subscription, enrolment):
    student.post(CANCEL, {"subscription": subscription.pk})
    events = AuditEvent.objects.count()
    response = student.post(CANCEL, {"subscription": subscription.pk}, follow=True)
    assert response.redirect_chain == [(CANCEL, 302)]
    html = response.content.decode()
    assert "This subscription is already canceled." in html
    assert "nothing to cancel" in html
    assert AuditEvent.objects.count() == events
    assert Enrolment.objects.get().status == "revoked"


def test_nothing_to_cancel_says_so(student, customer, course):
    assert "nothing to cancel" in student.get(CANCEL).content.decode()


def test_after_their_own_cancel_the_student_reads_when_the_subscription_ended(
    student, subscription, enrolment
):
    student.post(CANCEL, {"subscription": subscription.pk})

    response = student.get("/c/watercolor/")

    html = response.content.decode()
    assert response.status_code == 403
    assert "Your subscription ended on November 21, 2026, when you canceled it" in html
    assert "Your access has been revoked" not in html


def test_a_cancel_at_the_period_end_says_so_before_and_after(student, creator, subscription, enrolment):
    payment_policy_update(
        creator=creator, customer_cancel_at_period_end=True, actor=Actor.creator(creator), source="desk"
    )

    before = student.get(CANCEL).content.decode()
    after = student.post(CANCEL, {"subscription": subscription.pk}).content.decode()

    assert (
        "You keep full access until <strong>December 21, 2026</strong>, the end of the period you paid for"
        in before
    )
    assert "right away" not in before
    assert "Your subscription ends on December 21, 2026" in after
    assert "You keep full access until December 21, 2026; then your access ends." in after
    subscription.refresh_from_db()
    assert (subscription.status, subscription.cancel_at_period_end) == ("active", True)
    assert student.get("/c/watercolor/").status_code == 200
    assert "Ends on" in student.get(BILLING).content.decode()


def test_a_payment_plans_cancel_says_how_much_stays_unpaid(student, customer, course, enrolment, frozen_now):
    plan = make_subscription(customer, make_page(course, "payment_plan", amount=2000, installments=3))
    make_payment(customer, course, subscription=plan, amount=2000)

    html = student.get(CANCEL).content.decode()

    assert (
        "This is a payment plan: 1 of 3 payments are made, and the 2 left ($40.00) will not be charged."
        in html
    )
    assert "Keep my payment plan" in html
