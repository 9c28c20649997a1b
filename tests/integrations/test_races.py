"""Races on PostgreSQL: two workers never send the same attempt, and the feed's positions follow
commit order."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from coursedesk.audit.services import Actor
from coursedesk.customers.services import customer_create
from coursedesk.integrations.deliveries import webhook_delivery_attempt
from coursedesk.integrations.endpoints import webhook_endpoint_create
from coursedesk.integrations.events import events_sequence
from coursedesk.integrations.models import PublicEvent, WebhookDelivery
from tests.billing.test_races import at_once
from tests.factories import make_creator

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks; the race is only meaningful on PostgreSQL")


def test_two_workers_with_the_same_due_delivery_send_it_once(receiver):
    creator = make_creator()
    webhook_endpoint_create(
        creator=creator, url=receiver.url, events=["customer.created"], actor=Actor.system(), source="api"
    )
    receiver.answer_with(500)  # the first attempt, sent after the commit, fails
    customer_create(creator=creator, email="zoe@example.com", actor=Actor.system(), source="api")
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)  # due now
    receiver.requests.clear()

    outcomes = at_once(lambda: webhook_delivery_attempt(delivery.pk), times=4)

    assert sorted(outcomes) == ["skipped", "skipped", "skipped", "succeeded"]
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)


def test_an_event_that_commits_late_gets_a_later_position(receiver):
    creator = make_creator()
    early_written, late_may_commit = threading.Event(), threading.Event()

    def slow_transaction():
        try:
            with transaction.atomic():  # writes its event first (lower id), commits last
                customer_create(creator=creator, email="slow@example.com", actor=Actor.system(), source="api")
                early_written.set()
                late_may_commit.wait(10)
        finally:
            connections.close_all()

    slow = threading.Thread(target=slow_transaction)
    slow.start()
    early_written.wait(10)
    customer_create(creator=creator, email="quick@example.com", actor=Actor.system(), source="api")
    events_sequence(creator_id=creator.pk)
    seen = list(PublicEvent.objects.in_feed().values_list("data__email", "position"))
    late_may_commit.set()
    slow.join()
    events_sequence(creator_id=creator.pk)

    assert seen == [("quick@example.com", 1)]
    slow_event, quick_event = PublicEvent.objects.order_by("pk")
    assert (slow_event.data["email"], slow_event.position) == ("slow@example.com", 2)
    assert quick_event.position == 1  # a reader that saw position 1 misses nothing
