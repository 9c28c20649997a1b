"""The creator API (API.md): paths, shapes, status codes and error codes of every route."""

import csv
import datetime as dt
import io

import pytest
from django.db import transaction

from coursedesk.audit.models import AuditEvent
from coursedesk.billing.receipts import receipt_issue
from coursedesk.customers.models import Customer, Enrolment
from coursedesk.mail.models import OutboundEmail
from tests.desk.conftest import make_refund, snapshot
from tests.factories import make_customer


def error_code(response):
    return response.json()["error"]["code"]


# --- Auth and the API itself ----------------------------------------------------------------------


def test_no_token_is_401(client, customer):
    response = client.get("/api/v1/customers")
    assert response.status_code == 401
    assert error_code(response) == "unauthenticated"


def test_openapi_schema_lists_every_route(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert set(paths) >= {
        "/api/v1/courses",
        "/api/v1/courses/{course_id}/links",
        "/api/v1/courses/{course_id}/students.csv",
        "/api/v1/courses/{course_id}/enrolments",
        "/api/v1/customers",
        "/api/v1/customers/{customer_id}",
        "/api/v1/customers/{customer_id}/timeline",
        "/api/v1/customers/{customer_id}/welcome-email",
        "/api/v1/customers/{customer_id}/password-reset",
        "/api/v1/enrolments/{enrolment_id}/revoke",
        "/api/v1/enrolments/{enrolment_id}/grant",
        "/api/v1/enrolments/{enrolment_id}",
        "/api/v1/payments/{payment_id}/refunds",
        "/api/v1/subscriptions/{subscription_id}/cancel",
        "/api/v1/subscriptions/{subscription_id}/pause",
        "/api/v1/subscriptions/{subscription_id}/resume",
        "/api/v1/activity",
    }
    assert client.get("/api/v1/docs").status_code == 200


# --- Customers -----------------------------------------------------------------------------------


def test_search_customers(api, creator, frozen_now, customer, other_creator):
    make_customer(other_creator, email="zoe@rival.com", first_name="Zoë", last_name="Okafor")
    response = api.get("/customers", q="zoe oka")
    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "id": str(customer.pk),
                "first_name": "Zoë",
                "last_name": "Okafor",
                "email": "zoe@example.com",
                "created_at": "2026-11-21T10:00:00Z",
                "last_login_at": None,
                "tags": [],
            }
        ],
        "next": None,
    }


def test_customer_list_pages_with_a_cursor(api, creator, frozen_now):
    from coursedesk.core import clock

    for n in range(5):
        make_customer(creator, email=f"s{n}@example.com")
        clock.advance(dt.timedelta(minutes=1))
    first = api.get("/customers", limit=2).json()
    second = api.get("/customers", limit=2, cursor=first["next"]).json()
    third = api.get("/customers", limit=2, cursor=second["next"]).json()
    emails = [row["email"] for page in (first, second, third) for row in page["results"]]
    assert emails == [f"s{n}@example.com" for n in (4, 3, 2, 1, 0)]
    assert third["next"] is None


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"limit": 201}, 422, "invalid_value"),
        ({"limit": 0}, 422, "invalid_value"),
        ({"cursor": "not-a-cursor"}, 422, "invalid_value"),
    ],
)
def test_bad_paging_values(api, customer, params, status, code):
    response = api.get("/customers", **params)
    assert (response.status_code, error_code(response)) == (status, code)


@pytest.mark.parametrize("refunded, status", [(0, "none"), (2000, "partial"), (4900, "full")])
def test_a_payments_refund_status_says_how_much_went_back(api, customer, payment, refunded, status):
    if refunded:
        make_refund(payment, refunded)

    body = api.get(f"/customers/{customer.pk}").json()

    assert [(p["status"], p["refund_status"]) for p in body["payments"]] == [("succeeded", status)]


def test_customer_profile_shape(api, customer, course, enrolment, payment, subscription, frozen_now):
    make_refund(payment, 2000)
    with transaction.atomic():
        receipt_issue(payment=payment)
    body = api.get(f"/customers/{customer.pk}").json()
    assert body["email"] == "zoe@example.com"
    assert body["enrolments"] == [
        {
            "id": str(enrolment.pk),
            "customer_id": str(customer.pk),
            "course_id": str(course.pk),
            "course_title": "Watercolor Foundations",
            "status": "active",
            "granted_at": "2026-11-21T10:00:00Z",
            "expires_at": None,
            "revoked_at": None,
            "progress_percent": 0,
        }
    ]
    assert body["payments"] == [
        {
            "id": str(payment.pk),
            "course_id": str(course.pk),
            "amount": 4900,
            "currency": "usd",
            "amount_refunded": 2000,
            "refundable_amount": 2900,
            "status": "succeeded",
            "paid_at": "2026-11-21T10:00:00Z",
            "subscription_id": None,
            "gateway": "sandbox",
            "refund_status": "partial",
            "receipt_number": 1,
        }
    ]
    assert body["subscriptions"] == [
        {
            "id": str(subscription.pk),
            "course_id": str(course.pk),
            "status": "active",
            "amount": 2900,
            "currency": "usd",
            "interval": "month",
            "next_payment_at": "2026-12-21T10:00:00Z",
            "paused_until": None,
            "canceled_at": None,
            "cancel_at_period_end": False,
            "retries_left": None,
            "next_retry_at": None,
        }
    ]
    assert body["emails"] == []


def test_customer_detail_reads_the_customer_and_one_query_per_list(
    api, customer, course, enrolment, payment, subscription, frozen_now, django_assert_num_queries
):
    # given a customer with a note and an audit event, which the detail does not return
    api.post(f"/customers/{customer.pk}/notes", {"body": "Asked about the refund."})
    OutboundEmail.objects.create(
        creator=customer.creator, customer=customer, kind="welcome", to=customer.email, subject="Hi"
    )
    api.get("/me")  # the token is trusted from here on

    # when the detail is read, it costs the customer and its enrolments, payments, subscriptions
    # and emails, one query each
    with django_assert_num_queries(5):
        body = api.get(f"/customers/{customer.pk}").json()

    # then it has every list and no timeline or notes
    assert {key: len(body[key]) for key in ("enrolments", "payments", "subscriptions", "emails")} == {
        "enrolments": 1,
        "payments": 1,
        "subscriptions": 1,
        "emails": 1,
    }
    assert "timeline" not in body and "notes" not in body


def test_patch_customer(api, customer):
    response = api.patch(f"/customers/{customer.pk}", {"email": "zoe@new.net", "password": "long enough"})
    assert response.status_code == 200
    assert response.json()["email"] == "zoe@new.net"
    customer.refresh_from_db()
    assert customer.check_password("long enough")
    event = AuditEvent.objects.get(type="customer.updated")
    assert (event.source, event.data) == (
        "api",
        {"email": {"old": "zoe@example.com", "new": "zoe@new.net"}, "password": {"changed": True}},
    )


def test_patch_customer_refusals(api, creator, customer):
    make_customer(creator, email="taken@example.com")
    taken = api.patch(f"/customers/{customer.pk}", {"email": "taken@example.com"})
    invalid = api.patch(f"/customers/{customer.pk}", {"email": "nope"})
    assert (taken.status_code, error_code(taken)) == (409, "email_taken")
    assert (invalid.status_code, error_code(invalid)) == (422, "invalid_email")
    assert Customer.objects.get(pk=customer.pk).email == "zoe@example.com"
    assert not AuditEvent.objects.filter(type="customer.updated").exists()


def test_delete_customer_is_never_allowed(api, customer):
    response = api.delete(f"/customers/{customer.pk}")
    assert (response.status_code, error_code(response)) == (405, "customer_delete_not_allowed")
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_timeline_newest_first(api, customer, enrolment):
    api.post(f"/enrolments/{enrolment.pk}/revoke")
    api.post(f"/enrolments/{enrolment.pk}/grant")
    body = api.get(f"/customers/{customer.pk}/timeline").json()
    assert [event["type"] for event in body["results"]] == ["enrolment.restored", "enrolment.revoked"]
    assert body["results"][1]["actor"] == {"kind": "creator", "label": "maya@example.com"}
    assert body["results"][1]["data"]["status"] == {"old": "active", "new": "revoked"}


def test_welcome_email(api, customer, enrolment, second_course):
    response = api.post(f"/customers/{customer.pk}/welcome-email", {"course_id": str(enrolment.course_id)})
    assert response.status_code == 202
    email = OutboundEmail.objects.get()
    assert response.json() == {"email_id": str(email.pk)}
    assert (email.kind, email.to) == ("welcome", "zoe@example.com")
    refused = api.post(f"/customers/{customer.pk}/welcome-email", {"course_id": str(second_course.pk)})
    assert (refused.status_code, error_code(refused)) == (409, "not_enrolled")
    missing = api.post(f"/customers/{customer.pk}/welcome-email", {})
    assert (missing.status_code, error_code(missing)) == (400, "malformed_request")
    assert OutboundEmail.objects.count() == 1


def test_password_reset(api, customer, enrolment):
    response = api.post(f"/customers/{customer.pk}/password-reset", {"course_id": str(enrolment.course_id)})
    assert response.status_code == 202
    assert OutboundEmail.objects.get().kind == "password_reset"


# --- Enrolments ----------------------------------------------------------------------------------


def test_revoke_and_grant(api, enrolment, frozen_now):
    revoked = api.post(f"/enrolments/{enrolment.pk}/revoke")
    assert revoked.status_code == 200
    assert (revoked.json()["status"], revoked.json()["revoked_at"]) == ("revoked", "2026-11-21T10:00:00Z")
    again = api.post(f"/enrolments/{enrolment.pk}/revoke")
    assert (again.status_code, error_code(again)) == (409, "already_revoked")
    granted = api.post(f"/enrolments/{enrolment.pk}/grant")
    assert (granted.json()["status"], granted.json()["revoked_at"]) == ("active", None)


def test_patch_expiration(api, enrolment, frozen_now):
    past = api.patch(f"/enrolments/{enrolment.pk}", {"expires_at": "2026-11-20T00:00:00Z"})
    assert past.json()["status"] == "expired"
    lifetime = api.patch(f"/enrolments/{enrolment.pk}", {"expires_at": None})
    assert (lifetime.json()["status"], lifetime.json()["expires_at"]) == ("active", None)
    naive = api.patch(f"/enrolments/{enrolment.pk}", {"expires_at": "2027-01-01T00:00:00"})
    assert (naive.status_code, error_code(naive)) == (422, "invalid_expires_at")
    missing = api.patch(f"/enrolments/{enrolment.pk}", {})
    assert missing.status_code == 400
    assert [e.type for e in AuditEvent.objects.order_by("pk")] == ["enrolment.expiration_changed"] * 2


# --- Courses -------------------------------------------------------------------------------------


def test_course_list_counts(api, course, enrolment):
    body = api.get("/courses").json()
    assert body["results"][0]["counts"] == {"active": 1, "revoked": 0, "expired": 0}


def test_course_links(api, course, one_time_page):
    body = api.get(f"/courses/{course.pk}/links").json()
    assert body["login_url"].endswith("/c/watercolor/login/")
    assert body["billing_url"].endswith("/c/watercolor/billing/")
    assert body["checkout_urls"] == [
        {
            "payment_page_id": str(one_time_page.pk),
            "name": "Lifetime access",
            "url": body["checkout_urls"][0]["url"],
        }
    ]
    assert body["checkout_urls"][0]["url"].endswith(f"/buy/{one_time_page.pk}/")


def test_students_csv(api, course, enrolment):
    response = api.get(f"/courses/{course.pk}/students.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[1][:4] == ["Zoë", "Okafor", "zoe@example.com", "Active"]


def test_grant_access_creates_the_customer_and_sends_the_welcome_email(api, creator, course, frozen_now):
    response = api.post(
        f"/courses/{course.pk}/enrolments",
        {
            "email": "New@Example.com",
            "first_name": "Ana",
            "last_name": "Ruiz",
            "expires_at": "2027-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 201
    customer = Customer.objects.get(email="New@Example.com")
    assert response.json()["customer_id"] == str(customer.pk)
    assert response.json()["expires_at"] == "2027-01-01T00:00:00Z"
    assert OutboundEmail.objects.get().to == "New@Example.com"
    assert [e.type for e in AuditEvent.objects.order_by("pk")] == [
        "customer.created",
        "enrolment.granted",
        "email.queued",
    ]
    again = api.post(f"/courses/{course.pk}/enrolments", {"email": "new@example.com"})
    assert again.status_code == 200
    assert Enrolment.objects.count() == 1
    assert OutboundEmail.objects.count() == 1


def test_grant_access_restores_a_revoked_enrolment_with_the_welcome_email(api, course, customer, enrolment):
    api.post(f"/enrolments/{enrolment.pk}/revoke")

    response = api.post(f"/courses/{course.pk}/enrolments", {"email": "zoe@example.com"})

    assert response.status_code == 201
    assert (response.json()["id"], response.json()["status"]) == (str(enrolment.pk), "active")
    assert list(OutboundEmail.objects.values_list("kind", "to")) == [("welcome", "zoe@example.com")]


def test_grant_access_without_welcome_email_to_an_existing_customer(api, course, customer):
    response = api.post(
        f"/courses/{course.pk}/enrolments", {"email": "zoe@example.com", "send_welcome_email": False}
    )
    assert response.status_code == 201
    assert response.json()["customer_id"] == str(customer.pk)
    assert OutboundEmail.objects.count() == 0


def test_grant_access_with_an_invalid_email_changes_nothing(api, course):
    response = api.post(f"/courses/{course.pk}/enrolments", {"email": "nope"})
    assert (response.status_code, error_code(response)) == (422, "invalid_email")
    assert not Customer.objects.exists()
    assert not AuditEvent.objects.exists()


# --- Activity ------------------------------------------------------------------------------------


def test_activity_feed(api, creator, other_creator, enrolment):
    api.post(f"/enrolments/{enrolment.pk}/revoke")
    make_customer(other_creator)
    from coursedesk.audit.services import Actor
    from coursedesk.customers.services import customer_create

    customer_create(creator=other_creator, email="x@rival.com", actor=Actor.system(), source="desk")
    body = api.get("/activity").json()
    assert [(event["type"], event["summary"]) for event in body["results"]] == [
        ("enrolment.revoked", "Access to Watercolor Foundations revoked")
    ]
    assert body["next"] is None


# --- Payments and subscriptions ------------------------------------------------------------------


def test_pause_needs_a_future_date(api, subscription, frozen_now):
    before = snapshot()
    response = api.post(f"/subscriptions/{subscription.pk}/pause", {"resume_on": "2026-11-21"})
    assert (response.status_code, error_code(response)) == (422, "invalid_resume_on")
    assert snapshot() == before


def test_refund_part_then_the_rest_then_nothing_left(api, payment):
    part = api.post(f"/payments/{payment.pk}/refunds", {"amount": 2000, "reason": "asked nicely"})
    assert part.status_code == 201
    assert {k: part.json()[k] for k in ("payment_id", "amount", "currency")} == {
        "payment_id": str(payment.pk),
        "amount": 2000,
        "currency": "usd",
    }
    rest = api.post(f"/payments/{payment.pk}/refunds", {})
    assert (rest.status_code, rest.json()["amount"]) == (201, 2900)
    nothing = api.post(f"/payments/{payment.pk}/refunds", {})
    assert (nothing.status_code, error_code(nothing)) == (409, "nothing_to_refund")


def test_refund_refusals(api, payment):
    too_much = api.post(f"/payments/{payment.pk}/refunds", {"amount": 5000})
    assert (too_much.status_code, error_code(too_much)) == (409, "refund_exceeds_refundable")
    zero = api.post(f"/payments/{payment.pk}/refunds", {"amount": 0})
    assert (zero.status_code, error_code(zero)) == (422, "invalid_amount")
    assert payment.refunds.count() == 0


def test_pause_resume_cancel(api, subscription, frozen_now):
    paused = api.post(f"/subscriptions/{subscription.pk}/pause", {"resume_on": "2027-01-15"}).json()
    assert (paused["status"], paused["paused_until"]) == ("paused", "2027-01-15")
    assert paused["next_payment_at"].startswith("2027-01-15")
    assert api.post(f"/subscriptions/{subscription.pk}/resume").json()["status"] == "active"
    assert api.post(f"/subscriptions/{subscription.pk}/cancel").json()["status"] == "canceled"


def test_unknown_ids_are_404(api):
    for path in ["/customers/999999", "/customers/abc", "/courses/999999/links"]:
        response = api.get(path)
        assert (response.status_code, error_code(response)) == (404, "not_found"), path


def test_a_misspelt_parameter_is_400(api, customer):
    response = api.get("/customers", limt=10)
    assert (response.status_code, error_code(response)) == (400, "unknown_parameter")


def test_grant_access_needs_a_timezone_on_the_expiration(api, course):
    response = api.post(
        f"/courses/{course.pk}/enrolments", {"email": "ana@example.com", "expires_at": "2027-01-01T00:00:00"}
    )
    assert (response.status_code, error_code(response)) == (422, "invalid_expires_at")
    assert not Customer.objects.exists()


# --- Exact shapes of every answer (the JSON stays the same whatever builds it) --------------------


def test_course_list_shape(api, course, enrolment, second_course):
    assert api.get("/courses").json() == {
        "results": [
            {
                "id": str(second_course.pk),
                "title": "Ink Sketching",
                "slug": "ink",
                "published": True,
                "counts": {"active": 0, "revoked": 0, "expired": 0},
            },
            {
                "id": str(course.pk),
                "title": "Watercolor Foundations",
                "slug": "watercolor",
                "published": True,
                "counts": {"active": 1, "revoked": 0, "expired": 0},
            },
        ],
        "next": None,
    }


def test_course_links_shape(api, course, one_time_page, settings):
    base = f"{settings.SITE_URL}/c/watercolor"
    assert api.get(f"/courses/{course.pk}/links").json() == {
        "sales_url": f"{settings.SITE_URL}/courses/watercolor/",
        "login_url": f"{base}/login/",
        "password_reset_url": f"{base}/password-reset/",
        "billing_url": f"{base}/billing/",
        "cancel_url": f"{base}/cancel/",
        "checkout_urls": [
            {
                "payment_page_id": str(one_time_page.pk),
                "name": "Lifetime access",
                "url": f"{settings.SITE_URL}/buy/{one_time_page.pk}/",
            }
        ],
    }


def test_timeline_event_shape(api, customer, enrolment, frozen_now):
    api.post(f"/enrolments/{enrolment.pk}/revoke")
    event = AuditEvent.objects.get()
    assert api.get(f"/customers/{customer.pk}/timeline").json() == {
        "results": [
            {
                "id": str(event.pk),
                "type": "enrolment.revoked",
                "occurred_at": "2026-11-21T10:00:00Z",
                "actor": {"kind": "creator", "label": "maya@example.com"},
                "source": "api",
                "customer_id": str(customer.pk),
                "summary": "Access to Watercolor Foundations revoked",
                "data": {
                    "course": "Watercolor Foundations",
                    "course_id": enrolment.course_id,
                    "status": {"old": "active", "new": "revoked"},
                },
            }
        ],
        "next": None,
    }


def test_customer_patch_shape(api, frozen_now, customer):
    response = api.patch(f"/customers/{customer.pk}", {"first_name": "Zoe"})
    assert response.json() == {
        "id": str(customer.pk),
        "first_name": "Zoe",
        "last_name": "Okafor",
        "email": "zoe@example.com",
        "created_at": "2026-11-21T10:00:00Z",
        "last_login_at": None,
        "tags": [],
    }


def test_enrolment_and_refund_and_subscription_shapes(api, enrolment, payment, subscription, frozen_now):
    revoked = api.post(f"/enrolments/{enrolment.pk}/revoke").json()
    assert revoked == {
        "id": str(enrolment.pk),
        "customer_id": str(enrolment.customer_id),
        "course_id": str(enrolment.course_id),
        "course_title": "Watercolor Foundations",
        "status": "revoked",
        "granted_at": "2026-11-21T10:00:00Z",
        "expires_at": None,
        "revoked_at": "2026-11-21T10:00:00Z",
        "progress_percent": 0,
    }
    refund = api.post(f"/payments/{payment.pk}/refunds", {"amount": 900}).json()
    assert refund == {
        "id": refund["id"],
        "payment_id": str(payment.pk),
        "amount": 900,
        "currency": "usd",
        "status": refund["status"],
        "created_at": "2026-11-21T10:00:00Z",
    }
    assert isinstance(refund["id"], str)
    assert refund["status"] in {"pending", "succeeded"}
    paused = api.post(f"/subscriptions/{subscription.pk}/pause", {"resume_on": "2027-01-15"}).json()
    assert paused == {
        "id": str(subscription.pk),
        "course_id": str(subscription.course_id),
        "status": "paused",
        "amount": 2900,
        "currency": "usd",
        "interval": "month",
        "next_payment_at": paused["next_payment_at"],
        "paused_until": "2027-01-15",
        "canceled_at": None,
        "cancel_at_period_end": False,
        "retries_left": None,
        "next_retry_at": None,
    }


def test_profile_emails_and_welcome_email_shapes(api, customer, enrolment, frozen_now):
    queued = api.post(f"/customers/{customer.pk}/welcome-email", {"course_id": str(enrolment.course_id)})
    email = OutboundEmail.objects.get()
    assert queued.json() == {"email_id": str(email.pk)}
    assert api.get(f"/customers/{customer.pk}").json()["emails"] == [
        {
            "id": str(email.pk),
            "kind": "welcome",
            "to": "zoe@example.com",
            "subject": email.subject,
            "status": "queued",
            "created_at": "2026-11-21T10:00:00Z",
            "sent_at": None,
        }
    ]


def test_cancel_at_the_period_end(api, subscription, frozen_now):
    # given an active subscription due on its next date
    due = subscription.next_payment_at

    # when the API cancels it at the end of the paid period
    response = api.post(f"/subscriptions/{subscription.pk}/cancel", {"at_period_end": True})

    # then it runs until then, with no further payment, and says so
    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["cancel_at_period_end"], body["canceled_at"]) == ("active", True, None)
    assert body["next_payment_at"] == due.isoformat().replace("+00:00", "Z")
    # and cancelling at the period's end again is refused with the date
    again = api.post(f"/subscriptions/{subscription.pk}/cancel", {"at_period_end": True})
    assert (again.status_code, error_code(again)) == (409, "subscription_already_ending")
    # and a cancel now still ends it at once
    now = api.post(f"/subscriptions/{subscription.pk}/cancel", {"at_period_end": False}).json()
    assert (now["status"], now["canceled_at"]) == ("canceled", "2026-11-21T10:00:00Z")


def test_cancel_without_a_body_cancels_now(api, subscription, frozen_now):
    # as `curl -X POST` sends it: no body, no content type
    response = api.client.generic(
        "POST", f"/api/v1/subscriptions/{subscription.pk}/cancel", headers=api.headers
    )

    assert (response.status_code, response.json()["status"]) == (200, "canceled")


def test_cancel_sent_as_an_empty_form_cancels_now(api, subscription, frozen_now):
    response = api.client.post(f"/api/v1/subscriptions/{subscription.pk}/cancel", headers=api.headers)

    assert (response.status_code, response.json()["status"]) == (200, "canceled")


def test_cancel_refuses_a_value_that_is_no_boolean(api, subscription):
    response = api.post(f"/subscriptions/{subscription.pk}/cancel", {"at_period_end": "tomorrow"})

    assert (response.status_code, error_code(response)) == (422, "invalid_at_period_end")
    subscription.refresh_from_db()
    assert (subscription.status, subscription.cancel_at_period_end) == ("active", False)
