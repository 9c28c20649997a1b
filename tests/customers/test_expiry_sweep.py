"""enrolment.expired: the scheduler records it once when an enrolment's expiration passes."""

from __future__ import annotations

import datetime as dt
import io

from django.core.management import call_command

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.core import clock
from coursedesk.customers.services import (
    enrolment_expiration_set,
    enrolment_revoke,
    enrolments_expired_record,
)
from coursedesk.integrations.models import PublicEvent
from tests.factories import make_course, make_customer, make_enrolment


def expired_events():
    return list(AuditEvent.objects.filter(type="enrolment.expired").order_by("pk"))


def test_an_expiration_that_passes_is_recorded_once(customer, course, frozen_now):
    enrolment = make_enrolment(customer, course, expires_at=frozen_now + dt.timedelta(days=1))

    assert enrolments_expired_record() == 0
    clock.advance(dt.timedelta(days=1))
    assert enrolments_expired_record() == 1
    assert enrolments_expired_record() == 0

    [event] = expired_events()
    assert (event.customer, event.actor_kind, event.source, event.subject_id) == (
        customer,
        "system",
        "scheduler",
        str(enrolment.pk),
    )
    assert event.data == {
        "course": "Watercolor Foundations",
        "course_id": course.pk,
        "expires_at": "2026-11-22T10:00:00+00:00",
        "status": {"old": "active", "new": "expired"},
    }
    public = PublicEvent.objects.get(audit_event=event)
    assert public.type == "enrolment.expired"
    assert (public.data["id"], public.data["status"]) == (str(enrolment.pk), "expired")


def test_a_new_expiration_is_announced_again_when_it_passes(customer, course, frozen_now):
    enrolment = make_enrolment(customer, course, expires_at=frozen_now - dt.timedelta(hours=1))
    enrolments_expired_record()
    enrolment_expiration_set(
        enrolment=enrolment, expires_at=frozen_now + dt.timedelta(days=2), actor=Actor.system(), source="desk"
    )
    assert enrolments_expired_record() == 0

    clock.advance(dt.timedelta(days=2))

    assert enrolments_expired_record() == 1
    assert len(expired_events()) == 2


def test_revoked_and_lifetime_enrolments_are_not_announced(creator, course, frozen_now):
    revoked = make_enrolment(make_customer(creator), course, expires_at=frozen_now + dt.timedelta(hours=1))
    enrolment_revoke(enrolment=revoked, actor=Actor.system(), source="desk")
    make_enrolment(make_customer(creator), course)  # lifetime
    make_enrolment(make_customer(creator), make_course(creator), expires_at=frozen_now + dt.timedelta(days=9))

    clock.advance(dt.timedelta(days=1))

    assert enrolments_expired_record() == 0
    assert expired_events() == []


def test_the_scheduler_records_expirations(customer, course, frozen_now):
    make_enrolment(customer, course, expires_at=frozen_now - dt.timedelta(minutes=1))
    out = io.StringIO()

    call_command("run_scheduler", "--once", stdout=out)

    assert "Expired enrolments recorded: 1." in out.getvalue()
    assert len(expired_events()) == 1
