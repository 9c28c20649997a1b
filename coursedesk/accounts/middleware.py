"""Forgets who acted for which account after every request (the audit's acting member is kept in a
context variable, which a worker thread would otherwise carry into its next request)."""

from __future__ import annotations

from coursedesk.audit.services import acting_member_use


class ActingMemberMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        acting_member_use(account_id=None)
        try:
            return self.get_response(request)
        finally:
            acting_member_use(account_id=None)
