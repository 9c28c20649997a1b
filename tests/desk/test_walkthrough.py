"""Issue 4's "done when", tried as a new user would: the demo creator on the pages, then the API."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from coursedesk.accounts.models import ApiToken
from coursedesk.billing.models import Payment, Subscription
from coursedesk.customers.models import Enrolment
from coursedesk.customers.selectors import course_student_counts, customer_search
from coursedesk.usecases.demo import DEMO_EMAIL, DEMO_PASSWORD, STUDENT_PASSWORD, seed_demo


def csv_status(client, course, email):
    response = client.get(reverse("desk:students_csv", args=[course.pk]))
    rows = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    return next(row["Status"] for row in rows if row["Email"] == email)


def active_count(course):
    return course_student_counts(courses=[course])[course.pk]["active"]


def confirm(client, name, obj, **values):
    response = client.post(
        reverse(f"desk:{name}", args=[obj.pk]), {**values, "confirmed": "yes"}, follow=True
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def demo(db):
    creator, _ = seed_demo()
    client = Client()
    assert (
        client.post(
            reverse("accounts:login"), {"username": DEMO_EMAIL, "password": DEMO_PASSWORD}
        ).status_code
        == 302
    )
    return creator, client


def test_the_desk_on_pages(demo):
    creator, client = demo
    enrolment = (
        Enrolment.objects.for_creator(creator)
        .active()
        .filter(customer__payments__subscription__isnull=True, customer__payments__status="succeeded")
        .select_related("customer", "course")
        .first()
    )
    customer, course = enrolment.customer, enrolment.course

    # find them from three letters of their surname
    found = client.get(reverse("desk:activity"), {"q": customer.last_name[:3].lower()}).content.decode()
    assert reverse("desk:customer", args=[customer.pk]) in found

    # revoke: the count drops, the CSV says Revoked, the student sees the revoked page
    before = active_count(course)
    assert "revoked." in confirm(client, "enrolment_revoke", enrolment)
    assert active_count(course) == before - 1
    assert csv_status(client, course, customer.email) == "Revoked"
    student = Client()
    student.post(
        reverse("classroom:login", args=[course.slug]),
        {"email": customer.email, "password": STUDENT_PASSWORD},
    )
    assert (
        "Your access has been revoked"
        in student.get(reverse("classroom:course", args=[course.slug])).content.decode()
    )

    # grant again, set and remove an expiration
    confirm(client, "enrolment_grant", enrolment)
    assert active_count(course) == before
    confirm(client, "enrolment_expiration", enrolment, expires_on="2031-01-01")
    enrolment.refresh_from_db()
    assert enrolment.expires_at.date().isoformat() == "2031-01-01"
    confirm(client, "enrolment_expiration", enrolment, expires_on="")
    enrolment.refresh_from_db()
    assert enrolment.expires_at is None

    # refund part, then the rest
    payment = Payment.objects.filter(customer=customer, status="succeeded", refunds__isnull=True).first()
    confirm(client, "payment_refund", payment, amount="1")
    page = confirm(client, "payment_refund", payment, amount="")
    assert payment.refundable().amount == 0
    assert "Refund of" in page

    # pause, then cancel a subscription
    subscription = Subscription.objects.for_creator(creator).filter(status="active").first()
    confirm(client, "subscription_pause", subscription, resume_on="2031-02-01")
    subscription.refresh_from_db()
    assert subscription.status == "paused"
    confirm(client, "subscription_cancel", subscription)
    subscription.refresh_from_db()
    assert subscription.status == "canceled"


def test_the_desk_through_the_api(demo):
    creator, _ = demo
    _, key = ApiToken.issue(creator=creator)
    api = Client(headers={"Authorization": f"Bearer {key}"})
    enrolment = Enrolment.objects.for_creator(creator).active().select_related("customer").first()
    surname = enrolment.customer.last_name

    results = api.get("/api/v1/customers", {"q": surname[:3]}).json()["results"]
    assert str(enrolment.customer_id) in [row["id"] for row in results]
    assert customer_search(creator=creator, query=surname[:3]).filter(pk=enrolment.customer_id).exists()

    assert api.post(f"/api/v1/enrolments/{enrolment.pk}/revoke").json()["status"] == "revoked"
    assert api.post(f"/api/v1/enrolments/{enrolment.pk}/grant").json()["status"] == "active"
    body = api.patch(
        f"/api/v1/enrolments/{enrolment.pk}",
        '{"expires_at": "2031-01-01T00:00:00Z"}',
        content_type="application/json",
    ).json()
    assert body["expires_at"] == "2031-01-01T00:00:00Z"
    body = api.patch(
        f"/api/v1/enrolments/{enrolment.pk}", '{"expires_at": null}', content_type="application/json"
    ).json()
    assert body["expires_at"] is None

    payment = Payment.objects.for_creator(creator).filter(status="succeeded", refunds__isnull=True).first()
    part = api.post(
        f"/api/v1/payments/{payment.pk}/refunds", '{"amount": 100}', content_type="application/json"
    )
    rest = api.post(f"/api/v1/payments/{payment.pk}/refunds", "{}", content_type="application/json")
    assert (part.status_code, rest.status_code) == (201, 201)
    assert part.json()["amount"] + rest.json()["amount"] == payment.amount

    subscription = Subscription.objects.for_creator(creator).filter(status="active").first()
    paused = api.post(
        f"/api/v1/subscriptions/{subscription.pk}/pause",
        '{"resume_on": "2031-02-01"}',
        content_type="application/json",
    ).json()
    assert paused["status"] == "paused"
    assert api.post(f"/api/v1/subscriptions/{subscription.pk}/cancel").json()["status"] == "canceled"
