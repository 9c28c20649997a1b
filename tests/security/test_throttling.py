"""Guessing passwords gets slow: sign-in is throttled per account and per address."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from coursedesk.core.throttle import MAX_FAILURES, THROTTLED_MESSAGE
from tests.factories import TEST_PASSWORD


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def creator_sign_in(client, email, password, address="203.0.113.7"):
    return client.post("/accounts/login/", {"username": email, "password": password}, REMOTE_ADDR=address)


def test_creator_is_throttled_after_five_failures_even_with_the_right_password(mine):
    client = Client()
    for _ in range(MAX_FAILURES):
        assert creator_sign_in(client, mine.creator.email, "wrong guess").status_code == 200

    response = creator_sign_in(client, mine.creator.email, TEST_PASSWORD)

    assert response.status_code == 200
    assert THROTTLED_MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_throttle_counts_the_account_across_addresses_and_letter_case(mine):
    client = Client()
    for n in range(MAX_FAILURES):
        creator_sign_in(client, mine.creator.email.upper(), "wrong guess", address=f"198.51.100.{n}")

    response = creator_sign_in(client, mine.creator.email, TEST_PASSWORD, address="192.0.2.1")

    assert THROTTLED_MESSAGE in response.content.decode()


def test_one_address_guessing_many_accounts_is_throttled(mine, theirs):
    client = Client()
    for n in range(MAX_FAILURES * 4):
        creator_sign_in(client, f"nobody{n}@example.com", "wrong guess")

    response = creator_sign_in(client, theirs.creator.email, TEST_PASSWORD)

    assert THROTTLED_MESSAGE in response.content.decode()


def test_fewer_failures_than_the_limit_still_let_the_owner_in(mine):
    client = Client()
    for _ in range(MAX_FAILURES - 1):
        creator_sign_in(client, mine.creator.email, "wrong guess")

    response = creator_sign_in(client, mine.creator.email, TEST_PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(mine.creator.pk)


def test_wrong_email_and_wrong_password_give_the_same_answer(mine):
    client = Client()

    unknown = creator_sign_in(client, "nobody@example.com", "wrong guess", address="192.0.2.10")
    wrong = creator_sign_in(client, mine.creator.email, "wrong guess", address="192.0.2.11")

    def message(response):
        return response.content.decode().split('role="alert">', 1)[1].split("</div>", 1)[0]

    assert message(unknown) == message(wrong)


def student_sign_in(client, course, email, password, address="203.0.113.7"):
    return client.post(
        f"/c/{course.slug}/login/", {"email": email, "password": password}, REMOTE_ADDR=address
    )


def test_student_is_throttled_after_five_failures_even_with_the_right_password(mine):
    client = Client()
    for _ in range(MAX_FAILURES):
        student_sign_in(client, mine.course, mine.customer.email, "wrong guess")

    response = student_sign_in(client, mine.course, mine.customer.email, TEST_PASSWORD)

    assert THROTTLED_MESSAGE in response.content.decode()
    assert "coursedesk_student" not in response.cookies


def test_student_throttle_is_per_creator(mine, theirs):
    """The same address at another creator is another account, with its own count."""
    from tests.factories import make_customer

    make_customer(theirs.creator, email=mine.customer.email)
    client = Client()
    for _ in range(MAX_FAILURES):
        student_sign_in(client, mine.course, mine.customer.email, "wrong guess", address="198.51.100.1")

    response = student_sign_in(
        client, theirs.course, mine.customer.email, TEST_PASSWORD, address="198.51.100.2"
    )

    assert response.status_code == 302
    assert response.cookies["coursedesk_student"].value


def test_student_sign_in_works_below_the_limit(mine):
    client = Client()
    for _ in range(MAX_FAILURES - 1):
        student_sign_in(client, mine.course, mine.customer.email, "wrong guess")

    response = student_sign_in(client, mine.course, mine.customer.email, TEST_PASSWORD)

    assert response.status_code == 302
    assert client.get(f"/c/{mine.course.slug}/lessons/1/").status_code == 200
