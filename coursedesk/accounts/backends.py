"""Django's ModelBackend, with the signed-in person read by a prepared query.

Every signed-in page reads its person from the session's id. ModelBackend compiles that lookup
(`Creator.objects.get(pk=…)`) to SQL again at every request, which costs longer than the database
takes to answer it; here it is compiled once per thread (coursedesk/core/prepared.py). Passwords,
permissions and who may sign in are ModelBackend's own.

Sessions signed in before this backend existed name Django's ModelBackend; the session store reads
them as this one's (coursedesk/accounts/sessions.py), so nobody is signed out by the change.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from coursedesk.core.prepared import PreparedQuery

PATH = "coursedesk.accounts.backends.CreatorBackend"
DJANGO_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _person(user_id):
    from coursedesk.accounts.models import Creator  # noqa: PLC0415 - the app registry loads this module

    return Creator._default_manager.filter(pk=user_id)


_person_by_id = PreparedQuery(_person, user_id=(-1, -2))  # ids are positive


class CreatorBackend(ModelBackend):
    def get_user(self, user_id):
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            return super().get_user(user_id)
        found = _person_by_id(user_id=user_id)
        if not found:
            return None
        return found[0] if self.user_can_authenticate(found[0]) else None
