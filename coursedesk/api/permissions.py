"""What a token's role and scope may do on each route, checked once for every route (API.md: 403
`insufficient_scope` or `forbidden_for_role`).

A route not listed here needs the `read` permission for GET and `write` for any other method, so a
new route is closed to read tokens, viewers and support until it is listed.
"""

from __future__ import annotations

import re

from coursedesk.accounts.models import ApiToken, TokenIdentity
from coursedesk.accounts.roles import Permission, default_permission, refusal_sentence, role_can
from coursedesk.core.errors import DomainError

# (method, path under /api/v1/) → the permission the route needs instead of the default.
ROUTE_PERMISSIONS: list[tuple[str, re.Pattern[str], str]] = [
    (method, re.compile(pattern), permission)
    for method, pattern, permission in (
        ("PATCH", r"^customers/[^/]+/?$", Permission.CUSTOMER_CARE),
        ("POST", r"^customers/[^/]+/welcome-email/?$", Permission.CUSTOMER_CARE),
        ("POST", r"^customers/[^/]+/password-reset/?$", Permission.CUSTOMER_CARE),
        ("POST", r"^customers/[^/]+/notes/?$", Permission.CUSTOMER_CARE),
        ("POST", r"^courses/[^/]+/enrolments/?$", Permission.CUSTOMER_CARE),
        ("POST", r"^enrolments/[^/]+/(revoke|grant)/?$", Permission.CUSTOMER_CARE),
        ("PATCH", r"^enrolments/[^/]+/?$", Permission.CUSTOMER_CARE),
        ("POST", r"^payments/[^/]+/refunds/?$", Permission.REFUND),
    )
]
API_PREFIX = "/api/v1/"


def route_permission(method: str, path: str) -> str:
    relative = path.split(API_PREFIX, 1)[-1]
    for route_method, pattern, permission in ROUTE_PERMISSIONS:
        if method == route_method and pattern.match(relative):
            return permission
    return default_permission(method)


def api_request_check(*, identity: TokenIdentity, method: str, path: str) -> None:
    """Refuses (403) what the token's scope or its member's role may not do."""
    needed = route_permission(method, path)
    if needed != Permission.READ and ApiToken.Scope.WRITE not in identity.scopes:
        raise DomainError(
            "This token is read-only: make a token with the write scope to change anything.",
            code="insufficient_scope",
            status=403,
        )
    if not role_can(identity.role, needed):
        raise DomainError(refusal_sentence(identity.role, needed), code="forbidden_for_role", status=403)
