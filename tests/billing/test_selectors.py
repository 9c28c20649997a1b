"""The refund figures: one selector, and the refund service refuses and permits exactly by it."""

from __future__ import annotations

import pytest

from coursedesk.audit.services import Actor
from coursedesk.billing.models import Payment, Refund
from coursedesk.billing.refunds import payment_refund
from coursedesk.billing.selectors import payment_refund_amounts, payments_with_refund_amounts
from coursedesk.core.errors import DomainError
from coursedesk.core.money import Money
from coursedesk.usecases.profile import customer_payments
from coursedesk.usecases.students_csv import course_student_rows
from tests.billing.conftest import make_payment


def add_refund(payment, amount, status):
    return Refund.objects.create(payment=payment, amount=amount, currency=payment.currency, status=status)


def refund(payment, creator, amount=None):
    return payment_refund(payment=payment, amount=amount, actor=Actor.creator(creator), source="desk")


@pytest.fixture
def partly_refunded(payment):
    # $49.00 paid; $10.00 pending and $5.00 refunded count, a failed $20.00 does not
    add_refund(payment, 1000, Refund.Status.PENDING)
    add_refund(payment, 500, Refund.Status.SUCCEEDED)
    add_refund(payment, 2000, Refund.Status.FAILED)
    return payment


def test_pending_and_succeeded_refunds_count_and_failed_ones_do_not(partly_refunded):
    amounts = payment_refund_amounts(payment=partly_refunded)

    assert (amounts.paid, amounts.refunded, amounts.refundable) == (
        Money(4900, "usd"),
        Money(1500, "usd"),
        Money(3400, "usd"),
    )


def test_the_service_refuses_one_cent_over_the_refundable_figure(creator, partly_refunded):
    with pytest.raises(DomainError) as refused:
        refund(partly_refunded, creator, amount=3401)

    assert refused.value.code == "refund_exceeds_refundable"
    assert refused.value.message == "Only $34.00 is left to refund on this payment."
    assert Refund.objects.count() == 3


def test_the_service_permits_the_refundable_figure_and_then_nothing(creator, partly_refunded):
    done = refund(partly_refunded, creator, amount=3400)

    assert done.status == "succeeded"
    amounts = payment_refund_amounts(payment=partly_refunded)
    assert (amounts.refunded.amount, amounts.refundable.amount) == (4900, 0)
    with pytest.raises(DomainError) as refused:
        refund(partly_refunded, creator, amount=1)
    assert refused.value.code == "nothing_to_refund"


def test_a_refund_without_amount_takes_exactly_the_refundable_figure(creator, partly_refunded):
    left = payment_refund_amounts(payment=partly_refunded).refundable

    assert refund(partly_refunded, creator).money == left


def test_a_failed_payment_has_nothing_refundable_and_the_service_agrees(creator, customer, course, db):
    failed = make_payment(customer, course, status="failed")

    assert payment_refund_amounts(payment=failed).refundable.amount == 0
    with pytest.raises(DomainError) as refused:
        refund(failed, creator)
    assert refused.value.code == "payment_not_refundable"


def test_the_profile_the_csv_and_the_annotation_read_the_same_figures(
    customer, course, partly_refunded, enrolment
):
    annotated = payments_with_refund_amounts(Payment.objects.filter(pk=partly_refunded.pk)).get()
    on_profile = customer_payments(customer=customer).get()
    in_csv = course_student_rows(course=course).get()

    assert (annotated.refunded_amount, annotated.refundable_amount) == (1500, 3400)
    assert (on_profile.refunded_amount, on_profile.refundable_amount) == (1500, 3400)
    assert in_csv.total_refunded == 1500
