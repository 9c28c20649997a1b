"""The profile shows an undeliverable address with the reason, and "Try again" (audited) sends to it
again."""

from __future__ import annotations

from coursedesk.audit.models import AuditEvent
from coursedesk.mail.models import EmailSuppression
from tests.factories import make_email


def bounce(creator, customer, frozen_now):
    email = make_email(
        creator, customer, status="bounced", delivery_detail="smtp;550 5.1.1 mailbox not found"
    )
    return EmailSuppression.objects.create(
        creator=creator,
        address=customer.email,
        reason="bounced",
        detail="550 5.1.1 mailbox not found",
        email=email,
    )


def test_the_profile_shows_the_undeliverable_address_and_try_again(
    creator_client, creator, customer, frozen_now
):
    bounce(creator, customer, frozen_now)

    page = creator_client.get(f"/desk/customers/{customer.pk}/").content.decode()

    assert "Undeliverable" in page
    assert (
        "Not sent: an email to zoe@example.com bounced on 2026-11-21 (550 5.1.1 mailbox not found)." in page
    )
    assert f"/desk/customers/{customer.pk}/email-retry/" in page
    assert "Bounced" in page and "smtp;550 5.1.1 mailbox not found" in page


def test_try_again_asks_then_clears_the_suppression(creator_client, creator, customer, frozen_now):
    suppression = bounce(creator, customer, frozen_now)
    url = f"/desk/customers/{customer.pk}/email-retry/"

    asked = creator_client.get(url).content.decode()
    assert "Emails to zoe@example.com are stopped: an email to zoe@example.com bounced on 2026-11-21" in asked
    assert EmailSuppression.objects.active().count() == 1

    response = creator_client.post(url, {"confirmed": "yes"})

    assert response.status_code == 302
    suppression.refresh_from_db()
    assert (suppression.cleared_at, suppression.cleared_by) == (frozen_now, "maya@example.com")
    event = AuditEvent.objects.get(type="email.suppression_cleared")
    assert (event.customer, event.source, event.actor_label) == (customer, "desk", "maya@example.com")
    page = creator_client.get(f"/desk/customers/{customer.pk}/").content.decode()
    assert "Undeliverable" not in page
    assert "Emails to an undeliverable address allowed again" in page  # on the timeline
