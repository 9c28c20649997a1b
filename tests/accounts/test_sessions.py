"""Sessions are Django's database sessions, read by a prepared query: an expired or deleted session
signs the person out, exactly as Django's own store does."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coursedesk.accounts.sessions import SessionStore
from coursedesk.core import clock


def test_the_engine_is_ours():
    assert settings.SESSION_ENGINE == "coursedesk.accounts.sessions"


def test_a_live_session_is_read_in_one_query(creator_client):
    assert creator_client.get("/desk/").status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert creator_client.get("/desk/").status_code == 200
    assert sum('FROM "django_session"' in (q["sql"] or "") for q in captured.captured_queries) == 1


def test_an_expired_session_signs_out(creator_client):
    assert creator_client.get("/desk/").status_code == 200
    Session.objects.update(expire_date=clock.now() - dt.timedelta(seconds=1))
    response = creator_client.get("/desk/")
    assert response.status_code == 302
    assert "/login" in response["Location"] or "/accounts/" in response["Location"]


def test_a_deleted_session_signs_out(creator_client):
    assert creator_client.get("/desk/").status_code == 200
    Session.objects.all().delete()
    assert creator_client.get("/desk/").status_code == 302


# --- the signed-in person, read by CourseDesk's backend (coursedesk/accounts/backends.py) ----------


def test_signing_in_names_coursedesk_backend(client, creator):
    creator.set_password("a long passphrase 4")
    creator.save()
    response = client.post("/accounts/login/", {"username": creator.email, "password": "a long passphrase 4"})
    assert response.status_code == 302
    session = Session.objects.get().get_decoded()
    assert session[BACKEND_SESSION_KEY] == "coursedesk.accounts.backends.CreatorBackend"
    assert client.get("/desk/").status_code == 200


def test_the_person_is_read_in_one_query_each_request(creator_client, creator):
    assert creator_client.get("/desk/").status_code == 200
    for _ in range(2):  # the second request runs the SQL compiled by the first
        with CaptureQueriesContext(connection) as captured:
            assert creator_client.get("/desk/").status_code == 200
        people = [q for q in captured.captured_queries if 'FROM "accounts_creator"' in (q["sql"] or "")]
        assert len(people) == 1


def test_a_session_signed_in_through_djangos_model_backend_stays_signed_in(client, creator):
    """Sessions from before CourseDesk's backend name Django's: the same person, still signed in."""
    session = SessionStore()
    session[SESSION_KEY] = str(creator.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = creator.get_session_auth_hash()
    session.create()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    response = client.get("/desk/")
    assert response.status_code == 200
    assert response.wsgi_request.user.pk == creator.pk


def test_a_deactivated_person_is_signed_out(creator_client, creator):
    assert creator_client.get("/desk/").status_code == 200
    type(creator).objects.filter(pk=creator.pk).update(is_active=False)
    assert creator_client.get("/desk/").status_code == 302


def test_a_deleted_person_is_signed_out(creator_client, creator):
    assert creator_client.get("/desk/").status_code == 200
    type(creator).objects.filter(pk=creator.pk).delete()
    assert creator_client.get("/desk/").status_code == 302


def test_a_changed_password_signs_out_other_sessions(creator_client, creator):
    assert creator_client.get("/desk/").status_code == 200
    creator.set_password("another long passphrase 9")
    creator.save()
    assert creator_client.get("/desk/").status_code == 302


def test_another_persons_session_reads_that_person(client, creator, other_creator):
    """One SQL for every request, each with its own id: no person is ever read for another."""
    for person in (creator, other_creator, creator):
        client.force_login(person)
        assert client.get("/desk/").wsgi_request.user.pk == person.pk
