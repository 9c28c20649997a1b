"""A support member refunds up to the limit the owner set for them; the refund service refuses more,
so the desk and the API give the same answer. Owners and admins have no limit."""

from __future__ import annotations

import json

import pytest

from coursedesk.accounts.access import ACTING_FOR_SESSION_KEY
from coursedesk.accounts.models import ApiToken, Membership
from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing.models import Refund
from coursedesk.billing.refunds import payment_refund
from coursedesk.core.errors import DomainError
from coursedesk.mail.models import OutboundEmail
from tests.factories import make_creator


def member(creator, role, limit=2000, currency="usd"):
    person = make_creator(email=f"{role}@helpers.example")
    return Membership.objects.create(
        account=creator, person=person, role=role, refund_limit=limit, refund_limit_currency=currency
    )


def as_member(membership):
    return Actor.member(person=membership.person, role=membership.role, membership_id=membership.pk)


def assert_nothing_refunded(payment):
    assert not Refund.objects.filter(payment=payment).exists()
    assert not AuditEvent.objects.filter(type__startswith="payment.").exists()
    assert not OutboundEmail.objects.exists()


def test_support_refunds_within_their_limit_and_the_timeline_names_them(creator, payment):
    support = member(creator, "support", limit=2000)

    refund = payment_refund(payment=payment, amount=2000, actor=as_member(support), source="desk")

    assert (refund.amount, refund.status) == (2000, "succeeded")
    event = AuditEvent.objects.get(type="payment.refunded")
    assert (event.actor_label, event.actor_creator_id) == ("support@helpers.example", support.person.pk)
    notice = OutboundEmail.objects.get(kind="refund_notice")
    assert notice.queued_by == "support@helpers.example"


def test_support_above_their_limit_is_refused_with_a_sentence_and_nothing_changes(creator, payment):
    support = member(creator, "support", limit=2000)

    with pytest.raises(DomainError) as refused:
        payment_refund(payment=payment, amount=2001, actor=as_member(support), source="api")

    assert refused.value.code == "forbidden_for_role"
    assert refused.value.status == 403
    assert (
        refused.value.message
        == "Your refund limit is $20.00 per refund. Ask an owner or an admin to refund $20.01."
    )
    assert_nothing_refunded(payment)


def test_a_refund_of_everything_left_counts_against_the_limit(creator, payment):
    support = member(creator, "support", limit=2000)

    with pytest.raises(DomainError, match=r"refund \$49\.00"):
        payment_refund(payment=payment, actor=as_member(support), source="desk")
    assert_nothing_refunded(payment)


def test_a_limit_in_another_currency_refuses(creator, payment):
    support = member(creator, "support", limit=100_000, currency="eur")

    with pytest.raises(DomainError, match=r"Your refund limit is €1,000\.00 per refund"):
        payment_refund(payment=payment, amount=100, actor=as_member(support), source="desk")
    assert_nothing_refunded(payment)


@pytest.mark.parametrize("role", ["viewer"])
def test_a_viewer_never_refunds(creator, payment, role):
    viewer = member(creator, role)

    with pytest.raises(DomainError, match=r"Your role \(viewer\) does not let you refund payments"):
        payment_refund(payment=payment, amount=100, actor=as_member(viewer), source="desk")
    assert_nothing_refunded(payment)


def test_an_admin_and_the_owner_have_no_limit(creator, payment):
    admin = member(creator, "admin", limit=0)

    payment_refund(payment=payment, amount=3000, actor=as_member(admin), source="desk")
    payment_refund(payment=payment, amount=1900, actor=Actor.creator(creator), source="desk")

    assert sorted(Refund.objects.values_list("amount", flat=True)) == [1900, 3000]


def test_a_removed_members_refund_is_refused(creator, payment):
    support = member(creator, "support", limit=2000)
    actor = as_member(support)
    support.delete()

    with pytest.raises(DomainError, match="no longer a member"):
        payment_refund(payment=payment, amount=100, actor=actor, source="desk")
    assert_nothing_refunded(payment)


def test_the_desk_shows_the_limit_next_to_the_amount(client, creator, payment):
    support = member(creator, "support", limit=2000)
    client.force_login(support.person)
    session = client.session
    session[ACTING_FOR_SESSION_KEY] = creator.pk
    session.save()

    response = client.post(f"/desk/payments/{payment.pk}/refund/", {"amount": "30", "confirmed": "yes"})

    assert response.status_code == 200
    assert "Your refund limit is $20.00 per refund. Ask an owner or an admin to refund $30.00." in (
        response.content.decode()
    )
    assert_nothing_refunded(payment)


def test_the_api_answers_403_forbidden_for_role_above_the_limit(client, creator, payment):
    support = member(creator, "support", limit=2000)
    _, key = ApiToken.issue(creator=creator, member=support.person, scope="write")
    headers = {"Authorization": f"Bearer {key}"}

    refused = client.post(
        f"/api/v1/payments/{payment.pk}/refunds",
        json.dumps({"amount": 2500}),
        content_type="application/json",
        headers=headers,
    )
    allowed = client.post(
        f"/api/v1/payments/{payment.pk}/refunds",
        json.dumps({"amount": 1500}),
        content_type="application/json",
        headers=headers,
    )

    assert refused.status_code == 403
    assert refused.json() == {
        "error": {
            "code": "forbidden_for_role",
            "message": "Your refund limit is $20.00 per refund. Ask an owner or an admin to refund $25.00.",
        }
    }
    assert allowed.status_code == 201
    assert list(Refund.objects.values_list("amount", flat=True)) == [1500]
