"""Guessing passwords gets slow: sign-in is throttled per account and per address."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from coursedesk.core.throttle import MAX_FAILURES, RESET_LIMIT_MESSAGE, THROTTLED_MESSAGE
from coursedesk.mail.models import OutboundEmail
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


def test_failures_from_other_addresses_slow_the_account_but_never_lock_the_owner_out(mine):
    # Given five failures for the owner's account from five strangers' addresses (any letter case)
    client = Client()
    for n in range(MAX_FAILURES):
        creator_sign_in(client, mine.creator.email.upper(), "wrong guess", address=f"198.51.100.{n}")

    # When the owner signs in with the right password from their own address
    response = creator_sign_in(client, mine.creator.email, TEST_PASSWORD, address="192.0.2.1")

    # Then they are in (after the account's short delay, set to 0 in tests)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(mine.creator.pk)


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


# Behind a reverse proxy (issue 13, finding 3) ------------------------------------------------------

PROXY = "10.0.0.2"


def behind_proxy(client, path, data, client_address):
    # The proxy connects from PROXY and appends the address it saw to X-Forwarded-For.
    return client.post(path, data, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)


def test_behind_a_proxy_strangers_failures_do_not_lock_out_other_visitors(mine, theirs, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client = Client()
    # Given 20 failed creator sign-ins with random emails and 20 failed student sign-ins at one
    # creator's course, all from one visitor, through the proxy
    for n in range(MAX_FAILURES * 4):
        behind_proxy(
            client, "/accounts/login/", {"username": f"x{n}@example.com", "password": "no"}, "203.0.113.9"
        )
        behind_proxy(
            client,
            f"/c/{mine.course.slug}/login/",
            {"email": f"x{n}@example.com", "password": "no"},
            "203.0.113.9",
        )

    # Then that visitor is cooling down
    stranger = behind_proxy(
        Client(),
        "/accounts/login/",
        {"username": mine.creator.email, "password": TEST_PASSWORD},
        "203.0.113.9",
    )
    assert THROTTLED_MESSAGE in stranger.content.decode()
    # But the creator, from their own address through the same proxy, signs in
    owner = Client()
    response = behind_proxy(
        owner, "/accounts/login/", {"username": mine.creator.email, "password": TEST_PASSWORD}, "192.0.2.50"
    )
    assert response.status_code == 302
    # And another creator's student signs in to their course
    student = behind_proxy(
        Client(),
        f"/c/{theirs.course.slug}/login/",
        {"email": theirs.customer.email, "password": TEST_PASSWORD},
        "192.0.2.51",
    )
    assert student.status_code == 302


def test_an_address_the_client_wrote_into_x_forwarded_for_is_not_trusted(mine, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client = Client()
    # Given a guesser who writes a new made-up address before the proxy's entry each time
    for n in range(MAX_FAILURES):
        behind_proxy(
            client,
            "/accounts/login/",
            {"username": mine.creator.email, "password": "wrong"},
            f"198.51.100.{n}, 203.0.113.9",
        )

    # Then the proxy's entry counts: the guesser's real address is cooling down for that account
    response = behind_proxy(
        client,
        "/accounts/login/",
        {"username": mine.creator.email, "password": TEST_PASSWORD},
        "1.1.1.1, 203.0.113.9",
    )
    assert THROTTLED_MESSAGE in response.content.decode()


def reset(client, course, email, address="203.0.113.7"):
    return client.post(f"/c/{course.slug}/password-reset/", {"email": email}, REMOTE_ADDR=address)


def test_reset_emails_are_counted_per_account_and_the_page_says_so(mine, django_capture_on_commit_callbacks):
    client = Client()
    # Given twenty reset requests for unknown addresses from one visitor
    for n in range(20):
        reset(client, mine.course, f"x{n}@example.com")

    # When the student asks four times for their own account, from the same address
    with django_capture_on_commit_callbacks(execute=True):
        pages = [reset(client, mine.course, mine.customer.email) for _ in range(4)]

    # Then three reset emails go out (the others' requests used none of them), and each page states the limit
    assert OutboundEmail.objects.filter(kind="password_reset", to=mine.customer.email).count() == 3
    assert all(RESET_LIMIT_MESSAGE in page.content.decode() for page in pages)
