"""Team members: invitations that expire, roles, removal, and who acts for which account."""

from __future__ import annotations

import datetime as dt

import pytest

from coursedesk.accounts.models import ApiToken, Invitation, Membership
from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.core import clock
from coursedesk.core.errors import DomainError, InvalidValue
from coursedesk.mail.models import OutboundEmail
from coursedesk.usecases.team import (
    team_invitation_accept,
    team_member_invite,
    team_member_refund_limit_set,
    team_member_remove,
    team_member_role_set,
)
from tests.factories import make_creator


@pytest.fixture
def owner_actor(creator):
    return Actor.creator(creator)


def invite(creator, email="sam@helpers.example", role="support", **kwargs):
    return team_member_invite(account=creator, email=email, role=role, actor=Actor.creator(creator), **kwargs)


def test_an_invitation_is_emailed_with_a_link_that_expires_in_seven_days(creator, frozen_now):
    invitation, key = invite(creator, refund_limit=5000, refund_limit_currency="usd")

    assert (invitation.email, invitation.role, invitation.refund_limit) == (
        "sam@helpers.example",
        "support",
        5000,
    )
    assert invitation.expires_at == frozen_now + dt.timedelta(days=7)
    email = OutboundEmail.objects.get(kind="team_invitation")
    assert email.to == "sam@helpers.example"
    assert email.subject == "Join Maya Studio on CourseDesk"
    assert f"/team/join/{key}/" in email.text_body
    assert email.queued_by == "maya@example.com"
    event = AuditEvent.objects.get(type="team.member_invited")
    assert (event.creator_id, event.actor_label, event.data["subject"]) == (
        creator.pk,
        "maya@example.com",
        "sam@helpers.example",
    )


@pytest.mark.parametrize(
    ("email", "role", "error"),
    [
        ("not-an-address", "support", "Enter a valid email address."),
        ("sam@helpers.example\n", "boss", "Choose a role: owner, admin, support or viewer."),
        ("maya@example.com", "admin", "This is the account's own address: its owner is already on the team."),
    ],
)
def test_a_bad_invitation_is_refused_and_sends_nothing(creator, email, role, error):
    with pytest.raises(DomainError) as refused:
        invite(creator, email=email, role=role)

    assert refused.value.message == error
    assert not Invitation.objects.exists()
    assert not OutboundEmail.objects.exists()
    assert not AuditEvent.objects.exists()


def test_accepting_makes_a_membership_with_the_invited_role_and_limit(creator, frozen_now):
    _, key = invite(creator, role="support", refund_limit=2500, refund_limit_currency="eur")
    sam = make_creator(email="sam@helpers.example")

    membership = team_invitation_accept(key=key, person=sam)

    assert (membership.account, membership.person, membership.role) == (creator, sam, "support")
    assert (membership.refund_limit, membership.refund_limit_currency) == (2500, "eur")
    joined = AuditEvent.objects.get(type="team.member_joined")
    assert (joined.creator_id, joined.actor_label) == (creator.pk, "sam@helpers.example")
    with pytest.raises(DomainError, match="already accepted"):
        team_invitation_accept(key=key, person=sam)


def test_an_expired_invitation_is_refused(creator, frozen_now):
    _, key = invite(creator)
    sam = make_creator(email="sam@helpers.example")
    clock.advance(dt.timedelta(days=7, seconds=1))

    with pytest.raises(DomainError) as refused:
        team_invitation_accept(key=key, person=sam)

    assert refused.value.code == "invitation_expired"
    assert not Membership.objects.exists()


def test_an_invitation_is_accepted_only_by_its_address(creator, frozen_now):
    _, key = invite(creator)
    someone_else = make_creator(email="someone@else.example")

    with pytest.raises(DomainError, match=r"This invitation is for sam@helpers\.example"):
        team_invitation_accept(key=key, person=someone_else)
    assert not Membership.objects.exists()


def test_inviting_again_replaces_the_open_invitation(creator, frozen_now):
    _, first_key = invite(creator)
    _, second_key = invite(creator, role="viewer")
    sam = make_creator(email="sam@helpers.example")

    with pytest.raises(DomainError, match="not valid"):
        team_invitation_accept(key=first_key, person=sam)
    assert team_invitation_accept(key=second_key, person=sam).role == "viewer"


@pytest.fixture
def sam(creator):
    person = make_creator(email="sam@helpers.example")
    return Membership.objects.create(account=creator, person=person, role="support", refund_limit=5000)


def test_a_role_change_is_audited_with_old_and_new(creator, sam, owner_actor):
    team_member_role_set(membership=sam, role="admin", actor=owner_actor)

    sam.refresh_from_db()
    assert sam.role == "admin"
    event = AuditEvent.objects.get(type="team.member_role_changed")
    assert event.data == {"subject": "sam@helpers.example", "role": {"old": "support", "new": "admin"}}


def test_a_refund_limit_is_money_of_zero_or_more(creator, sam, owner_actor):
    with pytest.raises(InvalidValue):
        team_member_refund_limit_set(membership=sam, amount=-1, currency="usd", actor=owner_actor)
    with pytest.raises(InvalidValue):
        team_member_refund_limit_set(membership=sam, amount=True, currency="usd", actor=owner_actor)

    team_member_refund_limit_set(membership=sam, amount=12000, currency="usd", actor=owner_actor)

    sam.refresh_from_db()
    assert sam.refund_limit == 12000
    event = AuditEvent.objects.get(type="team.member_refund_limit_changed")
    assert event.data["refund_limit"] == {"old": "$50.00", "new": "$120.00"}


def test_removing_a_member_revokes_their_tokens_for_the_account_at_once(creator, sam, owner_actor):
    _, key = ApiToken.issue(creator=creator, member=sam.person, scope="write")
    _, own_key = ApiToken.issue(creator=sam.person)  # their own account's token is theirs to keep
    assert ApiToken.authenticate(key) == creator  # remembered by this process

    team_member_remove(membership=sam, actor=owner_actor)

    assert not Membership.objects.exists()
    assert ApiToken.authenticate(key) is None
    assert ApiToken.authenticate(own_key) == sam.person
    event = AuditEvent.objects.get(type="team.member_removed")
    assert event.data == {"subject": "sam@helpers.example", "role": "support", "tokens_revoked": 1}


def test_a_member_cannot_remove_or_demote_themself(creator, sam):
    sam.role = "owner"
    sam.save()
    as_sam = Actor.member(person=sam.person, role="owner", membership_id=sam.pk)

    with pytest.raises(DomainError, match="cannot remove yourself"):
        team_member_remove(membership=sam, actor=as_sam)
    with pytest.raises(DomainError, match="cannot change your own role"):
        team_member_role_set(membership=sam, role="viewer", actor=as_sam)
    assert Membership.objects.get().role == "owner"
