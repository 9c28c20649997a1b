"""Cancel, pause, resume and the student's own cancel, with their refusals and audit events."""

from __future__ import annotations

import datetime as dt

import pytest

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing.gateways.base import GatewayError
from coursedesk.billing.gateways.sandbox import SandboxGateway
from coursedesk.billing.models import Refund, Subscription
from coursedesk.billing.subscriptions import (
    subscription_cancel,
    subscription_cancel_by_customer,
    subscription_pause,
    subscription_resume,
)
from coursedesk.core import clock
from coursedesk.core.errors import DomainError
from coursedesk.mail.models import OutboundEmail
from tests.billing.conftest import make_subscription

NOV_21 = dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)
DEC_21 = NOV_21 + dt.timedelta(days=30)


def as_creator(creator):
    return {"actor": Actor.creator(creator), "source": "desk"}


def snapshot(subscription):
    subscription.refresh_from_db()
    return (
        subscription.status,
        subscription.next_payment_at,
        subscription.paused_until,
        subscription.canceled_at,
    )


def test_cancel_stops_payments_without_refund_and_keeps_access(creator, subscription, enrolment):
    result = subscription_cancel(subscription=subscription, **as_creator(creator))

    result.refresh_from_db()
    assert result.status == "canceled"
    assert result.canceled_at == NOV_21
    assert result.next_payment_at is None
    enrolment.refresh_from_db()
    assert enrolment.status == "active"
    assert Refund.objects.count() == 0
    event = AuditEvent.objects.get()
    assert (event.type, event.actor_kind, event.source) == ("subscription.canceled", "creator", "desk")
    assert (event.subject_type, event.subject_id) == ("subscription", str(subscription.pk))
    assert event.data["status"] == {"old": "active", "new": "canceled"}
    assert event.data["next_payment_at"] == {"old": DEC_21.isoformat(), "new": None}


def test_cancel_of_a_canceled_subscription_is_refused(creator, subscription):
    subscription_cancel(subscription=subscription, **as_creator(creator))
    before = snapshot(subscription)

    with pytest.raises(DomainError) as refused:
        subscription_cancel(subscription=subscription, **as_creator(creator))

    assert (refused.value.code, refused.value.status) == ("subscription_already_canceled", 409)
    assert snapshot(subscription) == before
    assert AuditEvent.objects.count() == 1


def test_cancel_of_a_completed_plan_is_refused(creator, customer, plan_page, frozen_now):
    plan = make_subscription(
        customer, plan_page, status="completed", next_payment_at=None, completed_at=frozen_now
    )
    with pytest.raises(DomainError) as refused:
        subscription_cancel(subscription=plan, **as_creator(creator))
    assert refused.value.code == "subscription_completed"
    assert snapshot(plan)[0] == "completed"
    assert AuditEvent.objects.count() == 0


def test_pause_moves_the_next_payment_to_the_resume_date_and_keeps_access(creator, subscription, enrolment):
    resume_on = dt.date(2027, 1, 15)
    result = subscription_pause(subscription=subscription, resume_on=resume_on, **as_creator(creator))

    result.refresh_from_db()
    assert result.status == "paused"
    assert result.paused_until == resume_on
    assert result.next_payment_at == dt.datetime(2027, 1, 15, tzinfo=dt.UTC)
    enrolment.refresh_from_db()
    assert enrolment.status == "active"
    event = AuditEvent.objects.get()
    assert event.type == "subscription.paused"
    assert event.data["status"] == {"old": "active", "new": "paused"}
    assert event.data["paused_until"] == {"old": None, "new": "2027-01-15"}
    assert event.data["next_payment_at"] == {"old": DEC_21.isoformat(), "new": "2027-01-15T00:00:00+00:00"}


@pytest.mark.parametrize("resume_on", [dt.date(2026, 11, 21), dt.date(2026, 11, 1)])
def test_pause_needs_a_future_date(creator, subscription, resume_on):
    before = snapshot(subscription)
    with pytest.raises(DomainError) as refused:
        subscription_pause(subscription=subscription, resume_on=resume_on, **as_creator(creator))
    assert (refused.value.code, refused.value.status) == ("invalid_resume_on", 422)
    assert snapshot(subscription) == before
    assert AuditEvent.objects.count() == 0


def test_pause_of_a_canceled_subscription_is_refused(creator, subscription):
    subscription_cancel(subscription=subscription, **as_creator(creator))
    before = snapshot(subscription)
    with pytest.raises(DomainError) as refused:
        subscription_pause(subscription=subscription, resume_on=dt.date(2027, 1, 1), **as_creator(creator))
    assert refused.value.code == "subscription_canceled"
    assert snapshot(subscription) == before
    assert list(AuditEvent.objects.values_list("type", flat=True)) == ["subscription.canceled"]


def test_pausing_again_moves_the_date_and_resume_returns_to_the_original_due_date(creator, subscription):
    subscription_pause(subscription=subscription, resume_on=dt.date(2027, 1, 15), **as_creator(creator))
    subscription_pause(subscription=subscription, resume_on=dt.date(2027, 2, 1), **as_creator(creator))
    assert snapshot(subscription)[2] == dt.date(2027, 2, 1)

    clock.advance(dt.timedelta(days=5))  # resumed early, before the original due date
    result = subscription_resume(subscription=subscription, **as_creator(creator))

    result.refresh_from_db()
    assert result.status == "active"
    assert result.paused_until is None
    assert result.next_payment_at == DEC_21
    event = AuditEvent.objects.filter(type="subscription.resumed").get()
    assert event.data["status"] == {"old": "paused", "new": "active"}
    assert event.data["next_payment_at"] == {"old": "2027-02-01T00:00:00+00:00", "new": DEC_21.isoformat()}
    assert [e.type for e in AuditEvent.objects.order_by("pk")] == [
        "subscription.paused",
        "subscription.paused",
        "subscription.resumed",
    ]


def test_resume_after_the_original_due_date_charges_now(creator, subscription):
    subscription_pause(subscription=subscription, resume_on=dt.date(2027, 3, 1), **as_creator(creator))
    later = clock.advance(dt.timedelta(days=40))

    result = subscription_resume(subscription=subscription, **as_creator(creator))

    assert result.next_payment_at == later
    assert snapshot(subscription)[:3] == ("active", later, None)


def test_resume_of_an_active_subscription_is_refused(creator, subscription):
    before = snapshot(subscription)
    with pytest.raises(DomainError) as refused:
        subscription_resume(subscription=subscription, **as_creator(creator))
    assert refused.value.code == "subscription_not_paused"
    assert snapshot(subscription) == before
    assert AuditEvent.objects.count() == 0


def test_customer_cancel_also_revokes_access_at_once(customer, subscription, enrolment):
    result = subscription_cancel_by_customer(
        subscription=subscription, actor=Actor.customer(customer), source="student"
    )

    assert result.status == "canceled"
    enrolment.refresh_from_db()
    assert enrolment.status == "revoked"
    events = list(AuditEvent.objects.order_by("pk"))
    assert [(e.type, e.actor_kind, e.source) for e in events] == [
        ("subscription.canceled", "customer", "student"),
        ("enrolment.revoked", "customer", "student"),
    ]
    assert events[1].data["status"] == {"old": "active", "new": "revoked"}
    assert Refund.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_customer_cancel_of_a_canceled_subscription_changes_nothing(
    creator, customer, subscription, enrolment
):
    subscription_cancel(subscription=subscription, **as_creator(creator))
    with pytest.raises(DomainError) as refused:
        subscription_cancel_by_customer(
            subscription=subscription, actor=Actor.customer(customer), source="student"
        )
    assert refused.value.code == "subscription_already_canceled"
    enrolment.refresh_from_db()
    assert enrolment.status == "active"
    assert AuditEvent.objects.count() == 1


class GatewayCalls:
    def __init__(self, monkeypatch, fail=False):
        self.calls = []
        for name in ("subscription_cancel", "subscription_pause", "subscription_resume"):
            monkeypatch.setattr(SandboxGateway, name, self._recorder(name, fail))

    def _recorder(self, name, fail):
        def record(gateway, **kwargs):
            self.calls.append((name, kwargs))
            if fail:
                raise GatewayError("No such subscription.")

        return record


def test_the_gateway_is_told_of_cancel_pause_and_resume(creator, customer, monthly_page, monkeypatch):
    calls = GatewayCalls(monkeypatch)
    subscription = make_subscription(customer, monthly_page, gateway_subscription_id="sbx_sub_1")

    subscription_pause(subscription=subscription, resume_on=dt.date(2027, 1, 2), **as_creator(creator))
    subscription_resume(subscription=subscription, **as_creator(creator))
    subscription_cancel(subscription=subscription, **as_creator(creator))

    assert calls.calls == [
        ("subscription_pause", {"subscription_reference": "sbx_sub_1", "resume_on": dt.date(2027, 1, 2)}),
        ("subscription_resume", {"subscription_reference": "sbx_sub_1"}),
        ("subscription_cancel", {"subscription_reference": "sbx_sub_1"}),
    ]


def test_a_cancel_reported_by_the_gateway_is_not_sent_back_to_it(customer, monthly_page, monkeypatch):
    calls = GatewayCalls(monkeypatch)
    subscription = make_subscription(customer, monthly_page, gateway_subscription_id="sbx_sub_2")

    subscription_cancel(subscription=subscription, actor=Actor.gateway("stripe"), source="stripe")

    assert calls.calls == []
    event = AuditEvent.objects.get()
    assert (event.type, event.actor_kind, event.source) == ("subscription.canceled", "gateway", "stripe")


def test_a_gateway_refusal_leaves_the_subscription_as_it_was(creator, customer, monthly_page, monkeypatch):
    GatewayCalls(monkeypatch, fail=True)
    subscription = make_subscription(customer, monthly_page, gateway_subscription_id="sbx_sub_3")
    before = snapshot(subscription)

    with pytest.raises(DomainError) as refused:
        subscription_cancel(subscription=subscription, **as_creator(creator))

    assert (refused.value.code, refused.value.status) == ("gateway_error", 502)
    assert snapshot(subscription) == before
    assert Subscription.objects.get().status == "active"
    assert AuditEvent.objects.count() == 0
