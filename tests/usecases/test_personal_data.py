"""The personal data export: every record about the customer, in the API's shapes, nobody else's."""

from django.urls import reverse

from coursedesk.audit.services import Actor
from coursedesk.customers import services
from coursedesk.mail.models import OutboundEmail
from coursedesk.usecases.personal_data import customer_personal_data
from tests.desk.conftest import make_payment, make_refund
from tests.factories import make_customer, make_enrolment


def test_the_export_holds_every_record_of_the_customer(
    frozen_now, creator, other_creator, customer, course, enrolment, payment, subscription
):
    make_refund(payment, 900)
    services.note_add(customer=customer, body="Prefers email.", actor=Actor.creator(creator), source="desk")
    OutboundEmail.objects.create(
        creator=creator,
        customer=customer,
        kind="welcome",
        to=customer.email,
        subject="Welcome",
        text_body="Hi Zoë",
    )
    # and someone else's records, which must not appear
    other = make_customer(creator, email="other@example.com")
    make_enrolment(other, course)
    make_payment(other, course, 1000)

    data = customer_personal_data(customer=customer)

    assert data["format"] == "coursedesk.personal_data.v1"
    assert data["exported_at"] == "2026-11-21T10:00:00Z"
    assert data["customer"] == {
        "id": str(customer.pk),
        "first_name": "Zoë",
        "last_name": "Okafor",
        "email": "zoe@example.com",
        "created_at": "2026-11-21T10:00:00Z",
        "last_login_at": None,
        "tags": [],
        "email_aliases": [],
        "merged_into_id": None,
        "erased_at": None,
    }
    assert [(e["course_title"], e["status"], e["source"]) for e in data["enrolments"]] == [
        ("Watercolor Foundations", "active", "checkout")
    ]
    assert [(p["id"], p["amount"], p["amount_refunded"], p["course_title"]) for p in data["payments"]] == [
        (str(payment.pk), 4900, 900, "Watercolor Foundations")
    ]
    assert [(r["payment_id"], r["amount"]) for r in data["refunds"]] == [(str(payment.pk), 900)]
    assert [s["id"] for s in data["subscriptions"]] == [str(subscription.pk)]
    assert [(e["subject"], e["text_body"]) for e in data["emails"]] == [("Welcome", "Hi Zoë")]
    assert [(n["body"], n["author"]) for n in data["notes"]] == [("Prefers email.", "maya@example.com")]
    assert [e["summary"] for e in data["timeline"]] == ["Note added"]


def test_the_desk_downloads_it_as_a_json_file(creator_client, customer, frozen_now):
    response = creator_client.get(reverse("desk:customer_export", args=[customer.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert (
        response["Content-Disposition"] == f'attachment; filename="customer-{customer.pk}-personal-data.json"'
    )
    assert response.json()["customer"]["email"] == "zoe@example.com"
    profile = creator_client.get(reverse("desk:customer", args=[customer.pk])).content.decode()
    assert f'href="{reverse("desk:customer_export", args=[customer.pk])}" download' in profile


def test_another_creators_customer_is_404(creator_client, other_creator):
    theirs = make_customer(other_creator, email="theirs@example.com")

    assert creator_client.get(reverse("desk:customer_export", args=[theirs.pk])).status_code == 404
