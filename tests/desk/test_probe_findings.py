"""The outside probe's desk findings (issue 13): the refund form on non-numbers (7) and no-store on
every creator page and export (11)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.desk.conftest import snapshot


def refund_url(payment):
    return reverse("desk:payment_refund", args=[payment.pk])


@pytest.mark.parametrize("amount", ["Infinity", "-Infinity", "1e999999", "NaN", "sNaN", "1e13"])
def test_the_refund_form_refuses_a_number_that_is_no_amount(creator_client, payment, amount):
    # Given a payment of $49.00
    before = snapshot()

    # When the creator types something that parses as a number but is no amount, and confirms
    response = creator_client.post(refund_url(payment), {"amount": amount, "confirmed": "yes"})

    # Then the form says so, and nothing is refunded
    assert response.status_code == 200
    assert "Enter an amount such as 20 or 20.50." in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(
    "path",
    [
        "/desk/",
        "/desk/customers/{customer}/",
        "/desk/teach/",
        "/desk/links/",
        "/desk/courses/{course}/students.csv",
        "/payments/settings/",
        "/accounts/settings/",
        "/desk/settings/webhooks/",
        "/desk/settings/audit-log/?format=csv",
        "/desk/courses/emails/",
        "/desk/courses/{course}/welcome-email/",
    ],
)
def test_every_creator_page_and_export_is_no_store(creator_client, customer, course, enrolment, path):
    response = creator_client.get(path.format(customer=customer.pk, course=course.pk))

    assert response.status_code == 200, path
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_api_answers_and_exports_are_no_store(client, creator, course, enrolment):
    from coursedesk.accounts.models import ApiToken

    _, key = ApiToken.issue(creator=creator)
    for path in ("/api/v1/customers", f"/api/v1/courses/{course.pk}/students.csv", "/api/v1/audit-log.csv"):
        response = client.get(path, headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path
