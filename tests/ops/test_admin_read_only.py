"""The Django admin shows customers, enrolments, payments and subscriptions to operators but never
edits them: their changes go through the audited services."""

from __future__ import annotations

import pytest

from coursedesk.customers.models import Customer
from tests.desk.conftest import make_payment, make_subscription
from tests.factories import make_creator, make_enrolment


@pytest.fixture
def operator_client(client, db):
    operator = make_creator(email="ops@example.com", is_staff=True, is_superuser=True)
    client.force_login(operator)
    return client


@pytest.fixture
def rows(customer, course, one_time_page, frozen_now):
    enrolment = make_enrolment(customer, course)
    payment = make_payment(customer, course, 4900)
    subscription = make_subscription(customer, course, one_time_page)
    return {"customer": customer, "enrolment": enrolment, "payment": payment, "subscription": subscription}


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("customer", "customers/customer"),
        ("enrolment", "customers/enrolment"),
        ("payment", "billing/payment"),
        ("subscription", "billing/subscription"),
    ],
)
def test_an_operator_sees_the_row_but_cannot_change_add_or_delete_it(operator_client, rows, name, path):
    row = rows[name]

    page = operator_client.get(f"/admin/{path}/{row.pk}/change/")
    changed = operator_client.post(
        f"/admin/{path}/{row.pk}/change/", {"status": "canceled", "email": "x@y.z"}
    )
    added = operator_client.get(f"/admin/{path}/add/")
    deleted = operator_client.post(f"/admin/{path}/{row.pk}/delete/", {"post": "yes"})

    assert page.status_code == 200
    assert "Save" not in page.content.decode()
    assert changed.status_code == 403
    assert added.status_code == 403
    assert deleted.status_code == 403
    assert type(row).objects.filter(pk=row.pk).exists()
    assert Customer.objects.get().email == "zoe@example.com"


def test_the_admin_signs_in_through_coursedesks_sign_in_with_its_second_factor(client, db):
    response = client.get("/admin/login/?next=/admin/billing/payment/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/billing/payment/"
    assert client.post("/admin/login/", {"username": "ops@example.com", "password": "x"}).status_code == 302
