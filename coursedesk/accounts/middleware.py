"""The signed-in person of a page, and who acted for which account.

AuthenticationOutsideApi is Django's AuthenticationMiddleware (so Django's checks find it), doing
nothing on the creator API (bearer tokens, no session), and reading the person with the session
where the session's query read them (coursedesk/accounts/sessions.py).

ActingMemberMiddleware forgets who acted for which account after every request (the audit's acting
member is kept in a context variable, which a worker thread would otherwise carry into its next
request)."""

from __future__ import annotations

from django.contrib.auth import get_user
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.utils.functional import SimpleLazyObject

from coursedesk.accounts.backends import session_person_use
from coursedesk.audit.services import acting_member_use
from coursedesk.core.middleware import for_api


def _signed_in(request):
    # Django's own reading (the backend, the session's password hash, flushing a stale session),
    # cached on the request as Django's middleware caches it.
    if not hasattr(request, "_cached_user"):
        with session_person_use(request.session):
            request._cached_user = get_user(request)
    return request._cached_user


class AuthenticationOutsideApi(AuthenticationMiddleware):
    def process_request(self, request):
        if for_api(request):
            return
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _signed_in(request))


class ActingMemberMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        acting_member_use(account_id=None)
        try:
            return self.get_response(request)
        finally:
            acting_member_use(account_id=None)
