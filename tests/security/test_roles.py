"""Team roles on every page and every API route: each role is let through or refused with 403, and
a refusal changes nothing. The walk takes its routes from the URL resolver and the OpenAPI schema, so
a route added later is covered by default (a GET is open to every role, anything else needs `write`)."""

from __future__ import annotations

import re

import pytest
from django.apps import apps

from coursedesk.accounts.access import ACTING_FOR_SESSION_KEY
from coursedesk.accounts.models import ApiToken, Membership
from coursedesk.desk.actions import ACTIONS
from tests.factories import make_creator
from tests.security.routes import all_routes
from tests.security.test_api_routes import OPERATIONS, call, example_body, ids, path_with

ROLES = ["admin", "support", "viewer"]

# What the product promises (SPEC, Trust): owners only for payment settings and the team.
OWNER_ONLY = {
    "desk:payment_settings",
    "desk:payment_policy",
    "desk:team",
    "desk:team_member_change",
    "desk:team_member_remove",
    "desk:team_invitation_cancel",
    "desk:team_two_factor",
}
# Support's customer care and refunds (refunds also up to their limit: tests/billing).
SUPPORT_CAN = {
    "desk:customer_edit",
    "desk:welcome_email",
    "desk:password_reset",
    "desk:grant_course",
    "desk:enrolment_revoke",
    "desk:enrolment_grant",
    "desk:enrolment_expiration",
    "desk:payment_refund",
    "desk:note_add",
    "desk:student_view",  # audited and read-only, but it writes the timeline: not for viewers
}
# Every other profile action changes something, so even its dialog is for those who may do it.
OTHER_ACTIONS = {f"desk:{name}" for name in ACTIONS} - SUPPORT_CAN
# A person's own tokens, two-factor sign-in and choice of account: every role.
EVERYONE = {"accounts:token_create", "accounts:token_revoke", "accounts:two_factor", "desk:account_switch"}


def allowed(role: str, name: str, method: str) -> bool:
    if name in OWNER_ONLY:
        return False  # admins included
    if name in EVERYONE:
        return True
    if name in SUPPORT_CAN:
        return role in ("admin", "support")
    if name in OTHER_ACTIONS:
        return role == "admin"
    return method == "get" or role == "admin"


CREATOR_ROUTES = [r for r in all_routes() if r.is_creator]
CASES = [(role, route, method) for role in ROLES for route in CREATOR_ROUTES for method in ("get", "post")]

# Rows that requests write whatever happens (who is signed in), not what a page does.
NOT_DATA = {"sessions.session", "django_tasks_database.dbtaskresult"}


def everything() -> dict:
    """Every row of every table, to prove a refusal changed nothing."""
    rows = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in NOT_DATA or model._meta.proxy:
            continue
        rows[label] = sorted(map(repr, model.objects.values_list()))
    return rows


def member_of(tenant, role: str) -> Membership:
    person = make_creator(email=f"{role}@team.example")
    return Membership.objects.create(
        account=tenant.creator, person=person, role=role, refund_limit=100_000, refund_limit_currency="usd"
    )


def sign_in_as(client, membership: Membership) -> None:
    client.force_login(membership.person)
    session = client.session
    session[ACTING_FOR_SESSION_KEY] = membership.account_id
    session.save()


def test_the_walk_knows_every_named_route():
    names = {route.name for route in CREATOR_ROUTES}
    assert names >= OWNER_ONLY | (SUPPORT_CAN - {"desk:note_add"}) | EVERYONE  # notes may come later
    assert {"desk:subscription_cancel", "desk:erasure_request", "desk:email_retry"} <= OTHER_ACTIONS
    assert len(CREATOR_ROUTES) > 50


@pytest.mark.parametrize(
    ("role", "route", "method"), CASES, ids=[f"{r}-{m}-{route.name or route.route}" for r, route, m in CASES]
)
def test_each_role_is_let_through_or_refused_with_nothing_changed(client, mine, role, route, method):
    membership = member_of(mine, role)
    # The member's own token, for the token pages (made before the snapshot).
    mine.api_token.member = membership.person
    mine.api_token.save()
    sign_in_as(client, membership)
    url = route.url(mine.url_values())
    before = everything()

    response = getattr(client, method)(url, {"confirmed": "yes"} if method == "post" else None)

    if allowed(role, route.name, method):
        assert response.status_code != 403, (url, response.content[:300])
        assert response.status_code != 302 or "/accounts/login/" not in response["Location"]
    else:
        assert response.status_code == 403, (url, response.status_code)
        assert "Not allowed" in response.content.decode()
        assert f"Your role ({role})" in response.content.decode()
        assert everything() == before


def test_the_owner_of_the_account_is_let_through_everywhere(client, mine):
    client.force_login(mine.creator)
    for route in CREATOR_ROUTES:
        response = client.get(route.url(mine.url_values()))
        assert response.status_code != 403, route.route


# --- API ------------------------------------------------------------------------------------

API_SUPPORT_CAN = {
    ("PATCH", "/api/v1/customers/{id}"),
    ("POST", "/api/v1/customers/{id}/welcome-email"),
    ("POST", "/api/v1/customers/{id}/password-reset"),
    ("POST", "/api/v1/customers/{id}/notes"),
    ("POST", "/api/v1/courses/{id}/enrolments"),
    ("POST", "/api/v1/enrolments/{id}/revoke"),
    ("POST", "/api/v1/enrolments/{id}/grant"),
    ("PATCH", "/api/v1/enrolments/{id}"),
    ("POST", "/api/v1/payments/{id}/refunds"),
}


def api_allowed(role: str, scope: str, method: str, path: str) -> bool:
    if method == "GET":
        return True
    if scope == "read":
        return False
    any_id = re.sub(r"\{\w+\}", "{id}", path)
    return role in ("owner", "admin") or (role == "support" and (method, any_id) in API_SUPPORT_CAN)


API_CASES = [
    (role, scope, method, path, operation)
    for role in ["owner", *ROLES]
    for scope in ("read", "write")
    if not (role == "viewer" and scope == "write")
    for method, path, operation in OPERATIONS
]


@pytest.mark.parametrize(
    ("role", "scope", "method", "path", "operation"),
    API_CASES,
    ids=[f"{r}-{s}-{i}" for (r, s, *_), i in zip(API_CASES, ids(OPERATIONS) * 7, strict=True)],
)
def test_each_role_and_scope_on_every_api_route(client, mine, role, scope, method, path, operation):
    if role == "owner":
        _, key = ApiToken.issue(creator=mine.creator, scope=scope)
    else:
        membership = member_of(mine, role)
        _, key = ApiToken.issue(creator=mine.creator, member=membership.person, scope=scope)
    before = everything()

    response = call(client, method, path_with(mine, path), example_body(operation, mine), key)

    if api_allowed(role, scope, method, path):
        assert response.status_code not in (401, 403), response.content[:300]
    else:
        assert response.status_code == 403, response.content[:300]
        expected = "insufficient_scope" if scope == "read" else "forbidden_for_role"
        assert response.json()["error"]["code"] == expected
        # Tokens record their last use; nothing else may change.
        after = everything()
        after.pop("accounts.apitoken"), before.pop("accounts.apitoken")
        assert after == before
