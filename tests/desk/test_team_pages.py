"""Settings → Team and the invitation's page, walked as a new user would; who acts for which account;
a removed member's session stops acting for the account at once."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from coursedesk.accounts.access import ACTING_FOR_SESSION_KEY
from coursedesk.accounts.models import Creator, Invitation, Membership
from coursedesk.audit.models import AuditEvent
from coursedesk.core import clock
from coursedesk.mail.models import OutboundEmail
from tests.factories import TEST_PASSWORD, make_creator


def act_for(client, person, account):
    client.force_login(person)
    session = client.session
    session[ACTING_FOR_SESSION_KEY] = account.pk
    session.save()


def invitation_link(email: OutboundEmail) -> str:
    return re.search(r"http://[^/]+(/team/join/[^/]+/)", email.text_body).group(1)


def test_an_owner_invites_and_the_new_member_signs_up_from_the_link(client, creator, frozen_now):
    client.force_login(creator)
    sent = client.post(
        "/desk/settings/team/",
        {
            "email": "Sam@Helpers.example",
            "role": "support",
            "refund_limit": "25",
            "refund_limit_currency": "usd",
        },
    )
    assert sent.status_code == 302
    link = invitation_link(OutboundEmail.objects.get(kind="team_invitation"))
    client.logout()

    page = client.get(link)
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]  # it names the invited address
    assert "Maya Studio invites <strong>sam@helpers.example</strong>" in page.content.decode()
    joined = client.post(link, {"display_name": "Sam", "password": "a long fresh passphrase 42"})

    assert joined.status_code == 302
    sam = Creator.objects.get(email="sam@helpers.example")
    assert sam.joined_as_member
    membership = Membership.objects.get()
    assert (membership.account, membership.person, membership.role, membership.refund_limit) == (
        creator,
        sam,
        "support",
        2500,
    )
    desk = client.get("/desk/")
    assert desk.status_code == 200
    assert "sam@helpers.example for Maya Studio (support)" in desk.content.decode()


def test_an_existing_person_signs_in_then_accepts(client, creator, frozen_now):
    sam = make_creator(email="sam@helpers.example")
    client.force_login(creator)
    client.post(
        "/desk/settings/team/",
        {"email": "sam@helpers.example", "role": "viewer", "refund_limit_currency": "usd"},
    )
    link = invitation_link(OutboundEmail.objects.get(kind="team_invitation"))
    client.logout()

    page = client.get(link)
    assert f"/accounts/login/?next={link}" in page.content.decode().replace("%2F", "/")
    client.force_login(sam)
    accepted = client.post(link)

    assert accepted.status_code == 302
    assert Membership.objects.get().role == "viewer"
    assert client.post("/desk/customers/1/edit/").status_code == 403  # a viewer changes nothing


def test_an_expired_link_says_so(client, creator, frozen_now):

    client.force_login(creator)
    client.post(
        "/desk/settings/team/",
        {"email": "sam@helpers.example", "role": "viewer", "refund_limit_currency": "usd"},
    )
    link = invitation_link(OutboundEmail.objects.get(kind="team_invitation"))
    client.logout()
    clock.advance(dt.timedelta(days=8))

    response = client.get(link)

    assert response.status_code == 410
    assert (
        "This invitation has expired. Ask the person who invited you for a new one."
        in response.content.decode()
    )
    assert Invitation.objects.get().accepted_at is None


def test_the_timeline_names_the_member_who_acted(client, creator, customer, course, frozen_now):
    sam = make_creator(email="sam@helpers.example")
    Membership.objects.create(account=creator, person=sam, role="support")
    act_for(client, sam, creator)

    client.post(
        f"/desk/customers/{customer.pk}/grant-course/",
        {"course": course.pk, "send_welcome_email": "on", "confirmed": "yes"},
    )

    granted = AuditEvent.objects.get(type="enrolment.granted")
    assert (granted.creator_id, granted.actor_label, granted.actor_creator_id) == (
        creator.pk,
        sam.email,
        sam.pk,
    )
    assert OutboundEmail.objects.get(kind="welcome").queued_by == "sam@helpers.example"
    profile = client.get(f"/desk/customers/{customer.pk}/").content.decode()
    assert "by sam@helpers.example" in profile


def test_a_removed_members_session_stops_acting_for_the_account_at_once(client, creator, customer):
    sam = make_creator(email="sam@helpers.example")
    membership = Membership.objects.create(account=creator, person=sam, role="admin")
    act_for(client, sam, creator)
    assert client.get(f"/desk/customers/{customer.pk}/").status_code == 200

    owner = client.__class__()
    owner.force_login(creator)
    owner.post(f"/desk/settings/team/{membership.pk}/remove/")

    assert not Membership.objects.exists()
    assert client.get(f"/desk/customers/{customer.pk}/").status_code == 404  # their own, empty account
    assert ACTING_FOR_SESSION_KEY not in client.session


def test_a_person_on_two_teams_switches_between_them(client, creator, other_creator, customer):
    sam = make_creator(email="sam@helpers.example")
    Membership.objects.create(account=creator, person=sam, role="viewer")
    Membership.objects.create(account=other_creator, person=sam, role="admin")
    client.post("/accounts/login/", {"username": "sam@helpers.example", "password": TEST_PASSWORD})

    header = client.get("/desk/").content.decode()
    assert "Maya Studio (viewer)" in header and "Rival Academy (admin)" in header

    client.post("/desk/switch-account/", {"account": creator.pk})
    assert client.get(f"/desk/customers/{customer.pk}/").status_code == 200
    client.post("/desk/switch-account/", {"account": other_creator.pk})
    assert client.get(f"/desk/customers/{customer.pk}/").status_code == 404

    refused = client.post("/desk/switch-account/", {"account": 999999}, follow=True)
    assert "You are not on that account&#39;s team." in refused.content.decode()


@pytest.mark.parametrize("role", ["admin", "support", "viewer"])
def test_only_owners_open_the_team_page(client, creator, role):
    sam = make_creator(email="sam@helpers.example")
    Membership.objects.create(account=creator, person=sam, role=role)
    act_for(client, sam, creator)

    response = client.get("/desk/settings/team/")

    assert response.status_code == 403
    assert f"Your role ({role}) does not let you manage the team here." in response.content.decode()


def test_a_co_owner_manages_the_team(client, creator):
    co_owner = make_creator(email="co@owner.example")
    Membership.objects.create(account=creator, person=co_owner, role="owner")
    viewer = Membership.objects.create(
        account=creator, person=make_creator(email="v@x.example"), role="viewer"
    )
    act_for(client, co_owner, creator)

    client.post(
        f"/desk/settings/team/{viewer.pk}/change/",
        {
            f"member-{viewer.pk}-role": "support",
            f"member-{viewer.pk}-refund_limit": "12.50",
            f"member-{viewer.pk}-refund_limit_currency": "eur",
        },
    )

    viewer.refresh_from_db()
    assert (viewer.role, viewer.refund_limit, viewer.refund_limit_currency) == ("support", 1250, "eur")
    assert set(AuditEvent.objects.values_list("type", "actor_label")) == {
        ("team.member_role_changed", "co@owner.example"),
        ("team.member_refund_limit_changed", "co@owner.example"),
    }


def test_a_refused_dialog_says_why_in_the_dialog(client, creator, customer, course):
    viewer = Membership.objects.create(
        account=creator, person=make_creator(email="v@x.example"), role="viewer"
    )
    act_for(client, viewer.person, creator)

    response = client.get(f"/desk/customers/{customer.pk}/grant-course/", headers={"HX-Request": "true"})

    assert response.status_code == 403
    assert response["HX-Retarget"] == "#dialog"
    assert "Your role (viewer) does not let you look after customers here." in response.content.decode()
    assert "<html" not in response.content.decode()


def test_a_support_member_sees_no_payments_link_nor_the_profile_form(client, creator):
    support = Membership.objects.create(
        account=creator, person=make_creator(email="s@x.example"), role="support"
    )
    act_for(client, support.person, creator)

    page = client.get("/accounts/settings/").content.decode()

    assert 'href="/payments/settings/"' not in page
    assert 'name="profile-display_name"' not in page
    assert "Your role (support) does not change these settings." in page
    assert 'name="scope"' in page  # their own tokens they do make
