"""The profile page's queries: the session, the creator, the customer (with whether its address is
undeliverable and why, its newest notes, and how many currencies the creator sells in: then every
amount carries its code), then one query per list (enrolments, payments, subscriptions, emails,
timeline; the tags are the customer's own column). On PostgreSQL the customer and the lists travel
together, in one round trip."""

import datetime as dt

import pytest
from django.db import connection

from coursedesk.audit.services import Actor
from coursedesk.customers.services import note_add
from coursedesk.mail.models import EmailSuppression
from tests.desk.conftest import make_payment
from tests.desk.test_profile import PROFILE_QUERIES, profile_url
from tests.factories import make_course, make_customer, make_enrolment, make_page


def test_the_profile_reads_seven_queries(
    creator_client, customer, enrolment, payment, subscription, django_assert_num_queries
):
    with django_assert_num_queries(PROFILE_QUERIES):
        response = creator_client.get(profile_url(customer))

    assert response.status_code == 200
    assert 'id="undeliverable"' not in response.content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite answers in the process: no round trip")
def test_the_customer_and_its_lists_travel_in_one_round_trip_on_postgresql(
    creator_client, customer, enrolment, payment
):
    in_pipeline = []

    def note(execute, sql, params, many, context):
        in_pipeline.append((connection.connection._pipeline is not None, sql[:40]))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note):
        response = creator_client.get(profile_url(customer))

    assert response.status_code == 200
    # the session with its creator comes first, alone; then the customer and its five lists
    assert [sent for sent, _ in in_pipeline] == [False] + [True] * 6, in_pipeline
    assert in_pipeline[0][1].startswith('SELECT "accounts_session"."session_key"'), in_pipeline
    assert in_pipeline[1][1].startswith('SELECT "customers_customer"."id"'), in_pipeline


def test_another_creators_customer_is_404_and_none_of_its_rows_show(creator_client, other_creator):
    # given a customer of another creator, with an enrolment and a payment the lists would read
    foreign = make_customer(other_creator, email="hidden.buyer@example.com")
    course = make_course(other_creator, title="Secret Pottery Course", slug="secret-pottery")
    page = make_page(course, "one_time", name="Pottery once", amount=7700)
    make_enrolment(foreign, course, payment_page=page, source="checkout")
    make_payment(foreign, course, 7700, payment_page=page)

    response = creator_client.get(profile_url(foreign))

    assert response.status_code == 404
    body = response.content.decode()
    assert "hidden.buyer" not in body and "Secret Pottery" not in body and "77.00" not in body


def test_the_notes_are_read_with_the_customer_newest_first_with_author_and_time(
    creator_client, creator, customer, frozen_now, django_assert_num_queries
):
    # given two notes, the second written a day later
    first = note_add(
        customer=customer, body="Prefers email\nover calls.", actor=Actor.creator(creator), source="desk"
    )
    frozen_now_next_day = frozen_now + dt.timedelta(days=1, hours=3, minutes=7)
    from coursedesk.core import clock

    clock.set_now(frozen_now_next_day)
    second = note_add(
        customer=customer,
        body="Asked for an invoice <b>copy</b>.",
        actor=Actor.creator(creator),
        source="desk",
    )

    with django_assert_num_queries(PROFILE_QUERIES):
        response = creator_client.get(profile_url(customer))

    page = response.content.decode()
    assert page.index(f'id="note-{second.pk}"') < page.index(f'id="note-{first.pk}"')
    assert "Prefers email<br>over calls." in page
    assert "Asked for an invoice &lt;b&gt;copy&lt;/b&gt;." in page
    assert "maya@example.com · 22 Nov 2026, 13:07 UTC" in page
    assert "maya@example.com · 21 Nov 2026, 10:00 UTC" in page


def test_an_undeliverable_address_costs_no_query_more_and_is_shown(
    creator_client, creator, customer, enrolment, django_assert_num_queries
):
    # given the customer's address bounced, stored in lower case as the tracking webhooks store it
    EmailSuppression.objects.create(
        creator=creator, address=customer.email.lower(), reason="bounced", detail="550 mailbox unknown"
    )

    with django_assert_num_queries(PROFILE_QUERIES):  # the suppression is read with the customer
        response = creator_client.get(profile_url(customer))

    page = response.content.decode()
    assert 'id="undeliverable"' in page
    assert f"Not sent: an email to {customer.email.lower()} bounced on " in page
    assert "(550 mailbox unknown)." in page


def test_an_address_with_lower_case_letters_beyond_ascii_costs_no_query_more(
    creator_client, creator, django_assert_num_queries
):
    customer = make_customer(creator, email="Søren.łukasz@Example.com")
    EmailSuppression.objects.create(creator=creator, address="søren.łukasz@example.com", reason="complained")

    with django_assert_num_queries(PROFILE_QUERIES):
        response = creator_client.get(profile_url(customer))

    assert "Not sent: an email to søren.łukasz@example.com was marked as spam by its owner" in (
        response.content.decode()
    )


def test_an_address_with_capitals_beyond_ascii_is_still_found_undeliverable(creator_client, creator):
    # SQLite's LOWER leaves Ø as it is: the suppression is then looked up by the address Python folds
    customer = make_customer(creator, email="ØRSTED@example.com")
    EmailSuppression.objects.create(creator=creator, address="ørsted@example.com", reason="bounced")

    response = creator_client.get(profile_url(customer))

    assert "Not sent: an email to ørsted@example.com bounced on " in response.content.decode()


def test_a_cleared_suppression_is_not_shown(creator_client, creator, customer, frozen_now):
    EmailSuppression.objects.create(
        creator=creator, address=customer.email.lower(), reason="bounced", cleared_at=frozen_now
    )

    response = creator_client.get(profile_url(customer))

    assert 'id="undeliverable"' not in response.content.decode()
