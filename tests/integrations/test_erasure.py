"""An operator's erasure blanks the person in the public events about them too."""

from __future__ import annotations

from coursedesk.audit.services import Actor
from coursedesk.customers.services import customer_create, enrolment_grant
from coursedesk.integrations.models import PublicEvent
from coursedesk.mail.models import EmailSuppression
from coursedesk.usecases.erasure import customer_erase


def test_erasure_blanks_public_events_and_forgets_the_suppressed_address(creator, course):
    customer = customer_create(
        creator=creator,
        email="erase.me@example.com",
        first_name="Erin",
        last_name="Eraseme",
        actor=Actor.system(),
        source="checkout",
    )
    enrolment_grant(customer=customer, course=course, actor=Actor.system(), source="checkout")
    EmailSuppression.objects.create(creator=creator, address="erase.me@example.com", reason="bounced")
    assert "erase.me@example.com" in str(list(PublicEvent.objects.values_list("data", flat=True)))

    customer_erase(customer=customer, actor=Actor.operator())

    every_event = str(list(PublicEvent.objects.values_list("data", flat=True)))
    assert "erase.me" not in every_event and "Erin" not in every_event and "Eraseme" not in every_event
    assert PublicEvent.objects.count() == 2  # the events stay
    assert EmailSuppression.objects.count() == 0
