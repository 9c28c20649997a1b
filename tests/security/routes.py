"""Every URL pattern of the site, found by walking the resolver (new routes are swept automatically)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")

# Prefixes swept elsewhere: the admin is Django's own (staff only); the API is swept through its
# OpenAPI schema; media and static are files.
SKIPPED_PREFIXES = ("admin/", "api/v1/", "media/", "static/")

# Pages anyone may open without signing in, by URL name.
PUBLIC = {
    "core:home",
    "ops:healthz",
    "ops:readyz",
    "ops:metrics",  # its own bearer token or address allowlist: tests/ops
    "accounts:login",
    "accounts:logout",
    "accounts:signup",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "accounts:login_code",  # the second step of signing in, before the person is signed in
    "desk:team_join",  # a team invitation's page: sign up or sign in from there
    "classroom:checkout",
    "classroom:sales",
}

# A bare `pk` or `id` names an object of the collection just before it: customers/<int:pk>/.
COLLECTION_PARAMETER = {
    "customers": "customer_id",
    "enrolments": "enrolment_id",
    "payments": "payment_id",
    "subscriptions": "subscription_id",
    "courses": "course_id",
    "refunds": "refund_id",
    "emails": "email_id",
    "tokens": "token_id",
    "buy": "page_id",
}

# Student pages: open to anyone (sign in, reset) or behind the course's own student sign-in.
# The course page itself is public: a visitor who is not enrolled sees how to sign in or buy. Stopping
# a view-as-student only ends what the visitor's own session holds.
# A receipt opens by its long random key (from the receipt email), signed in or not.
STUDENT_PUBLIC_SUFFIXES = (
    "course",
    "login",
    "logout",
    "password_reset",
    "reset",
    "student_view_stop",
    "receipt",
)


@dataclass(frozen=True)
class Route:
    route: str  # e.g. "desk/customers/<int:customer_id>/"
    name: str  # "desk:customer" ("" when unnamed)

    @property
    def parameters(self) -> list[str]:
        return [match["name"] for match in PARAMETER.finditer(self.route)]

    @property
    def is_student(self) -> bool:
        return self.name.startswith("classroom:")

    @property
    def is_public(self) -> bool:
        if self.name in PUBLIC or "webhook" in self.name or "webhook" in self.route:
            return True
        return self.is_student and self.name.split(":", 1)[1].startswith(STUDENT_PUBLIC_SUFFIXES)

    @property
    def is_creator(self) -> bool:
        return not self.is_public and not self.is_student

    def url(self, values: dict[str, str]) -> str:
        def value(match: re.Match) -> str:
            name = match["name"]
            if name in {"pk", "id"}:
                collection = self.route[: match.start()].rstrip("/").rsplit("/", 1)[-1]
                name = COLLECTION_PARAMETER.get(collection, name)
            if name not in values:
                raise LookupError(
                    f"route /{self.route} ({self.name}) takes <{match['name']}>: teach "
                    "tests/security (COLLECTION_PARAMETER or Tenant.url_values) which object it names"
                )
            return values[name]

        return "/" + PARAMETER.sub(value, self.route)


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace or "") if part)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or "")
            yield Route(prefix + str(entry.pattern), name)


def all_routes() -> list[Route]:
    routes = [r for r in _walk(get_resolver().url_patterns) if not r.route.startswith(SKIPPED_PREFIXES)]
    return sorted(set(routes), key=lambda r: r.route)
