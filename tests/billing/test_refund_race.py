"""Two refunds of the whole payment at the same moment: the row lock lets exactly one through."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from coursedesk.audit.services import Actor
from coursedesk.billing.models import Payment, Refund
from coursedesk.billing.services import payment_refund
from coursedesk.core.errors import DomainError
from tests.billing.conftest import make_payment
from tests.factories import make_course, make_creator, make_customer


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_full_refunds_racing_give_exactly_one_refund():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks; the race is only meaningful on PostgreSQL")
    creator = make_creator()
    payment = make_payment(make_customer(creator), make_course(creator), amount=4900)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def refund_everything():
        try:
            start.wait()
            payment_refund(payment=Payment.objects.get(pk=payment.pk), actor=Actor.creator(creator),
                           source="desk")
            outcomes.append("refunded")
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=refund_everything) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["nothing_to_refund", "refunded"]
    assert list(Refund.objects.values_list("amount", "status")) == [(4900, "succeeded")]
    assert payment.refunded_total().amount == 4900
