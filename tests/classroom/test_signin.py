"""Student sign-in per course: one generic error, throttling, tenancy, sessions apart from creators."""

from __future__ import annotations

from coursedesk.audit.models import AuditEvent
from coursedesk.classroom.auth import COOKIE_NAME
from coursedesk.core.throttle import MAX_FAILURES
from tests.classroom.conftest import sign_in
from tests.factories import make_course, make_customer, make_enrolment

GENERIC = "That email and password do not match an account for this course."


def test_right_details_sign_in_record_last_login_and_audit(client, customer, course, enrolment, frozen_now):
    response = sign_in(client, course, "ZOE@example.com ")

    assert response.status_code == 302
    assert response["Location"] == "/c/watercolor/"
    assert COOKIE_NAME in response.cookies
    customer.refresh_from_db()
    assert customer.last_login_at == frozen_now
    event = AuditEvent.objects.get(type="customer.signed_in")
    assert (event.customer, event.actor_kind, event.source, event.data) == (
        customer,
        "customer",
        "student",
        {"course": "Watercolor Foundations"},
    )
    page = client.get("/c/watercolor/")
    assert b"First lesson" in page.content


def test_wrong_password_and_unknown_address_get_the_same_message(client, customer, course):
    wrong_password = sign_in(client, course, customer.email, "not the password")
    unknown = sign_in(client, course, "nobody@example.com", "not the password")

    for response in (wrong_password, unknown):
        assert response.status_code == 400
        assert GENERIC in response.content.decode()
        assert 'href="/c/watercolor/password-reset/"' in response.content.decode()
        assert COOKIE_NAME not in response.cookies
    customer.refresh_from_db()
    assert customer.last_login_at is None
    assert not AuditEvent.objects.filter(type="customer.signed_in").exists()


def test_too_many_failures_for_an_account_block_even_the_right_password(client, customer, course, enrolment):
    for _ in range(MAX_FAILURES):
        assert sign_in(client, course, customer.email, "guess").status_code == 400

    response = sign_in(client, course, customer.email)

    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert COOKIE_NAME not in response.cookies
    customer.refresh_from_db()
    assert customer.last_login_at is None


def test_too_many_failures_from_one_address_block_other_accounts(client, customer, course, enrolment):
    for n in range(MAX_FAILURES * 4):
        sign_in(client, course, f"guess{n}@example.com", "guess")

    response = sign_in(client, course, customer.email)

    assert response.status_code == 429
    customer.refresh_from_db()
    assert customer.last_login_at is None


def test_a_customer_of_another_creator_cannot_sign_in_here(client, course, other_creator):
    # given the same address is a customer of another creator only
    make_customer(other_creator, email="zoe@example.com")

    response = sign_in(client, course, "zoe@example.com")

    assert response.status_code == 400
    assert GENERIC in response.content.decode()


def test_signed_in_at_every_course_of_the_creator_and_none_of_another(
    student_client, customer, creator, other_creator
):
    # given a second course of the same creator and a course of another creator with the same address
    second = make_course(creator, slug="second")
    make_enrolment(customer, second)
    rival_course = make_course(other_creator, slug="rival")
    make_enrolment(make_customer(other_creator, email="zoe@example.com"), rival_course)

    assert b"First lesson" in student_client.get("/c/second/").content
    rival = student_client.get("/c/rival/")
    assert b"First lesson" not in rival.content
    assert b"zoe@example.com" not in rival.content
    assert 'href="/c/rival/login/"' in rival.content.decode()
    assert student_client.get("/c/rival/lessons/1/")["Location"] == "/c/rival/login/?next=/c/rival/lessons/1/"


def test_student_session_is_not_a_creator_session(student_client):
    assert "_auth_user_id" not in student_client.session
    response = student_client.get("/desk/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_creator_session_is_not_a_student_session(creator_client, course, enrolment):
    page = creator_client.get("/c/watercolor/")
    assert b"First lesson" not in page.content
    assert b'href="/c/watercolor/login/"' in page.content


def test_creator_signing_out_leaves_the_customer_login_record(student_client, creator):
    student_client.force_login(creator)
    student_client.post("/accounts/logout/")
    assert b"First lesson" in student_client.get("/c/watercolor/").content


def test_sign_out(student_client):
    response = student_client.post("/c/watercolor/logout/")

    assert response.status_code == 302
    assert b"First lesson" not in student_client.get("/c/watercolor/").content


def test_next_goes_back_to_the_page_asked_for_within_the_course(client, customer, course, enrolment):
    inside = client.post(
        "/c/watercolor/login/",
        {
            "email": customer.email,
            "password": "correct horse battery",
            "next": "/c/watercolor/lessons/1/",
        },
    )
    client.post("/c/watercolor/logout/")
    outside = client.post(
        "/c/watercolor/login/",
        {
            "email": customer.email,
            "password": "correct horse battery",
            "next": "https://evil.example/",
        },
    )

    assert inside["Location"] == "/c/watercolor/lessons/1/"
    assert outside["Location"] == "/c/watercolor/"


def test_unknown_course_is_404(client, db):
    assert client.get("/c/no-such-course/login/").status_code == 404
