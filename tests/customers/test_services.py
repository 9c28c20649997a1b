import datetime as dt

import pytest

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.core import clock
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import Customer
from coursedesk.customers.services import (
    customer_create,
    customer_get_or_create,
    enrolment_expiration_set,
    enrolment_grant,
    enrolment_restore,
    enrolment_revoke,
)
from tests.factories import make_course


def events(customer):
    return list(AuditEvent.objects.filter(customer=customer).order_by("pk").values_list("type", flat=True))


def test_customer_create_writes_the_customer_and_its_audit_event(creator):
    customer = customer_create(
        creator=creator,
        email="New@Example.com",
        first_name="Ana",
        last_name="López",
        password="a long passphrase",
        actor=Actor.buyer("New@Example.com"),
        source="checkout",
    )
    assert customer.check_password("a long passphrase")
    event = AuditEvent.objects.get(customer=customer)
    assert event.type == "customer.created"
    assert event.actor_label == "New@Example.com"
    assert "a long passphrase" not in str(event.data)


def test_customer_create_refuses_a_taken_email_and_changes_nothing(creator, customer):
    before = AuditEvent.objects.count()
    with pytest.raises(DomainError) as refused:
        customer_create(creator=creator, email="ZOE@example.com", actor=Actor.creator(creator), source="desk")
    assert refused.value.code == "email_taken"
    assert Customer.objects.for_creator(creator).count() == 1
    assert AuditEvent.objects.count() == before


def test_customer_create_refuses_an_invalid_email(creator):
    with pytest.raises(DomainError) as refused:
        customer_create(creator=creator, email="not-an-email", actor=Actor.creator(creator), source="desk")
    assert refused.value.status == 422
    assert not Customer.objects.exists()


def test_get_or_create_finds_by_email_case_insensitively(creator, customer):
    found, created = customer_get_or_create(
        creator=creator, email=" ZOE@EXAMPLE.COM ", actor=Actor.system(), source="checkout"
    )
    assert (found, created) == (customer, False)


def test_grant_revoke_and_restore_keep_the_expiration(creator, customer, course, frozen_now):
    expires = frozen_now + dt.timedelta(days=30)
    actor = Actor.creator(creator)
    enrolment = enrolment_grant(
        customer=customer, course=course, actor=actor, source="desk", expires_at=expires
    )
    assert enrolment.status == "active"

    clock.advance(dt.timedelta(days=1))
    enrolment_revoke(enrolment=enrolment, actor=actor, source="desk")
    enrolment.refresh_from_db()
    assert enrolment.status == "revoked"

    enrolment_restore(enrolment=enrolment, actor=actor, source="desk")
    enrolment.refresh_from_db()
    assert enrolment.status == "active"
    assert enrolment.expires_at == expires
    assert events(customer) == ["enrolment.granted", "enrolment.revoked", "enrolment.restored"]
    revoked = AuditEvent.objects.get(customer=customer, type="enrolment.revoked")
    assert revoked.data["status"] == {"old": "active", "new": "revoked"}
    assert revoked.actor_creator == creator


def test_revoking_twice_is_refused_and_writes_nothing(creator, customer, course):
    actor = Actor.creator(creator)
    enrolment = enrolment_grant(customer=customer, course=course, actor=actor, source="desk")
    enrolment_revoke(enrolment=enrolment, actor=actor, source="desk")
    with pytest.raises(DomainError) as refused:
        enrolment_revoke(enrolment=enrolment, actor=actor, source="desk")
    assert refused.value.code == "already_revoked"
    assert events(customer) == ["enrolment.granted", "enrolment.revoked"]


def test_expiration_change_keeps_the_old_date_in_the_timeline(creator, customer, course, frozen_now):
    actor = Actor.creator(creator)
    enrolment = enrolment_grant(customer=customer, course=course, actor=actor, source="desk")
    new = frozen_now + dt.timedelta(days=10)
    enrolment_expiration_set(enrolment=enrolment, expires_at=new, actor=actor, source="desk")
    enrolment_expiration_set(enrolment=enrolment, expires_at=None, actor=actor, source="desk")
    changes = [
        e.data["expires_at"]
        for e in AuditEvent.objects.filter(type="enrolment.expiration_changed").order_by("pk")
    ]
    assert changes == [{"old": None, "new": new.isoformat()}, {"old": new.isoformat(), "new": None}]


def test_a_course_of_another_creator_cannot_be_granted(customer, other_creator):
    foreign = make_course(other_creator)
    with pytest.raises(DomainError) as refused:
        enrolment_grant(customer=customer, course=foreign, actor=Actor.system(), source="desk")
    assert refused.value.status == 404
    assert not customer.enrolments.exists()
