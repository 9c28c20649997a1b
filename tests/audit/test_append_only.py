import pytest

from coursedesk.audit.models import AuditEvent, AuditEventIsAppendOnly
from coursedesk.audit.services import Actor, audit_record


@pytest.fixture
def event(creator, customer):
    return audit_record(
        creator=creator,
        customer=customer,
        type="customer.updated",
        actor=Actor.creator(creator),
        source="desk",
        data={"first_name": {"old": "Zoe", "new": "Zoë"}},
    )


def test_events_record_actor_and_values(event, creator):
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor_kind == "creator"
    assert stored.actor_creator == creator
    assert stored.data == {"first_name": {"old": "Zoe", "new": "Zoë"}}


def test_an_event_cannot_be_changed(event):
    event.type = "something.else"
    with pytest.raises(AuditEventIsAppendOnly):
        event.save()
    with pytest.raises(AuditEventIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(type="x")
    assert AuditEvent.objects.get(pk=event.pk).type == "customer.updated"


def test_an_event_cannot_be_deleted(event):
    with pytest.raises(AuditEventIsAppendOnly):
        event.delete()
    with pytest.raises(AuditEventIsAppendOnly):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()
