"""What every API call costs besides its own work: no session, no CSRF, no messages, and the token
looked up once per burst of calls."""

import datetime as dt

from django.test import Client
from django.urls import reverse

from coursedesk.accounts.models import ApiToken
from coursedesk.core import clock


def test_an_api_call_sets_no_cookie_and_reads_no_session(api, creator, frozen_now, django_assert_num_queries):
    # given a creator's token used once (its look-up and its last use written)
    api.get("/me")

    # when it is used again, with a session cookie and a CSRF cookie sent along
    api.client.cookies["sessionid"] = "not-a-session"
    api.client.cookies["csrftoken"] = "x" * 32
    with django_assert_num_queries(0):
        response = api.get("/me")

    # then it answers from the trusted token without the database, and sets no cookie
    assert response.status_code == 200
    assert response.json()["creator_id"] == str(creator.pk)
    assert response.cookies == {}


def test_a_write_through_the_api_needs_no_csrf_token(api, course, frozen_now):
    client = Client(enforce_csrf_checks=True)
    client.cookies["sessionid"] = "not-a-session"

    response = client.post(
        f"/api/v1/courses/{course.pk}/enrolments",
        data={"email": "new@example.com", "first_name": "New", "last_name": "Student"},
        content_type="application/json",
        headers=api.headers,
    )

    assert response.status_code == 201


def test_a_token_is_looked_up_again_after_its_cached_seconds(api, frozen_now, django_assert_num_queries):
    api.get("/me")
    clock.advance(dt.timedelta(seconds=9))
    with django_assert_num_queries(0):
        assert api.get("/me").status_code == 200

    clock.advance(dt.timedelta(seconds=2))
    with django_assert_num_queries(1):  # the look-up; its last use is not a minute old yet
        assert api.get("/me").status_code == 200

    clock.advance(dt.timedelta(seconds=50))
    with django_assert_num_queries(2):  # the look-up, and its last use written (a minute old)
        assert api.get("/me").status_code == 200


def test_a_token_revoked_on_the_settings_page_is_refused_at_once(api, creator, creator_client, frozen_now):
    assert api.get("/me").status_code == 200
    token = ApiToken.objects.get(creator=creator)

    creator_client.post(reverse("accounts:token_revoke", args=[token.pk]))

    assert api.get("/me").status_code == 401
    token.refresh_from_db()
    assert token.revoked_at == frozen_now


def test_desk_pages_keep_their_session(creator_client):
    response = creator_client.get(reverse("desk:teach"))

    assert response.status_code == 200
    assert response.wsgi_request.session.session_key is not None
    assert response.wsgi_request.user.is_authenticated
