"""payment_refund: full, partial, several partials, refusals, gateway failure; access untouched."""

from __future__ import annotations

import pytest

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing.emails import TEST_MODE_LINE
from coursedesk.billing.gateways.base import GatewayError
from coursedesk.billing.gateways.sandbox import SandboxGateway
from coursedesk.billing.models import Refund
from coursedesk.billing.refunds import payment_refund
from coursedesk.billing.selectors import payment_refund_amounts
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import Enrolment
from coursedesk.mail.models import OutboundEmail
from tests.billing.conftest import make_payment


def refund(payment, creator, **kwargs):
    return payment_refund(payment=payment, actor=Actor.creator(creator), source="desk", **kwargs)


def assert_nothing_happened(payment):
    assert Refund.objects.filter(payment=payment).count() == 0
    assert AuditEvent.objects.filter(type__startswith="payment.").count() == 0
    assert OutboundEmail.objects.count() == 0


def test_refund_without_amount_refunds_everything_and_notifies_the_customer(creator, payment, enrolment):
    # given a paid payment of $49.00
    # when the creator refunds it without an amount
    result = refund(payment, creator, reason="Asked within 14 days")

    # then all of it is refunded at the gateway, keyed by the refund row
    result.refresh_from_db()
    assert (result.amount, result.currency, result.status) == (4900, "usd", "succeeded")
    assert result.gateway_refund_id == f"sbx_re_refund_{result.pk}"
    assert result.reason == "Asked within 14 days"
    assert result.source == "desk"
    assert payment_refund_amounts(payment=payment).refundable.amount == 0
    # and access is untouched
    enrolment.refresh_from_db()
    assert enrolment.status == "active"
    # and the timeline says who refunded what, old and new totals
    event = AuditEvent.objects.get(type="payment.refunded")
    assert (event.actor_kind, event.actor_label, event.source) == ("creator", creator.email, "desk")
    assert event.customer_id == payment.customer_id
    assert (event.subject_type, event.subject_id) == ("payment", str(payment.pk))
    assert event.data["amount"] == 4900
    assert event.data["amount_display"] == "$49.00"
    assert event.data["refunded_total"] == {"old": 0, "new": 4900}
    assert event.data["refundable"] == {"old": 4900, "new": 0}
    assert event.data["reason"] == "Asked within 14 days"
    # and a refund notice is queued to the customer
    email = OutboundEmail.objects.get()
    assert (email.kind, email.to) == ("refund_notice", "zoe@example.com")
    assert email.customer_id == payment.customer_id
    assert email.subject == "Your refund for Watercolor Foundations"
    assert "We have refunded $49.00 of your payment of $49.00 for Watercolor Foundations" in email.text_body
    assert "made on November 21, 2026" in email.text_body
    assert TEST_MODE_LINE in email.text_body
    assert AuditEvent.objects.filter(type="email.queued", customer=payment.customer).count() == 1


def test_partial_refunds_follow_each_other_up_to_the_amount_paid(creator, payment):
    first = refund(payment, creator, amount=1000)
    second = refund(payment, creator, amount=1500)
    rest = refund(payment, creator)

    assert [first.amount, second.amount, rest.amount] == [1000, 1500, 2400]
    assert payment_refund_amounts(payment=payment).refunded.amount == 4900
    totals = [
        e.data["refunded_total"] for e in AuditEvent.objects.filter(type="payment.refunded").order_by("pk")
    ]
    assert totals == [{"old": 0, "new": 1000}, {"old": 1000, "new": 2500}, {"old": 2500, "new": 4900}]
    assert OutboundEmail.objects.filter(kind="refund_notice").count() == 3


def test_refund_over_what_is_left_is_refused_and_changes_nothing(creator, payment):
    refund(payment, creator, amount=2000)
    events_before, emails_before = AuditEvent.objects.count(), OutboundEmail.objects.count()

    with pytest.raises(DomainError) as refused:
        refund(payment, creator, amount=3000)

    assert refused.value.code == "refund_exceeds_refundable"
    assert refused.value.status == 409
    assert refused.value.message == "Only $29.00 is left to refund on this payment."
    assert list(Refund.objects.values_list("amount", flat=True)) == [2000]
    assert AuditEvent.objects.count() == events_before
    assert OutboundEmail.objects.count() == emails_before


def test_refund_of_a_fully_refunded_payment_is_refused(creator, payment):
    refund(payment, creator)
    with pytest.raises(DomainError) as refused:
        refund(payment, creator)
    assert refused.value.code == "nothing_to_refund"
    assert refused.value.status == 409
    assert Refund.objects.count() == 1
    assert AuditEvent.objects.filter(type="payment.refunded").count() == 1


@pytest.mark.parametrize("amount", [0, -100])
def test_refund_of_zero_or_less_is_an_invalid_value(creator, payment, amount):
    with pytest.raises(DomainError) as refused:
        refund(payment, creator, amount=amount)
    assert (refused.value.code, refused.value.status) == ("invalid_amount", 422)
    assert_nothing_happened(payment)


def test_failed_payment_is_not_refundable(creator, customer, course, frozen_now):
    failed = make_payment(customer, course, status="failed", failure_message="Your card was declined.")
    with pytest.raises(DomainError) as refused:
        refund(failed, creator)
    assert (refused.value.code, refused.value.status) == ("payment_not_refundable", 409)
    assert_nothing_happened(failed)


def test_a_gateway_refusal_keeps_a_failed_refund_and_queues_no_email(creator, payment, monkeypatch):
    def refuses(self, **kwargs):
        raise GatewayError("Insufficient balance.")

    monkeypatch.setattr(SandboxGateway, "refund", refuses)

    with pytest.raises(DomainError) as refused:
        refund(payment, creator, amount=1000)

    assert (refused.value.code, refused.value.status) == ("gateway_error", 502)
    assert "Insufficient balance." in refused.value.message
    failed = Refund.objects.get()
    assert (failed.status, failed.failure_message) == ("failed", "Insufficient balance.")
    # a failed refund does not count against what is left
    assert payment_refund_amounts(payment=payment).refundable.amount == 4900
    assert list(AuditEvent.objects.values_list("type", flat=True)) == ["payment.refund_failed"]
    assert OutboundEmail.objects.count() == 0


def test_refund_leaves_access_and_subscription_alone(creator, payment, enrolment):
    refund(payment, creator, amount=100)
    enrolment.refresh_from_db()
    assert enrolment.revoked_at is None
    assert not Enrolment.objects.revoked().exists()
