"""The creator API's desk tools (API.md "The desk's tools"): exact shapes and error codes."""

import pytest

from tests.factories import make_course, make_customer, make_enrolment


def error_code(response):
    return response.json()["error"]["code"]


def emails(response):
    return [row["email"] for row in response.json()["results"]]


# --- Customers by segment, course and tag ---------------------------------------------------------


def test_customers_by_segment_and_course(api, creator, course, frozen_now, other_creator):
    ink = make_course(creator, title="Ink Sketching", slug="ink")
    make_enrolment(make_customer(creator, email="active@example.com"), course)
    make_enrolment(make_customer(creator, email="revoked@example.com"), course, revoked_at=frozen_now)
    make_enrolment(make_customer(creator, email="ink@example.com"), ink)
    make_enrolment(make_customer(other_creator, email="theirs@example.com"), make_course(other_creator))

    assert emails(api.get("/customers", segment="revoked")) == ["revoked@example.com"]
    assert emails(api.get("/customers", course_id=str(ink.pk))) == ["ink@example.com"]
    assert emails(api.get("/customers", segment="active", course_id=str(course.pk))) == ["active@example.com"]
    everyone = api.get("/customers", segment="all").json()
    assert everyone["next"] is None
    assert everyone["results"][0] == {
        "id": everyone["results"][0]["id"],
        "first_name": "Sam",
        "last_name": everyone["results"][0]["last_name"],
        "email": "ink@example.com",
        "created_at": "2026-11-21T10:00:00Z",
        "last_login_at": None,
    }
    assert sorted(emails(api.get("/customers", segment="expiring_soon", q="example"))) == []


def test_an_unknown_segment_is_422_with_the_choices(api, customer):
    response = api.get("/customers", segment="vip")

    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "invalid_segment",
        "message": "There is no segment “vip”; pick one of all, active, past_due, expiring_soon, revoked, "
        "refunded, never_signed_in.",
    }


@pytest.mark.parametrize(
    ("course_id", "status", "code"), [("999999", 404, "not_found"), ("abc", 422, "invalid_value")]
)
def test_a_missing_or_malformed_course_is_refused(api, customer, course_id, status, code):
    response = api.get("/customers", course_id=course_id)

    assert (response.status_code, error_code(response)) == (status, code)


def test_another_creators_course_is_404(api, customer, other_creator):
    theirs = make_course(other_creator, title="Rival", slug="rival")

    response = api.get("/customers", course_id=str(theirs.pk))

    assert (response.status_code, error_code(response)) == (404, "not_found")


def test_the_schema_documents_the_filters(client):
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/customers"]["get"]

    assert {"q", "segment", "course_id", "limit", "cursor"} <= {p["name"] for p in operation["parameters"]}
