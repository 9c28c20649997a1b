"""The outside probe's API findings (issue 13): out-of-range dates (2), control characters (4),
lengths (5) and loose types (10). Each refusal changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection

from coursedesk.audit.models import AuditEvent
from coursedesk.customers.models import Customer, Enrolment
from coursedesk.ops.checks import dates_in_range
from tests.desk.conftest import snapshot


def error_code(response):
    return response.json()["error"]["code"]


# --- Finding 2: dates between 1970 and 2199 ----------------------------------------------------------


@pytest.mark.parametrize(
    "moment", ["9999-12-31T23:00:00-02:00", "0001-01-01T00:30:00+01:00", "2200-01-01T00:00:00Z"]
)
def test_an_expiration_out_of_range_is_refused_and_nothing_is_stored(api, enrolment, moment):
    # Given an enrolment without expiration
    before = snapshot()

    # When the API sets an expiration outside 1970 to 2199
    response = api.patch(f"/enrolments/{enrolment.pk}", {"expires_at": moment})

    # Then it is a 422 naming the range, and the enrolment and its timeline are unchanged
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "invalid_expires_at",
        "message": "The expiration is out of range. Pick a date between 1970 and 2199.",
    }
    assert Enrolment.objects.get(pk=enrolment.pk).expires_at is None
    assert snapshot() == before
    # And the profile still reads
    assert api.get(f"/customers/{enrolment.customer_id}").status_code == 200


def test_the_last_accepted_moment_is_stored(api, enrolment):
    response = api.patch(f"/enrolments/{enrolment.pk}", {"expires_at": "2199-12-31T23:59:59Z"})

    assert response.status_code == 200
    assert response.json()["expires_at"] == "2199-12-31T23:59:59Z"


def test_a_grant_with_an_expiration_out_of_range_creates_nobody(api, course):
    before = (Customer.objects.count(), Enrolment.objects.count(), AuditEvent.objects.count())

    response = api.post(
        f"/courses/{course.pk}/enrolments",
        {"email": "ana@example.com", "expires_at": "9999-12-31T23:00:00-02:00"},
    )

    assert (response.status_code, error_code(response)) == (422, "invalid_expires_at")
    assert (Customer.objects.count(), Enrolment.objects.count(), AuditEvent.objects.count()) == before


def test_a_pause_until_after_2199_is_refused(api, subscription):
    before = snapshot()

    response = api.post(f"/subscriptions/{subscription.pk}/pause", {"resume_on": "9999-12-31"})

    assert (response.status_code, error_code(response)) == (422, "invalid_resume_on")
    assert snapshot() == before


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite cannot store a year past 9999")
def test_the_data_check_finds_a_stored_expiration_out_of_range_and_the_repair_fixes_it(enrolment, creator):
    # Given an expiration stored out of range before the services refused it (PostgreSQL keeps it)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_enrolment SET expires_at = '10000-01-01 00:00:00+00' WHERE id = %s",
            [enrolment.pk],
        )
    assert dates_in_range(databases=["default"])[0].id == "coursedesk.W001"

    # When the operator runs the repair the check names
    call_command("dates_repair", "--operator", "ops@example.com", stdout=io.StringIO())

    # Then the enrolment reads again, as lifetime access, and the repair is in the timeline
    assert Enrolment.objects.get(pk=enrolment.pk).expires_at is None
    event = AuditEvent.objects.filter(type="enrolment.expiration_changed").get()
    assert event.data["expires_at"] == {"old": "after 2199", "new": None}
    assert (event.actor_label, event.source) == ("ops@example.com", "command")
    assert dates_in_range(databases=["default"]) == []


def test_the_data_check_is_quiet_when_every_date_is_in_range(enrolment):
    assert dates_in_range(databases=["default"]) == []


# --- Findings 4, 5 and 10: strings are bounded, free of control characters, and types are strict ---


def customer_row(customer):
    return (
        Customer.objects.filter(pk=customer.pk).values("first_name", "last_name", "email", "password").get()
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_name": "Zo\x00e"}, "first_name"),
        ({"last_name": "Oka\r\nBcc: x@y"}, "last_name"),
        ({"email": "zoe\x00@example.com"}, "email"),
        ({"first_name": "x" * 101}, "first_name"),
        ({"email": "a" * 250 + "@example.com"}, "email"),
        ({"password": "p" * 129}, "password"),
        ({"first_name": 5}, "first_name"),
        ({"first_name": True}, "first_name"),
    ],
)
def test_a_customer_patch_with_a_bad_string_is_422_and_changes_nothing(api, customer, body, field):
    before = (customer_row(customer), snapshot())

    response = api.patch(f"/customers/{customer.pk}", body)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_value"
    assert response.json()["error"]["message"].startswith(f"changes.{field}: ")
    assert (customer_row(customer), snapshot()) == before


def test_the_openapi_schema_states_each_string_limit_of_the_models(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    patch = schemas["CustomerPatch"]["properties"]

    def limit(prop):
        return next(option["maxLength"] for option in prop["anyOf"] if option.get("type") == "string")

    assert (limit(patch["first_name"]), limit(patch["last_name"]), limit(patch["email"])) == (100, 100, 254)
    assert schemas["RefundIn"]["properties"]["reason"]["maxLength"] == 500
    assert schemas["GrantIn"]["properties"]["first_name"]["maxLength"] == 100


@pytest.mark.parametrize("amount", [True, "1", 1.0, 1.5, "100", [100]])
def test_a_refund_amount_that_is_not_an_integer_is_422_and_refunds_nothing(api, payment, amount):
    before = snapshot()

    response = api.post(f"/payments/{payment.pk}/refunds", {"amount": amount})

    assert (response.status_code, error_code(response)) == (422, "invalid_value")
    assert response.json()["error"]["message"].startswith("amount: ")
    assert snapshot() == before


def test_a_refund_reason_with_a_nul_is_422_and_refunds_nothing(api, payment):
    before = snapshot()

    response = api.post(f"/payments/{payment.pk}/refunds", {"amount": 100, "reason": "dup\x00licate"})

    assert (response.status_code, error_code(response)) == (422, "invalid_value")
    assert snapshot() == before


@pytest.mark.parametrize("raw", ["[1,2]", "1", '"x"', "null", "true", '{"amount": NaN}', "{"])
def test_a_body_that_is_not_a_json_object_is_400_and_changes_nothing(api, customer, payment, raw):
    before = (customer_row(customer), snapshot())

    patched = api.client.patch(
        f"/api/v1/customers/{customer.pk}", data=raw, content_type="application/json", headers=api.headers
    )
    refunded = api.client.post(
        f"/api/v1/payments/{payment.pk}/refunds",
        data=raw,
        content_type="application/json",
        headers=api.headers,
    )

    for response in (patched, refunded):
        assert response.status_code == 400
        assert response.json()["error"] == {
            "code": "malformed_request",
            "message": "The request body must be a JSON object.",
        }
    assert (customer_row(customer), snapshot()) == before


@pytest.mark.parametrize("q", ["\x00", "a\x00b", "zoe\x1b[31m"])
def test_a_search_with_a_control_character_is_refused(api, customer, q):
    response = api.get("/customers", q=q)

    assert response.status_code == 400
    assert error_code(response) == "malformed_request"


@pytest.mark.parametrize("q", ['"', "'", 'zo"e', "zo'e", "a*", "NEAR(", "xyz OR", '"""'])
def test_a_search_with_quotes_or_search_syntax_answers(api, customer, q):
    # SQLite's full-text query syntax must never see the words raw.
    response = api.get("/customers", q=q)

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_the_search_selector_ignores_control_characters(customer, creator):
    from coursedesk.customers.selectors import customer_search

    assert list(customer_search(creator=creator, query="zoe\x00")) == [customer]


def test_the_data_check_runs_before_migrate_creates_the_tables(tmp_path):
    # migrate runs the database checks before the first migration: an empty database passes.
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(VAR_DIR=str(tmp_path), SECRET_KEY="check-" + "k" * 50)
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0", "customers"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr
