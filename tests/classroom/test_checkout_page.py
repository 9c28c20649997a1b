"""The public checkout page (sandbox card field) and the page a buyer lands on after paying."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing.checkout import checkout_intent_issue
from coursedesk.billing.models import CheckoutSession, Payment
from coursedesk.catalog.coupons import coupon_create
from coursedesk.customers.models import Customer
from tests.factories import make_customer

VISA = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"


def test_checkout_page_shows_the_price_and_the_test_mode_banner(client, one_time_page):
    response = client.get(reverse("classroom:checkout", kwargs={"page_id": one_time_page.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Watercolor Foundations" in html
    assert "$49.00" in html
    assert "test-mode-banner" in html
    assert 'name="card_number"' in html


def test_checkout_page_buys_and_lands_signed_in_on_the_course(client, frozen_now, one_time_page):
    url = reverse("classroom:checkout", kwargs={"page_id": one_time_page.pk})
    response = client.post(
        url,
        {
            "first_name": "Ada",
            "last_name": "L",
            "email": "ada@example.com",
            "password": "a long password",
            "card_number": VISA,
            "intent": checkout_intent_issue(page=one_time_page),
        },
    )
    session = CheckoutSession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/buy/{one_time_page.pk}/?session_id={session.gateway_session_id}"

    done = client.get(response["Location"])
    assert (done.status_code, done["Location"]) == (302, "/c/watercolor/")
    course = client.get("/c/watercolor/").content.decode()
    assert "You&#39;re in! Watercolor Foundations is yours; we have emailed you a welcome message." in course
    assert "The secret of lesson one." in client.get("/c/watercolor/lessons/1/").content.decode()
    assert AuditEvent.objects.filter(type="customer.signed_in").count() == 1


def test_an_existing_student_who_gives_no_password_is_not_signed_in_by_buying(
    client, frozen_now, creator, one_time_page
):
    make_customer(creator, email="ada@example.com")
    url = reverse("classroom:checkout", kwargs={"page_id": one_time_page.pk})

    response = client.post(
        url,
        {
            "first_name": "Ada",
            "email": "ada@example.com",
            "card_number": VISA,
            "intent": checkout_intent_issue(page=one_time_page),
        },
    )
    done = client.get(response["Location"])

    # Knowing a student's email is not enough to act as them: the thank-you page links to sign-in.
    assert done.status_code == 200
    assert "You're in!" in done.content.decode() and "/c/watercolor/login/" in done.content.decode()
    assert client.get("/c/watercolor/lessons/1/").status_code == 302


def test_an_existing_student_who_types_a_wrong_password_is_not_signed_in(
    client, frozen_now, creator, one_time_page
):
    make_customer(creator, email="ada@example.com")
    url = reverse("classroom:checkout", kwargs={"page_id": one_time_page.pk})

    response = client.post(
        url,
        {
            "first_name": "Ada",
            "email": "ada@example.com",
            "password": "not their password",
            "card_number": VISA,
            "intent": checkout_intent_issue(page=one_time_page),
        },
    )

    assert client.get(response["Location"]).status_code == 200
    assert client.get("/c/watercolor/lessons/1/").status_code == 302


def test_another_browser_opening_the_outcome_address_is_not_signed_in(client, frozen_now, one_time_page):
    url = reverse("classroom:checkout", kwargs={"page_id": one_time_page.pk})
    response = client.post(
        url,
        {
            "first_name": "Ada",
            "email": "ada@example.com",
            "password": "a long password",
            "card_number": VISA,
            "intent": checkout_intent_issue(page=one_time_page),
        },
    )

    stranger = Client()
    page = stranger.get(response["Location"])

    assert page.status_code == 200
    assert stranger.get("/c/watercolor/lessons/1/").status_code == 302


def test_checkout_page_shows_a_decline_clearly(client, frozen_now, one_time_page):
    url = reverse("classroom:checkout", kwargs={"page_id": one_time_page.pk})
    response = client.post(
        url,
        {
            "first_name": "Ada",
            "email": "ada@example.com",
            "password": "a long password",
            "card_number": DECLINED,
            "intent": checkout_intent_issue(page=one_time_page),
        },
    )
    assert response.status_code == 422
    assert "Your card was declined. No payment was taken" in response.content.decode()
    assert Customer.objects.count() == 0


def test_an_inactive_page_or_unknown_session_is_not_found(client, one_time_page):
    assert client.get(f"/buy/{one_time_page.pk}/?session_id=sbx_cs_999").status_code == 404
    one_time_page.active = False
    one_time_page.save()
    assert client.get(f"/buy/{one_time_page.pk}/").status_code == 404


def test_a_code_shows_the_new_price_before_paying_and_the_payment_uses_it(
    client, frozen_now, creator, one_time_page
):

    coupon_create(
        creator=creator, code="SPRING20", percent_off=20, actor=Actor.creator(creator), source="desk"
    )
    url = reverse("classroom:checkout", kwargs={"page_id": one_time_page.pk})
    details = {"first_name": "Ada", "email": "ada@example.com", "coupon": "spring20"}

    applied = client.post(url, {**details, "apply": "1", "intent": checkout_intent_issue(page=one_time_page)})

    html = applied.content.decode()
    assert applied.status_code == 200 and Payment.objects.count() == 0
    assert "Code SPRING20 applied (20% off): <strong>you pay $39.20</strong>, you save $9.80." in html
    assert "Pay $39.20" in html and 'value="Ada"' in html
    paid = client.post(
        url,
        {
            **details,
            "password": "a long password",
            "card_number": VISA,
            "intent": checkout_intent_issue(page=one_time_page),
        },
    )
    assert paid.status_code == 302
    assert list(Payment.objects.values_list("amount", "discount")) == [(3920, 980)]


def test_an_unknown_code_says_so_and_nothing_is_paid(client, frozen_now, one_time_page):
    url = reverse("classroom:checkout", kwargs={"page_id": one_time_page.pk})

    response = client.post(
        url,
        {
            "first_name": "Ada",
            "email": "ada@example.com",
            "password": "a long password",
            "card_number": VISA,
            "coupon": "NOPE",
            "intent": checkout_intent_issue(page=one_time_page),
        },
    )

    assert response.status_code == 422
    assert "There is no code NOPE. Check its spelling." in response.content.decode()
    assert CheckoutSession.objects.count() == 0 and Customer.objects.count() == 0


def test_a_code_in_the_address_is_applied_when_the_page_opens(client, creator, one_time_page):

    coupon_create(
        creator=creator,
        code="TENOFF",
        amount_off=1000,
        currency="usd",
        actor=Actor.creator(creator),
        source="desk",
    )

    html = client.get(
        reverse("classroom:checkout", kwargs={"page_id": one_time_page.pk}) + "?coupon=tenoff"
    ).content.decode()

    assert "you pay $39.00" in html and 'value="tenoff"' in html
