"""The creator API's desk tools (API.md "The desk's tools"): exact shapes and error codes."""

import pytest

from coursedesk.audit.models import AuditEvent
from coursedesk.billing.models import Subscription
from coursedesk.customers.models import BulkAction, Customer, CustomerNote, Enrolment
from tests.desk.conftest import make_subscription
from tests.factories import make_course, make_customer, make_enrolment, make_page


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
        "tags": [],
    }
    assert sorted(emails(api.get("/customers", segment="expiring_soon", q="example"))) == []


def test_an_unknown_segment_is_422_with_the_choices(api, client, customer):
    response = api.get("/customers", segment="vip")

    assert (response.status_code, error_code(response)) == (422, "invalid_value")
    assert response.json()["error"]["message"] == (
        "query.segment: Input should be 'all', 'active', 'past_due', 'expiring_soon', 'revoked', 'refunded' "
        "or 'never_signed_in'"
    )
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/customers"]["get"]
    segment = next(p for p in operation["parameters"] if p["name"] == "segment")
    assert segment["schema"]["default"] == "all"


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

    assert {"q", "segment", "course_id", "tag", "limit", "cursor"} <= {
        p["name"] for p in operation["parameters"]
    }


# --- Notes and tags -------------------------------------------------------------------------------


def test_add_a_note_then_list_the_notes(api, customer, frozen_now):
    created = api.post(f"/customers/{customer.pk}/notes", {"body": "Called about the invoice."})

    assert created.status_code == 201
    note = CustomerNote.objects.get()
    assert created.json() == {
        "id": str(note.pk),
        "body": "Called about the invoice.",
        "author": "maya@example.com",
        "created_at": "2026-11-21T10:00:00Z",
    }
    assert AuditEvent.objects.get(type="customer.note_added").source == "api"
    assert api.get(f"/customers/{customer.pk}/notes").json() == {"results": [created.json()], "next": None}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"body": "   "}, 422, "invalid_note"),
        ({}, 400, "malformed_request"),
        ({"body": "x" * 5001}, 422, "invalid_value"),
    ],
)
def test_a_bad_note_is_refused(api, customer, body, status, code):
    response = api.post(f"/customers/{customer.pk}/notes", body)

    assert (response.status_code, error_code(response)) == (status, code)
    assert CustomerNote.objects.count() == 0


def test_put_tags_answers_the_customer_with_its_tags(api, frozen_now, customer):
    response = api.call("put", f"/customers/{customer.pk}/tags", {"tags": ["vip", "Cohort 3", "VIP"]})

    assert response.status_code == 200
    assert response.json() == {
        "id": str(customer.pk),
        "first_name": "Zoë",
        "last_name": "Okafor",
        "email": "zoe@example.com",
        "created_at": "2026-11-21T10:00:00Z",
        "last_login_at": None,
        "tags": ["Cohort 3", "vip"],
    }
    assert api.get(f"/customers/{customer.pk}").json()["tags"] == ["Cohort 3", "vip"]
    assert emails(api.get("/customers", tag="COHORT 3")) == ["zoe@example.com"]
    assert emails(api.get("/customers", tag="nobody has it")) == []


@pytest.mark.parametrize(
    ("tags", "code"),
    [
        (["a,b"], "invalid_tag"),
        (["x" * 41], "invalid_value"),
        ([f"t{n}" for n in range(21)], "invalid_value"),
    ],
)
def test_bad_tags_are_422_and_change_nothing(api, customer, tags, code):
    response = api.call("put", f"/customers/{customer.pk}/tags", {"tags": tags})

    assert (response.status_code, error_code(response)) == (422, code)
    assert Customer.objects.get(pk=customer.pk).tag_names == []


def test_the_schema_lists_the_notes_and_tags_routes(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    assert set(paths["/api/v1/customers/{customer_id}/notes"]) == {"get", "post"}
    assert set(paths["/api/v1/customers/{customer_id}/tags"]) == {"put"}


# --- Merge ------------------------------------------------------------------------------------------


def test_merge_answers_the_survivor_with_the_alias_searchable(api, creator, course, frozen_now):
    survivor = make_customer(creator, email="jessica.tran@gmail.com", first_name="Jessica", last_name="Tran")
    duplicate = make_customer(creator, email="jessica.tran@gmial.com", first_name="Jessica", last_name="Tran")
    make_enrolment(duplicate, course)

    response = api.post(f"/customers/{survivor.pk}/merge", {"duplicate_id": str(duplicate.pk)})

    assert response.status_code == 200
    assert response.json() == {
        "id": str(survivor.pk),
        "first_name": "Jessica",
        "last_name": "Tran",
        "email": "jessica.tran@gmail.com",
        "created_at": "2026-11-21T10:00:00Z",
        "last_login_at": None,
        "tags": [],
    }
    assert str(survivor.pk) in [
        row["id"] for row in api.get("/customers", q="jessica.tran@gmial.com").json()["results"]
    ]
    assert [e["course_title"] for e in api.get(f"/customers/{survivor.pk}").json()["enrolments"]] == [
        "Watercolor Foundations"
    ]


def test_merge_refused_is_409_merge_conflict_with_the_reason(api, creator, course, frozen_now):
    page = make_page(course, "subscription", amount=2900)
    survivor = make_customer(creator, email="a@example.com")
    duplicate = make_customer(creator, email="b@example.com")
    make_subscription(survivor, course, page)
    make_subscription(duplicate, course, page, status=Subscription.Status.PAUSED)

    response = api.post(f"/customers/{survivor.pk}/merge", {"duplicate_id": str(duplicate.pk)})

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "merge_conflict",
        "message": "Both customers have an active subscription to Watercolor Foundations: cancel one of them "
        "first, so that nobody pays twice for one course.",
    }
    assert Customer.objects.get(pk=duplicate.pk).merged_into_id is None


def test_merging_another_creators_customer_is_404(api, customer, other_creator):
    theirs = make_customer(other_creator, email="theirs@example.com")

    response = api.post(f"/customers/{customer.pk}/merge", {"duplicate_id": str(theirs.pk)})

    assert (response.status_code, error_code(response)) == (404, "not_found")
    assert Customer.objects.get(pk=theirs.pk).merged_into_id is None


# --- Personal data export -----------------------------------------------------------------------


def test_export_answers_the_personal_data_document(api, customer, enrolment, frozen_now):
    response = api.get(f"/customers/{customer.pk}/export")

    assert response.status_code == 200
    body = response.json()
    assert sorted(body) == [
        "customer",
        "emails",
        "enrolments",
        "exported_at",
        "format",
        "notes",
        "payments",
        "refunds",
        "subscriptions",
        "timeline",
    ]
    assert (body["format"], body["customer"]["id"]) == ("coursedesk.personal_data.v1", str(customer.pk))
    assert [e["id"] for e in body["enrolments"]] == [str(enrolment.pk)]


def test_export_of_another_creators_customer_is_404(api, other_creator):
    theirs = make_customer(other_creator, email="theirs@example.com")

    response = api.get(f"/customers/{theirs.pk}/export")

    assert (response.status_code, error_code(response)) == (404, "not_found")


# --- Bulk actions ---------------------------------------------------------------------------------


def test_bulk_dry_run_then_job_then_progress(
    api, creator, course, frozen_now, django_capture_on_commit_callbacks
):
    first = make_customer(creator, email="a@example.com", first_name="Ann", last_name="A")
    make_enrolment(first, course)
    body = {"action": "add_tag", "customer_ids": [str(first.pk)], "params": {"tag": "vip"}, "dry_run": True}

    dry = api.post("/bulk-actions", body)

    assert dry.status_code == 200
    assert dry.json() == {"total": 1, "sample": ["Ann A (a@example.com) gets the tag “vip”."]}

    with django_capture_on_commit_callbacks(execute=True):
        started = api.post("/bulk-actions", {**body, "dry_run": False})

    assert started.status_code == 202
    job_id = started.json()["id"]
    assert started.json() == {"id": job_id, "status": "queued", "total": 1}
    assert api.get(f"/bulk-actions/{job_id}").json() == {
        "id": job_id,
        "action": "add_tag",
        "status": "done",
        "total": 1,
        "done": 1,
        "failed": 0,
        "errors": [],
    }


def test_bulk_revoke_of_a_segment_reports_refusals(
    api, creator, course, frozen_now, django_capture_on_commit_callbacks
):
    make_enrolment(make_customer(creator, email="a@example.com"), course)
    gone = make_customer(creator, email="b@example.com")
    make_enrolment(gone, course, revoked_at=frozen_now)

    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(
            "/bulk-actions", {"action": "revoke", "course_id": str(course.pk), "segment": "all"}
        )

    job = api.get(f"/bulk-actions/{started.json()['id']}").json()
    assert (job["status"], job["total"], job["done"], job["failed"]) == ("done", 2, 1, 1)
    assert job["errors"] == [
        {
            "customer_id": str(gone.pk),
            "code": "already_revoked",
            "message": "Access to this course is already revoked.",
        }
    ]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"action": "revoke", "segment": "all"}, 409, "course_required"),
        ({"action": "add_tag", "params": {"tag": "x"}}, 409, "invalid_selection"),
        (
            {"action": "add_tag", "params": {"tag": "x"}, "segment": "all", "customer_ids": ["1"]},
            409,
            "invalid_selection",
        ),
        ({"action": "explode", "segment": "all"}, 422, "invalid_value"),
        ({"action": "revoke", "course_id": "999999", "segment": "all"}, 404, "not_found"),
    ],
)
def test_bulk_refusals(api, customer, body, status, code):
    response = api.post("/bulk-actions", body)

    assert (response.status_code, error_code(response)) == (status, code)


def test_another_creators_job_or_customers_are_404(api, creator, customer, other_creator):
    theirs = make_customer(other_creator, email="theirs@example.com")
    job = BulkAction.objects.create(
        creator=other_creator, action="add_tag", actor_kind="creator", actor_label="x", source="api"
    )

    assert error_code(api.get(f"/bulk-actions/{job.pk}")) == "not_found"
    response = api.post(
        "/bulk-actions",
        {"action": "add_tag", "params": {"tag": "x"}, "customer_ids": [str(customer.pk), str(theirs.pk)]},
    )
    assert (response.status_code, error_code(response)) == (404, "not_found")


# --- Imports ----------------------------------------------------------------------------------------

CSV = (
    "email,first_name,last_name,expires_at\n"
    "zoe@example.com,Zoë,Okafor,\n"
    "new@example.com,New,Person,2027-01-31\n"
    "not-an-email,Bad,Row,\n"
    "late@example.com,Late,Row,someday\n"
)


def post_csv(api, text, **params):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return api.client.post(
        f"/api/v1/imports?{query}", data=text, content_type="text/csv", headers=api.headers
    )


def test_import_dry_run_previews_rows_new_existing_and_errors_by_line(api, customer, course):
    response = post_csv(api, CSV, course_id=course.pk, dry_run="true")

    assert response.status_code == 200
    assert response.json() == {
        "rows": 4,
        "new_customers": 1,
        "existing_customers": 1,
        "errors": [
            {"line": 4, "message": "“not-an-email” is not a valid email address."},
            {
                "line": 5,
                "message": "late@example.com: expires_at “someday” is not a date (YYYY-MM-DD) or an ISO 8601 "
                "time.",
            },
        ],
    }
    assert Customer.objects.count() == 1


def test_import_runs_as_a_job_and_twice_enrols_nobody_twice(
    api, customer, course, frozen_now, django_capture_on_commit_callbacks
):
    good = "email,first_name,last_name\nzoe@example.com,Zoë,Okafor\nnew@example.com,New,Person\n"

    with django_capture_on_commit_callbacks(execute=True):
        first = post_csv(api, good, course_id=course.pk)
    with django_capture_on_commit_callbacks(execute=True):
        post_csv(api, good, course_id=course.pk)

    assert first.status_code == 202
    job = api.get(f"/imports/{first.json()['id']}").json()
    assert (job["action"], job["status"], job["total"], job["done"], job["failed"]) == (
        "import",
        "done",
        2,
        2,
        0,
    )
    assert Enrolment.objects.filter(course=course).count() == 2
    assert AuditEvent.objects.filter(type="enrolment.granted").count() == 2


def test_import_into_another_creators_course_is_404(api, other_creator):
    theirs = make_course(other_creator, title="Rival", slug="rival")

    response = post_csv(api, "email\na@example.com\n", course_id=theirs.pk)

    assert (response.status_code, error_code(response)) == (404, "not_found")


def test_import_without_an_email_column_is_422(api, course):
    response = post_csv(api, "name\nZoë\n", course_id=course.pk, dry_run="true")

    assert (response.status_code, error_code(response)) == (422, "invalid_csv")
