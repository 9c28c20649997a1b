"""Findings 4 and 8 of the outside probe (issue 13): a NUL or another control character in an address,
a query parameter or a form field is a 400 before any view runs; names refuse line breaks everywhere,
and a name stored before that still lets its owner's emails go out."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from coursedesk.accounts.models import Creator
from coursedesk.audit.models import AuditEvent
from coursedesk.customers.models import Customer
from coursedesk.mail.models import OutboundEmail
from tests.factories import make_enrolment


def stored():
    return (
        Creator.objects.count(),
        Customer.objects.count(),
        AuditEvent.objects.count(),
        OutboundEmail.objects.count(),
    )


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "/c/watercolor/login/", {"email": "zoe@example.com\x00", "password": "x"}),
        ("post", "/c/watercolor/password-reset/", {"email": "zoe\x00@example.com"}),
        ("post", "/accounts/login/", {"username": "maya@example.com\x00", "password": "x"}),
        ("post", "/accounts/password-reset/", {"email": "maya\x00@example.com"}),
        ("get", "/buy/1/?session_id=a%00", None),
        ("get", "/desk/?q=zoe%00", None),
        ("get", "/desk/?q=%1b%5b31m", None),
    ],
)
def test_a_control_character_anywhere_in_a_request_is_a_400_that_changes_nothing(
    client, course, customer, method, path, data
):
    before = stored()

    response = getattr(client, method)(path, data) if data is not None else getattr(client, method)(path)

    assert response.status_code == 400
    assert "control character" in response.content.decode()
    assert stored() == before


@pytest.mark.parametrize("path", ["/webhooks/stripe/a%00b/", "/desk/customers/1%00/", "/c/water%0acolor/"])
def test_an_address_holding_a_control_character_is_not_found(client, course, path):
    before = stored()

    response = client.post(path)

    assert response.status_code == 404
    assert "<title>Not found · CourseDesk</title>" in response.content.decode()
    assert stored() == before


def test_an_api_address_holding_a_control_character_is_not_found_in_the_api_shape(client, creator):
    from coursedesk.accounts.models import ApiToken

    _, key = ApiToken.issue(creator=creator)
    response = client.get("/api/v1/customers/1%00", headers={"Authorization": f"Bearer {key}"})

    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found."}}


def test_a_signed_in_creators_search_with_a_nul_is_a_400(creator_client, customer):
    response = creator_client.get("/desk/", {"q": "zoe\x00"})

    assert response.status_code == 400
    assert "<title>Bad request · CourseDesk</title>" in response.content.decode()


def test_a_text_box_keeps_its_line_breaks(creator_client, customer):
    # Multiline form fields (a refund reason, a note, a lesson) may hold CR/LF: only a NUL is refused.
    response = creator_client.get("/desk/", {"q": "zoe"})
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["Creator B\r\nBcc: x@y", "Creator\x00B", "Creator\x1bB", "Line\u2028Break"])
def test_sign_up_refuses_a_name_with_a_control_character(client, db, name):
    response = client.post(
        reverse("accounts:signup"),
        {"display_name": name, "email": "b@example.com", "password": "glaze-and-kiln-2026"},
    )

    assert response.status_code in {200, 400}
    assert Creator.objects.count() == 0


def test_sign_up_shows_the_name_error_on_the_form(client, db):
    response = client.post(
        reverse("accounts:signup"),
        {
            "display_name": "Creator B\r\nBcc: x@y",
            "email": "b@example.com",
            "password": "glaze-and-kiln-2026",
        },
    )

    assert response.status_code == 200
    assert "no control characters or line breaks" in response.content.decode()
    assert Creator.objects.count() == 0


def test_settings_refuse_a_name_with_a_line_break(creator_client, creator):
    response = creator_client.post(reverse("accounts:settings"), {"profile-display_name": "Maya\r\nBcc: x@y"})

    assert response.status_code == 200
    assert "no control characters or line breaks" in response.content.decode()
    creator.refresh_from_db()
    assert creator.display_name == "Maya Studio"


def test_a_customer_name_with_a_line_break_is_refused_by_the_service(creator, customer):
    from coursedesk.audit.services import Actor
    from coursedesk.core.errors import InvalidValue
    from coursedesk.customers.services import customer_update

    before = stored()
    with pytest.raises(InvalidValue) as refused:
        customer_update(
            customer=customer, first_name="Zoë\nBcc: x@y", actor=Actor.creator(creator), source="desk"
        )

    assert refused.value.code == "invalid_name"
    customer.refresh_from_db()
    assert customer.first_name == "Zoë"
    assert stored() == before


def test_a_name_stored_before_the_check_still_lets_emails_go_out(
    creator, customer, course, django_capture_on_commit_callbacks
):
    # Given a creator whose name was stored with a line break before names were checked
    Creator.objects.filter(pk=creator.pk).update(display_name="Creator B\r\nBcc: x@y")
    make_enrolment(customer, course)
    from coursedesk.audit.services import Actor
    from coursedesk.mail.services import welcome_email_queue

    # When an email of theirs is sent
    with django_capture_on_commit_callbacks(execute=True):
        email = welcome_email_queue(
            customer=customer, course=course, actor=Actor.creator(creator), source="desk"
        )

    # Then it goes out, from their name on one line, and no Bcc was added
    email.refresh_from_db()
    assert email.status == "sent"
    assert mail.outbox[-1].from_email == '"Creator B Bcc: x@y" <no-reply@coursedesk.test>'
    assert mail.outbox[-1].bcc == []
