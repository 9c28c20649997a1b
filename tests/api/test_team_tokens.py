"""API tokens of team members: the member's role and the token's scope, checked on every route;
`GET /api/v1/me` says who the token speaks for; a removed member's token dies at once."""

from __future__ import annotations

import json

import pytest

from coursedesk.accounts.models import ApiToken, Membership
from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.customers.models import Enrolment
from coursedesk.usecases.team import team_member_remove, team_member_role_set
from tests.factories import make_creator


@pytest.fixture
def support(creator):
    person = make_creator(email="sam@helpers.example")
    return Membership.objects.create(account=creator, person=person, role="support", refund_limit=1000)


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


def test_me_names_the_member_their_role_and_the_tokens_scopes(client, creator, support):
    _, write_key = ApiToken.issue(creator=creator, member=support.person, scope="write")
    _, read_key = ApiToken.issue(creator=creator, member=support.person, scope="read")

    written = client.get("/api/v1/me", headers=bearer(write_key)).json()
    read = client.get("/api/v1/me", headers=bearer(read_key)).json()

    assert written == {
        "creator_id": str(creator.pk),
        "member_email": "sam@helpers.example",
        "role": "support",
        "scopes": ["read", "write"],
    }
    assert read["scopes"] == ["read"]


def test_a_viewers_token_only_reads_whatever_scope_it_was_given(client, creator):
    viewer = Membership.objects.create(
        account=creator, person=make_creator(email="v@x.example"), role="viewer"
    )
    _, key = ApiToken.issue(creator=creator, member=viewer.person, scope="write")

    assert client.get("/api/v1/me", headers=bearer(key)).json()["scopes"] == ["read"]


def test_a_read_token_reads_but_any_write_is_403_insufficient_scope(client, creator, enrolment):
    _, key = ApiToken.issue(creator=creator, scope="read")

    listed = client.get("/api/v1/customers", headers=bearer(key))
    revoked = client.post(f"/api/v1/enrolments/{enrolment.pk}/revoke", headers=bearer(key))

    assert listed.status_code == 200
    assert revoked.status_code == 403
    assert revoked.json() == {
        "error": {
            "code": "insufficient_scope",
            "message": "This token is read-only: make a token with the write scope to change anything.",
        }
    }
    enrolment.refresh_from_db()
    assert enrolment.revoked_at is None
    assert not AuditEvent.objects.exists()


def test_support_revokes_access_and_the_timeline_names_them(client, creator, support, enrolment):
    _, key = ApiToken.issue(creator=creator, member=support.person, scope="write")

    response = client.post(f"/api/v1/enrolments/{enrolment.pk}/revoke", headers=bearer(key))

    assert response.status_code == 200
    event = AuditEvent.objects.get(type="enrolment.revoked")
    assert (event.actor_label, event.actor_creator_id, event.source) == (
        "sam@helpers.example",
        support.person.pk,
        "api",
    )


def test_support_cannot_cancel_a_subscription(client, creator, support, subscription):
    _, key = ApiToken.issue(creator=creator, member=support.person, scope="write")

    response = client.post(f"/api/v1/subscriptions/{subscription.pk}/cancel", headers=bearer(key))

    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "forbidden_for_role",
        "message": "Your role (support) does not let you change things here. Ask an owner of this account.",
    }
    subscription.refresh_from_db()
    assert subscription.status == "active"


def test_a_removed_members_token_dies_at_once(client, creator, support, enrolment):
    _, key = ApiToken.issue(creator=creator, member=support.person, scope="write")
    assert client.get("/api/v1/me", headers=bearer(key)).status_code == 200  # remembered now

    team_member_remove(membership=support, actor=Actor.creator(creator))

    response = client.get("/api/v1/me", headers=bearer(key))
    assert response.status_code == 401


def test_a_role_change_applies_to_the_token_at_once(client, creator, support, enrolment):
    _, key = ApiToken.issue(creator=creator, member=support.person, scope="write")
    assert client.get("/api/v1/me", headers=bearer(key)).json()["role"] == "support"

    team_member_role_set(membership=support, role="viewer", actor=Actor.creator(creator))

    assert client.get("/api/v1/me", headers=bearer(key)).json() == {
        "creator_id": str(creator.pk),
        "member_email": "sam@helpers.example",
        "role": "viewer",
        "scopes": ["read"],
    }
    response = client.patch(
        f"/api/v1/enrolments/{enrolment.pk}",
        json.dumps({"expires_at": None}),
        content_type="application/json",
        headers=bearer(key),
    )
    assert response.status_code == 403
    assert Enrolment.objects.get().expires_at is None


def test_the_token_page_makes_a_read_token(client, creator, support):
    client.force_login(support.person)
    session = client.session
    session["coursedesk_acting_for"] = creator.pk
    session.save()

    response = client.post("/accounts/settings/tokens/", {"name": "Reports", "scope": "read"})

    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert (token.creator, token.member, token.scope, token.name) == (
        creator,
        support.person,
        "read",
        "Reports",
    )
    assert AuditEvent.objects.get(type="account.api_token_created").actor_label == "sam@helpers.example"


def test_a_viewer_cannot_make_a_write_token(client, creator):
    viewer = Membership.objects.create(
        account=creator, person=make_creator(email="v@x.example"), role="viewer"
    )
    client.force_login(viewer.person)
    session = client.session
    session["coursedesk_acting_for"] = creator.pk
    session.save()

    response = client.post("/accounts/settings/tokens/", {"name": "Mine", "scope": "write"}, follow=True)

    assert "Your role only reads, so your tokens are read-only." in response.content.decode()
    assert not ApiToken.objects.exists()
