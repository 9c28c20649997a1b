"""Sessions are Django's database sessions in CourseDesk's own table, each naming its signed-in
person, and read with that person by one prepared query: an expired or deleted session signs the
person out, exactly as Django's own store does, and a session whose row names nobody yet (one moved
from Django's table) reads its person with a query of its own."""

from __future__ import annotations

import datetime as dt
import importlib
import io

from django.apps import apps
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session as DjangoSession
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coursedesk.accounts.models import Session
from coursedesk.accounts.sessions import SessionStore
from coursedesk.classroom.auth import COOKIE_NAME
from coursedesk.core import clock
from tests.factories import TEST_PASSWORD, make_enrolment


def test_the_engine_is_ours():
    assert settings.SESSION_ENGINE == "coursedesk.accounts.sessions"


def test_a_live_session_is_read_in_one_query(creator_client):
    assert creator_client.get("/desk/").status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert creator_client.get("/desk/").status_code == 200
    assert sum('FROM "accounts_session"' in (q["sql"] or "") for q in captured.captured_queries) == 1


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


def _person_reads(captured) -> tuple[list, list]:
    """The queries that read a session (joined to its person) and those that read a person alone."""
    sqls = [q["sql"] or "" for q in captured.captured_queries]
    sessions = [sql for sql in sqls if 'FROM "accounts_session"' in sql]
    alone = [sql for sql in sqls if 'FROM "accounts_creator"' in sql and "accounts_session" not in sql]
    return sessions, alone


def _desk_read_as(client, person) -> tuple[list, list]:
    """Opens the desk, signed in as `person`; the queries that read its session and its person."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/desk/")
    assert response.status_code == 200
    assert response.wsgi_request.user.pk == person.pk
    return _person_reads(captured)


def test_the_person_is_read_with_the_session_in_one_query(creator_client, creator):
    assert creator_client.get("/desk/").status_code == 200
    for _ in range(2):  # the second request runs the SQL compiled by the first
        sessions, alone = _desk_read_as(creator_client, creator)
        assert len(sessions) == 1
        assert '"accounts_creator"' in sessions[0]
        assert alone == []


def test_a_session_row_names_its_person(creator_client, creator):
    assert creator_client.get("/desk/").status_code == 200
    assert list(Session.objects.values_list("person_id", flat=True)) == [creator.pk]


def test_a_session_row_naming_nobody_reads_its_person_alone(creator_client, creator):
    """A creator's row that names nobody (its data unreadable when it moved from Django's table, or
    written without the column) still signs them in: its person is read by a query of its own."""
    assert creator_client.get("/desk/").status_code == 200
    Session.objects.update(person=None)
    sessions, alone = _desk_read_as(creator_client, creator)
    assert len(sessions) == 1
    assert len(alone) == 1


def test_a_session_row_naming_another_person_is_not_believed(client, creator, other_creator):
    """The row's person is taken only for the id the signed session data holds."""
    client.force_login(creator)
    Session.objects.update(person=other_creator)
    response = client.get("/desk/")
    assert response.status_code == 200
    assert response.wsgi_request.user.pk == creator.pk


def test_a_student_session_is_a_row_of_the_same_table_naming_nobody(client, customer, course):
    """So Django's `clearsessions` clears creators' and students' sessions alike."""
    make_enrolment(customer, course)
    response = client.post(f"/c/{course.slug}/login/", {"email": customer.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    row = Session.objects.get(session_key=client.cookies[COOKIE_NAME].value)
    assert row.person_id is None
    assert client.get(f"/c/{course.slug}/").status_code == 200


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


def test_deleting_a_person_deletes_their_sessions(creator_client, creator, other_creator, client):
    assert creator_client.get("/desk/").status_code == 200
    client.force_login(other_creator)
    creator.delete()
    assert list(Session.objects.values_list("person_id", flat=True)) == [other_creator.pk]


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


# --- the move from Django's own table (migration accounts 0005) ------------------------------------

moving = importlib.import_module("coursedesk.accounts.migrations.0005_sessions_name_their_person")


class _Editor:
    connection = connection


def _django_session(data: dict, *, expire_in=dt.timedelta(days=1)) -> str:
    """A session written by Django's stock store into Django's own table, as before the move."""
    session = DjangoSessionStore()
    session.update(data)
    session.set_expiry(expire_in)
    session.create()
    return session.session_key


def _signed_in_as(person, backend="django.contrib.auth.backends.ModelBackend") -> dict:
    return {
        SESSION_KEY: str(person.pk),
        BACKEND_SESSION_KEY: backend,
        HASH_SESSION_KEY: person.get_session_auth_hash(),
    }


def test_live_sessions_move_with_their_person_and_stay_signed_in(client, creator, other_creator, monkeypatch):
    monkeypatch.setattr(moving, "BATCH", 2)  # more rows than one batch
    old = _django_session(_signed_in_as(creator))
    ours = _django_session(_signed_in_as(other_creator, "coursedesk.accounts.backends.CreatorBackend"))
    student = _django_session({"students": {"1": {"id": 5, "fp": "x"}}})
    _django_session(_signed_in_as(creator), expire_in=dt.timedelta(seconds=-1))  # expired: not moved

    moving.sessions_move_here(apps, _Editor())

    assert dict(Session.objects.values_list("session_key", "person_id")) == {
        old: creator.pk,
        ours: other_creator.pk,
        student: None,
    }
    assert not DjangoSession.objects.exists()
    client.cookies[settings.SESSION_COOKIE_NAME] = old
    assert _desk_read_as(client, creator)[1] == []


def test_sessions_move_back_when_the_migration_is_reversed(creator):
    key = _django_session(_signed_in_as(creator))
    moving.sessions_move_here(apps, _Editor())
    moving.sessions_move_back(apps, _Editor())
    assert not Session.objects.exists()
    assert DjangoSession.objects.get(session_key=key).get_decoded()[SESSION_KEY] == str(creator.pk)


def test_the_scheduler_deletes_expired_sessions_and_keeps_live_ones(creator_client, creator, client):
    assert creator_client.get("/desk/").status_code == 200
    live = Session.objects.get().session_key
    expired = SessionStore()
    expired["students"] = {}
    expired.set_expiry(-1)
    expired.create()
    out = io.StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    assert list(Session.objects.values_list("session_key", flat=True)) == [live]
    assert "Expired sessions deleted: 1." in out.getvalue()
    assert creator_client.get("/desk/").status_code == 200
