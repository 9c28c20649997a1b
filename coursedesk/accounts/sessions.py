"""Django's database sessions, read by a prepared query: every signed-in page reads its session, so
the lookup is compiled to SQL once per thread instead of at every request. Rows, expiry and
everything else are Django's own (SESSION_ENGINE = "coursedesk.accounts.sessions").

A session signed in through Django's ModelBackend, before CourseDesk had a backend of its own
(coursedesk/accounts/backends.py), is read as signed in through that one: the same person, the same
passwords, and nobody signed out by the change."""

from __future__ import annotations

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from coursedesk.accounts.backends import DJANGO_MODEL_BACKEND, PATH
from coursedesk.core.prepared import MOMENTS, PreparedQuery

_session = PreparedQuery(
    lambda session_key, now: Session.objects.filter(session_key=session_key, expire_date__gt=now),
    session_key=("~stand-in-one", "~stand-in-two"),  # session keys are letters and digits
    now=MOMENTS,
)


class SessionStore(DatabaseSessionStore):
    def decode(self, session_data):
        data = super().decode(session_data)
        if data.get(BACKEND_SESSION_KEY) == DJANGO_MODEL_BACKEND:
            data[BACKEND_SESSION_KEY] = PATH
        return data

    def _get_session_from_db(self):
        found = _session(session_key=self.session_key, now=timezone.now()) if self.session_key else []
        if found:
            return found[0]
        self._session_key = None
        return None
