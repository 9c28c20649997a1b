"""One purchase intent, at most one charge: a checkout form sent twice (at once or one after the
other) pays once, and every submit after the first shows the first one's outcome."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.db import connection, connections
from django.test import Client

from coursedesk.audit.models import AuditEvent
from coursedesk.billing.checkout import checkout_intent_issue
from coursedesk.billing.gateways.stripe import StripeGateway
from coursedesk.billing.models import CheckoutSession, GatewayAccount, Payment, Subscription
from coursedesk.catalog.models import Coupon
from coursedesk.customers.models import Customer, Enrolment
from coursedesk.mail.models import OutboundEmail
from tests.billing.conftest import make_subscription
from tests.factories import make_course, make_creator, make_customer, make_page

VISA = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"


def intent_of(client, page) -> str:
    """The purchase intent the checkout form carries, as a browser would read it."""
    html = client.get(f"/buy/{page.pk}/").content.decode()
    return re.search(r'name="intent" value="([^"]+)"', html).group(1)


def submit(client, page, intent, *, card=VISA, email="ada@example.com", password="a long password"):
    return client.post(
        f"/buy/{page.pk}/",
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": email,
            "password": password,
            "card_number": card,
            "intent": intent,
        },
    )


def sold() -> tuple[int, ...]:
    return (
        Payment.objects.count(),
        CheckoutSession.objects.filter(status="completed").count(),
        Subscription.objects.count(),
        Enrolment.objects.count(),
        OutboundEmail.objects.filter(kind="receipt").count(),
        OutboundEmail.objects.filter(kind="welcome").count(),
    )


def test_a_form_sent_twice_charges_once_and_both_submits_show_the_first_outcome(client, one_time_page):
    # given the checkout form, as shown once
    intent = intent_of(client, one_time_page)

    # when it is sent twice (a double click, or the browser's resubmit)
    first = submit(client, one_time_page, intent)
    again = submit(client, one_time_page, intent)

    # then one payment, one session, one receipt; the second submit lands on the same outcome
    assert sold() == (1, 1, 0, 1, 1, 1)
    session = CheckoutSession.objects.get()
    assert first.status_code == again.status_code == 302
    assert (
        first["Location"]
        == again["Location"]
        == (f"/buy/{one_time_page.pk}/?session_id={session.gateway_session_id}")
    )
    # the buyer chose their password on the form, so the outcome signs them in on the course
    landed = client.get(again["Location"], follow=True)
    assert landed.redirect_chain == [("/c/watercolor/", 302)]
    assert "You&#39;re in! Watercolor Foundations is yours" in landed.content.decode()
    assert AuditEvent.objects.filter(type="payment.succeeded").count() == 1


def test_each_showing_of_the_form_is_its_own_intent(client, one_time_page):
    first = intent_of(client, one_time_page)
    second = intent_of(client, one_time_page)

    assert first != second


def test_an_existing_buyer_sending_a_monthly_form_twice_gets_one_subscription(client, creator, course):
    monthly = make_page(course, "subscription", name="Monthly", amount=1900, interval="month")
    make_customer(creator, email="ada@example.com")
    intent = intent_of(client, monthly)

    first = submit(client, monthly, intent, password="")
    again = submit(client, monthly, intent, password="")

    assert sold() == (1, 1, 1, 1, 1, 1)
    assert first["Location"] == again["Location"]


def test_a_subscriber_buying_the_same_course_again_from_another_tab_is_refused(client, creator, course):
    # given an existing customer with a running monthly subscription to the course
    monthly = make_page(course, "subscription", name="Monthly", amount=1900, interval="month")
    make_subscription(make_customer(creator, email="ada@example.com"), monthly)
    before = sold()

    # when they send the monthly checkout form of another tab
    response = submit(client, monthly, intent_of(client, monthly), password="")

    # then nothing is charged and the page says why
    assert response.status_code == 422
    assert (
        "You already have a subscription to Watercolor Foundations; nothing was charged."
        in response.content.decode()
    )
    assert sold() == before
    assert CheckoutSession.objects.count() == 0


def test_after_a_decline_the_same_form_may_pay_with_another_card_once(client, one_time_page):
    intent = intent_of(client, one_time_page)

    declined = submit(client, one_time_page, intent, card=DECLINED)
    assert declined.status_code == 422
    assert sold() == (0, 0, 0, 0, 0, 0)
    assert CheckoutSession.objects.count() == 0

    paid = submit(client, one_time_page, intent, card=VISA)
    again = submit(client, one_time_page, intent, card=VISA)

    assert paid.status_code == again.status_code == 302
    assert paid["Location"] == again["Location"]
    assert sold() == (1, 1, 0, 1, 1, 1)


@pytest.mark.parametrize("intent", ["", "made-up", "another page's"])
def test_a_form_without_an_intent_of_this_page_charges_nothing(client, course, one_time_page, intent):
    if intent == "another page's":
        intent = checkout_intent_issue(page=make_page(course, "one_time", name="Other"))

    response = submit(client, one_time_page, intent)

    assert response.status_code == 200
    html = response.content.decode()
    if intent:
        assert "This checkout form has expired. Please reload the page and try again." in html
    assert re.search(r'name="intent" value="[^"]+"', html)  # a fresh form can be sent again
    assert sold() == (0, 0, 0, 0, 0, 0)
    assert Customer.objects.count() == 0


# --- Stripe: the intent's key is Stripe's Idempotency-Key -----------------------------------------


class FakeStripeCheckout:
    """Just Stripe's Checkout Sessions endpoints (which localstripe lacks), recording each request."""

    def __init__(self):
        self.created: list[dict] = []
        self.sessions: dict[str, dict] = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, body: dict):
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                key = self.headers.get("Idempotency-Key", "")
                fake.created.append({"idempotency_key": key, "form": form})
                session_id = f"cs_test_{len(fake.sessions) + 1}"
                fake.sessions[session_id] = {
                    "id": session_id,
                    "object": "checkout.session",
                    "mode": form["mode"][0],
                    "status": "open",
                    "payment_status": "unpaid",
                    "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                    "client_reference_id": form["client_reference_id"][0],
                }
                self._answer(fake.sessions[session_id])

            def do_GET(self):
                self._answer(fake.sessions[self.path.rsplit("/", 1)[-1]])

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def stripe_checkout(settings):
    fake = FakeStripeCheckout()
    settings.STRIPE_API_BASE = fake.url
    yield fake
    fake.server.shutdown()


def test_the_hosted_checkout_is_opened_once_per_intent_with_its_key(
    client, creator, one_time_page, stripe_checkout
):
    GatewayAccount.objects.create(creator=creator, gateway="stripe", stripe_secret_key="sk_test_once")
    intent = intent_of(client, one_time_page)

    first = submit(client, one_time_page, intent)
    again = submit(client, one_time_page, intent)

    session = CheckoutSession.objects.get()
    assert [call["idempotency_key"] for call in stripe_checkout.created] == [
        f"checkout-{session.intent_key}-{session.pk}"
    ]
    assert first["Location"] == again["Location"] == "https://checkout.stripe.com/c/pay/cs_test_1"
    assert Payment.objects.count() == 0  # nothing is sold until Stripe says it is paid


def test_a_coupon_goes_to_stripes_checkout_as_its_discount(
    client, creator, one_time_page, stripe_checkout, monkeypatch
):
    GatewayAccount.objects.create(creator=creator, gateway="stripe", stripe_secret_key="sk_test_once")
    Coupon.objects.create(creator=creator, code="SPRING20", percent_off=20)
    # The coupon itself is made at Stripe once (tests/billing/test_stripe_gateway.py, localstripe).
    monkeypatch.setattr(StripeGateway, "coupon_ensure", lambda self, *, coupon: f"coursedesk-{coupon.code}")
    intent = intent_of(client, one_time_page)

    client.post(
        f"/buy/{one_time_page.pk}/",
        {
            "first_name": "Ada",
            "email": "ada@example.com",
            "password": "a long password",
            "coupon": "spring20",
            "intent": intent,
        },
    )

    [call] = stripe_checkout.created
    assert call["form"]["discounts[0][coupon]"] == ["coursedesk-SPRING20"]
    assert call["form"]["line_items[0][price_data][unit_amount]"] == ["4900"]  # Stripe takes 20 % off
    session = CheckoutSession.objects.get()
    assert (session.coupon.code, session.discount) == ("SPRING20", 980)


def test_a_buyer_back_from_stripes_page_lands_signed_in_and_another_browser_does_not(
    client, creator, one_time_page, stripe_checkout
):
    GatewayAccount.objects.create(creator=creator, gateway="stripe", stripe_secret_key="sk_test_once")
    submit(client, one_time_page, intent_of(client, one_time_page))
    # Stripe took the payment on its page
    stripe_checkout.sessions["cs_test_1"].update(
        status="complete", payment_status="paid", payment_intent="pi_1", amount_total=4900, currency="usd"
    )
    done = f"/buy/{one_time_page.pk}/?session_id=cs_test_1"

    stranger = Client()
    assert stranger.get(done).status_code == 200  # the thank-you page, not signed in
    landed = client.get(done)

    assert (landed.status_code, landed["Location"]) == (302, "/c/watercolor/")
    assert client.get("/c/watercolor/lessons/1/").status_code == 200
    assert stranger.get("/c/watercolor/lessons/1/").status_code == 302
    assert Payment.objects.get().amount == 4900


# --- At once, on PostgreSQL ---------------------------------------------------------------------


def at_once(requests: list) -> list:
    """Sends each request from its own thread, all released together; returns the responses."""
    start = threading.Barrier(len(requests))
    responses: list = [None] * len(requests)

    def run(index, request):
        try:
            start.wait()
            responses[index] = request()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n, r)) for n, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


@pytest.fixture
def _postgres():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks; the race is only meaningful on PostgreSQL")


@pytest.mark.usefixtures("_postgres")
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_five_submits_of_one_form_at_once_charge_once():
    creator = make_creator()
    page = make_page(make_course(creator, title="Watercolor Foundations"), "one_time", amount=4900)
    make_customer(creator, email="ada@example.com")
    intent = intent_of(Client(), page)

    responses = at_once([lambda: submit(Client(), page, intent, password="") for _ in range(5)])

    assert sold() == (1, 1, 0, 1, 1, 1)
    session = CheckoutSession.objects.get()
    assert [r.status_code for r in responses] == [302] * 5
    assert {r["Location"] for r in responses} == {f"/buy/{page.pk}/?session_id={session.gateway_session_id}"}


@pytest.mark.usefixtures("_postgres")
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_new_buyer_submitting_one_form_five_times_at_once_is_charged_once():
    creator = make_creator()
    page = make_page(make_course(creator), "one_time", amount=4900)
    intent = intent_of(Client(), page)

    responses = at_once([lambda: submit(Client(), page, intent) for _ in range(5)])

    assert sold() == (1, 1, 0, 1, 1, 1)
    assert Customer.objects.count() == 1
    assert len({r["Location"] for r in responses}) == 1


@pytest.mark.usefixtures("_postgres")
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_existing_buyer_sending_a_monthly_page_from_two_tabs_at_once_gets_one_subscription():
    creator = make_creator()
    monthly = make_page(
        make_course(creator, title="Watercolor Foundations"), "subscription", amount=1900, interval="month"
    )
    make_customer(creator, email="ada@example.com")
    intents = [intent_of(Client(), monthly) for _ in range(2)]

    responses = at_once([lambda i=i: submit(Client(), monthly, i, password="") for i in intents])

    assert sold() == (1, 1, 1, 1, 1, 1)
    assert sorted(r.status_code for r in responses) == [302, 422]
