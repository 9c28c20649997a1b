"""customer_update: name, email and password changes, audited with old and new values."""

import pytest

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import Customer
from coursedesk.customers.services import customer_update
from coursedesk.mail.models import OutboundEmail
from tests.factories import make_customer


def audit_rows(customer):
    return list(AuditEvent.objects.filter(customer=customer).values_list("type", "actor_label", "data"))


def test_changing_name_and_email_records_old_and_new(creator, customer):
    customer_update(
        customer=customer,
        first_name="Zoe",
        last_name="Okafor-Bell",
        email="zoe@new.net",
        actor=Actor.creator(creator),
        source="desk",
    )
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name, customer.email) == ("Zoe", "Okafor-Bell", "zoe@new.net")
    assert customer.search_text == "zoe okafor-bell zoe@new.net"
    assert audit_rows(customer) == [
        (
            "customer.updated",
            "maya@example.com",
            {
                "first_name": {"old": "Zoë", "new": "Zoe"},
                "last_name": {"old": "Okafor", "new": "Okafor-Bell"},
                "email": {"old": "zoe@example.com", "new": "zoe@new.net"},
            },
        )
    ]
    assert OutboundEmail.objects.count() == 0


def test_a_new_password_works_and_is_never_logged(creator, customer):
    customer_update(
        customer=customer, password="a brand new secret", actor=Actor.creator(creator), source="api"
    )
    customer.refresh_from_db()
    assert customer.check_password("a brand new secret")
    assert audit_rows(customer) == [("customer.updated", "maya@example.com", {"password": {"changed": True}})]
    assert "a brand new secret" not in str(AuditEvent.objects.values_list("data", flat=True)[0])


def test_nothing_changed_writes_no_event(creator, customer):
    customer_update(
        customer=customer,
        first_name="Zoë",
        email="zoe@example.com",
        actor=Actor.creator(creator),
        source="desk",
    )
    assert audit_rows(customer) == []


def test_an_email_taken_by_another_customer_is_refused_and_nothing_changes(creator, customer):
    make_customer(creator, email="taken@example.com")
    with pytest.raises(DomainError) as refused:
        customer_update(
            customer=customer,
            first_name="Changed",
            email="TAKEN@example.com",
            actor=Actor.creator(creator),
            source="desk",
        )
    assert refused.value.code == "email_taken"
    customer.refresh_from_db()
    assert (customer.first_name, customer.email) == ("Zoë", "zoe@example.com")
    assert audit_rows(customer) == []


def test_the_same_email_at_another_creator_is_fine(creator, other_creator, customer):
    make_customer(other_creator, email="shared@example.com")
    customer_update(
        customer=customer, email="shared@example.com", actor=Actor.creator(creator), source="desk"
    )
    assert Customer.objects.filter(email="shared@example.com").count() == 2


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"email": "not an email"}, "invalid_email"),
        ({"password": "short"}, "weak_password"),
        ({"password": "12345678"}, "weak_password"),
        ({"password": "password"}, "weak_password"),
    ],
)
def test_invalid_values_are_refused_with_422_and_nothing_changes(creator, customer, fields, code):
    before = Customer.objects.values().get(pk=customer.pk)
    with pytest.raises(DomainError) as refused:
        customer_update(
            customer=customer, first_name="Changed", actor=Actor.creator(creator), source="desk", **fields
        )
    assert (refused.value.code, refused.value.status) == (code, 422)
    assert Customer.objects.values().get(pk=customer.pk) == before
    assert audit_rows(customer) == []
