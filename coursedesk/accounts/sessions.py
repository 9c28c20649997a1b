"""Django's database sessions, in CourseDesk's own table (coursedesk.accounts.models.Session), read
with their signed-in person in one query: every signed-in page reads its session and then its
person, two round trips to the database where one does. The query is prepared, so it is compiled
to SQL once per thread instead of at every request. Rows, expiry, keys and everything else are
Django's own (SESSION_ENGINE = "coursedesk.accounts.sessions").

The session row names its person (the id signed in, written whenever the session is saved); the
person read with it is handed to the authentication backend (coursedesk/accounts/backends.py),
which takes it only for that same id. A row that names nobody (a student's, or a creator's whose
data named no person when it moved from Django's own table) costs the backend its own query, as
before.

A session signed in through Django's ModelBackend, before CourseDesk had a backend of its own, is
read as signed in through that one: the same person, the same passwords, and nobody signed out by
the change."""

from __future__ import annotations

from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone

from coursedesk.accounts.backends import DJANGO_MODEL_BACKEND, PATH, PersonRead
from coursedesk.core.prepared import MOMENTS, PreparedQuery


def _sessions(session_key, now):
    rows = SessionStore.get_model_class().objects
    return rows.filter(session_key=session_key, expire_date__gt=now).select_related("person")


_session = PreparedQuery(
    _sessions,
    session_key=("~stand-in-one", "~stand-in-two"),  # session keys are letters and digits
    now=MOMENTS,
)


def sessions_expired_delete() -> int:
    """Deletes the sessions past their expiry, creators' and students' (Django's `clearsessions` does
    the same); the scheduler runs it every tick, so the table holds live sessions only."""
    deleted, _ = SessionStore.get_model_class().objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


def person_id_of(data: dict) -> int | None:
    """The id of the person signed in to this session's data, or None (nobody, a student, or a
    backend other than CourseDesk's)."""
    if data.get(BACKEND_SESSION_KEY) not in (PATH, DJANGO_MODEL_BACKEND):
        return None
    try:
        person_id = int(data.get(SESSION_KEY))
    except (TypeError, ValueError):
        return None
    return person_id if person_id > 0 else None


class SessionStore(DatabaseSessionStore):
    # The person read with the session (coursedesk/accounts/backends.py), None until it is loaded.
    person_read: PersonRead | None = None

    @classmethod
    def get_model_class(cls):
        from coursedesk.accounts.models import Session  # noqa: PLC0415 - the app registry loads this module

        return Session

    def decode(self, session_data):
        data = super().decode(session_data)
        if data.get(BACKEND_SESSION_KEY) == DJANGO_MODEL_BACKEND:
            data[BACKEND_SESSION_KEY] = PATH
        return data

    def _get_session_from_db(self):
        found = _session(session_key=self.session_key, now=timezone.now()) if self.session_key else []
        if not found:
            self._session_key = None
            return None
        session = found[0]
        if session.person_id is not None:
            self.person_read = PersonRead(session.person_id, session.person)
        return session

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        session.person_id = person_id_of(data)
        return session
