"""Django's ModelBackend, with the signed-in person read with the session, or by a prepared query.

Every signed-in page reads its person from the session's id. The session store reads the person in
the session's own query (coursedesk/accounts/sessions.py) and the authentication middleware hands
it here (`session_person_use`); this backend takes it only for the same id. Without it (a session
row that names nobody yet) the person is read by a prepared query: ModelBackend compiles that
lookup (`Creator.objects.get(pk=…)`) to SQL again at every request, which costs longer than the
database takes to answer it; here it is compiled once per thread (coursedesk/core/prepared.py).
Passwords, permissions and who may sign in (an inactive person may not) are ModelBackend's own.

Sessions signed in before this backend existed name Django's ModelBackend; the session store reads
them as this one's (coursedesk/accounts/sessions.py), so nobody is signed out by the change.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.backends import ModelBackend

from coursedesk.core.prepared import PreparedQuery

PATH = "coursedesk.accounts.backends.CreatorBackend"
DJANGO_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _person(user_id):
    from coursedesk.accounts.models import Creator  # noqa: PLC0415 - the app registry loads this module

    return Creator._default_manager.filter(pk=user_id)


_person_by_id = PreparedQuery(_person, user_id=(-1, -2))  # ids are positive


@dataclass(frozen=True)
class PersonRead:
    """The person a session row names, as its query read them: None when no such person exists."""

    person_id: int
    person: Any


# The session whose person the request's authentication is reading (set only around that reading).
_session_reading: ContextVar[Any] = ContextVar("coursedesk_session_reading", default=None)


@contextmanager
def session_person_use(session):
    """While the signed-in person is read, the backend may take the one read with `session`."""
    token = _session_reading.set(session)
    try:
        yield
    finally:
        _session_reading.reset(token)


def _person_read_with_session(user_id: int) -> PersonRead | None:
    session = _session_reading.get()
    read = getattr(session, "person_read", None) if session is not None else None
    return read if read is not None and read.person_id == user_id else None


class CreatorBackend(ModelBackend):
    def get_user(self, user_id):
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            return super().get_user(user_id)
        read = _person_read_with_session(user_id)
        if read is not None:
            person = read.person
        else:
            found = _person_by_id(user_id=user_id)
            person = found[0] if found else None
        if person is None:
            return None
        return person if self.user_can_authenticate(person) else None
