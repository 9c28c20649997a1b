"""Sessions are Django's database sessions, read by a prepared query: an expired or deleted session
signs the person out, exactly as Django's own store does."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

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
