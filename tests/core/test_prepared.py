"""A prepared query returns what its queryset returns, for every value, and refuses what it cannot
replay."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coursedesk.audit.services import Actor
from coursedesk.core.prepared import NotPreparable, PreparedQuery, run_together
from coursedesk.customers.models import Customer, Enrolment
from coursedesk.customers.services import enrolment_grant
from coursedesk.usecases.progress import with_progress
from tests.factories import make_course, make_creator, make_customer

pytestmark = pytest.mark.django_db

IDS = (-101, -103)
MOMENTS = (dt.datetime(1901, 1, 1, tzinfo=dt.UTC), dt.datetime(1902, 1, 1, tzinfo=dt.UTC))


def enrolments(customer_id, now):
    return (
        with_progress(Enrolment.objects.select_related("course"))
        .filter(customer_id=customer_id)
        .with_status(now)
        .order_by("-granted_at", "-pk")
    )


def fields(obj) -> dict:
    return {k: v for k, v in vars(obj).items() if k != "_state"}


def rows(objects):
    """What each instance carries: its fields, annotations and related course."""
    return [
        (
            fields(obj),
            fields(obj.course) if "course" in obj._state.fields_cache else None,
        )
        for obj in objects
    ]


def test_rows_equal_the_querysets_for_each_value():
    creator = make_creator()
    first, second = make_course(creator), make_course(creator)
    customers = [make_customer(creator) for _ in range(3)]
    for n, customer in enumerate(customers):
        for course in (first, second)[: n + 1]:
            enrolment_grant(customer=customer, course=course, actor=Actor.system(), source="desk")
    prepared = PreparedQuery(enrolments, customer_id=IDS, now=MOMENTS)
    moments = [dt.datetime(2020, 1, 1, tzinfo=dt.UTC), dt.datetime(2999, 1, 1, tzinfo=dt.UTC)]
    for customer in customers:
        for now in moments:
            expected = list(enrolments(customer.pk, now))
            got = prepared(customer_id=customer.pk, now=now)
            assert rows(got) == rows(expected)
            assert [e.status_now for e in got] == [e.status_now for e in expected]
            assert all(type(e) is Enrolment for e in got)
    assert len(prepared(customer_id=customers[2].pk, now=moments[0])) == 2
    assert prepared(customer_id=999_999_999, now=moments[0]) == []


def test_the_time_is_a_value_like_any_other():
    creator = make_creator()
    customer = make_customer(creator)
    enrolment_grant(customer=customer, course=make_course(creator), actor=Actor.system(), source="desk")
    Enrolment.objects.update(expires_at=dt.datetime(2030, 6, 1, tzinfo=dt.UTC))
    prepared = PreparedQuery(enrolments, customer_id=IDS, now=MOMENTS)
    before = prepared(customer_id=customer.pk, now=dt.datetime(2030, 5, 31, tzinfo=dt.UTC))
    after = prepared(customer_id=customer.pk, now=dt.datetime(2030, 6, 2, tzinfo=dt.UTC))
    assert [e.status_now for e in before] == ["active"]
    assert [e.status_now for e in after] == ["expired"]


def test_one_query_each_run_and_no_compiling_after_the_first():
    creator = make_creator()
    customer = make_customer(creator)
    prepared = PreparedQuery(lambda customer_id: Customer.objects.filter(pk=customer_id), customer_id=IDS)
    prepared(customer_id=customer.pk)
    with CaptureQueriesContext(connection) as captured:
        assert [c.pk for c in prepared(customer_id=customer.pk)] == [customer.pk]
    assert len(captured.captured_queries) == 1
    assert 'FROM "customers_customer"' in captured.captured_queries[0]["sql"]


def test_text_is_a_value_too():
    creator = make_creator()
    customer = make_customer(creator, email="zoe@example.com")
    prepared = PreparedQuery(lambda email: Customer.objects.filter(email=email), email=("@one", "@two"))
    assert [c.pk for c in prepared(email="zoe@example.com")] == [customer.pk]
    assert prepared(email="nobody@example.com") == []


def test_each_thread_compiles_its_own(transactional_db):
    creator = make_creator()
    customer = make_customer(creator)
    prepared = PreparedQuery(lambda customer_id: Customer.objects.filter(pk=customer_id), customer_id=IDS)
    assert [c.pk for c in prepared(customer_id=customer.pk)] == [customer.pk]
    found = []

    def other():
        try:
            found.extend(c.pk for c in prepared(customer_id=customer.pk))
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert found == [customer.pk]


def test_instances_are_as_djangos_own_deferred_missing_related_and_saved_in_place():
    creator = make_creator()
    customer = make_customer(creator, email="ann@example.com")
    enrolment_grant(customer=customer, course=make_course(creator), actor=Actor.system(), source="desk")
    prepared = PreparedQuery(
        lambda customer_id: (
            Enrolment.objects.select_related("course", "payment_page")
            .only("source", "customer_id", "course__title", "payment_page__name")
            .filter(customer_id=customer_id)
        ),
        customer_id=IDS,
    )
    (got,) = prepared(customer_id=customer.pk)
    (expected,) = (
        Enrolment.objects.select_related("course", "payment_page")
        .only("source", "customer_id", "course__title", "payment_page__name")
        .filter(customer_id=customer.pk)
    )
    assert rows([got]) == rows([expected])
    # A column left out is deferred, as Django defers it, and read when asked for.
    assert got.get_deferred_fields() == expected.get_deferred_fields() != set()
    assert got.granted_at == expected.granted_at
    # A related row that is not there is None, known without a query.
    with CaptureQueriesContext(connection) as captured:
        assert got.payment_page is None
    assert captured.captured_queries == []
    # The instance is one read from this database: saving it updates the row, never adds one.
    assert got._state.adding is False and got._state.db == "default"
    got.expiry_reminded_for = MOMENTS[0]
    got.save(update_fields=["expiry_reminded_for"])
    assert Enrolment.objects.get().expiry_reminded_for == MOMENTS[0]


def test_refuses_a_related_managers_queryset():
    creator = make_creator()
    customer = make_customer(creator)
    # A related manager's queryset carries the object it was reached from; its rows are not replayed.
    prepared = PreparedQuery(lambda course_id: customer.enrolments.filter(course_id=course_id), course_id=IDS)
    with pytest.raises(NotPreparable):
        prepared(course_id=1)


def test_refuses_sql_that_changes_with_the_value():
    prepared = PreparedQuery(
        lambda customer_id: Customer.objects.filter(
            pk__in=range(customer_id, customer_id + (customer_id % 2) + 2)
        ),
        customer_id=IDS,
    )
    with pytest.raises(NotPreparable):
        prepared(customer_id=1)


def test_refuses_a_value_the_query_does_not_use():
    prepared = PreparedQuery(lambda customer_id: Customer.objects.filter(pk=1), customer_id=IDS)
    with pytest.raises(NotPreparable):
        prepared(customer_id=1)


def test_refuses_values_it_cannot_replay():
    with pytest.raises(NotPreparable):
        PreparedQuery(lambda email: Customer.objects.filter(email=email), email=(b"a", b"b"))
    with pytest.raises(NotPreparable):
        PreparedQuery(lambda customer_id: Customer.objects.filter(pk=customer_id), customer_id=(-1, -1))
    prepared = PreparedQuery(lambda customer_id: Customer.objects.filter(pk=customer_id), customer_id=IDS)
    with pytest.raises(TypeError):
        prepared(pk=1)


def _prepared_on_the_server(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f'%FROM "{table}"%']
        )
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements of PostgreSQL")
def test_on_postgresql_the_server_plans_it_once_per_connection():
    from coursedesk.mail.models import OutboundEmail

    prepared = PreparedQuery(
        lambda customer_id: OutboundEmail.objects.filter(customer_id=customer_id), customer_id=IDS
    )
    assert _prepared_on_the_server("mail_outboundemail") == 0
    prepared(customer_id=1)
    prepared(customer_id=2)
    assert _prepared_on_the_server("mail_outboundemail") == 1
    # the connection's other queries are bound on the client as before
    list(OutboundEmail.objects.filter(to="x@example.com"))
    assert _prepared_on_the_server("mail_outboundemail") == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements of PostgreSQL")
def test_prepared_statements_can_be_turned_off_for_an_old_pgbouncer(settings):
    from coursedesk.mail.models import EmailSuppression

    settings.DATABASE_PREPARED_STATEMENTS = False
    prepared = PreparedQuery(
        lambda creator_id: EmailSuppression.objects.filter(creator_id=creator_id), creator_id=IDS
    )
    assert prepared(creator_id=1) == []
    assert _prepared_on_the_server("mail_emailsuppression") == 0


def _customers_and_enrolments():
    customers = PreparedQuery(lambda customer_id: Customer.objects.filter(pk=customer_id), customer_id=IDS)
    return customers, PreparedQuery(enrolments, customer_id=IDS, now=MOMENTS)


def test_run_together_gives_what_each_query_gives_alone():
    creator = make_creator()
    customer, other = make_customer(creator), make_customer(creator)
    for course in (make_course(creator), make_course(creator)):
        enrolment_grant(customer=customer, course=course, actor=Actor.system(), source="desk")
    by_id, listed = _customers_and_enrolments()
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    for who in (customer, other):
        alone = [by_id(customer_id=who.pk), listed(customer_id=who.pk, now=now)]
        with CaptureQueriesContext(connection) as captured:
            together = run_together(
                (by_id, {"customer_id": who.pk}), (listed, {"customer_id": who.pk, "now": now})
            )
        assert [rows(found) for found in together[1:]] == [rows(found) for found in alone[1:]]
        assert [fields(c) for c in together[0]] == [fields(c) for c in alone[0]]
        assert [e.status_now for e in together[1]] == [e.status_now for e in alone[1]]
        assert len(captured.captured_queries) == 2  # each still in the query log
    assert len(together[1]) == 0 and len(alone[1]) == 0
    assert run_together() == []


def test_run_together_hands_over_the_rows_as_answered():
    creator = make_creator()
    customer = make_customer(creator)
    enrolment_grant(customer=customer, course=make_course(creator), actor=Actor.system(), source="desk")
    by_id, listed = _customers_and_enrolments()
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    calls = [(by_id, {"customer_id": customer.pk}), (listed, {"customer_id": customer.pk, "now": now})]
    answered = []
    with CaptureQueriesContext(connection) as captured:
        found, enrolled = run_together(*calls, answered=answered)
    assert len(captured.captured_queries) == 2  # no query of its own
    assert [fields(c) for c in found] == [fields(c) for c in run_together(*calls)[0]]
    assert [len(rows) for rows in answered] == [1, 1]
    assert all(type(row) is tuple for rows in answered for row in rows)
    assert answered[0][0][0] == customer.pk and customer.email in answered[0][0]
    assert enrolled[0].status_now in answered[1][0]


def _pipelines(monkeypatch) -> list:
    import psycopg

    opened = []
    original = psycopg.Connection.pipeline

    def pipeline(self):
        opened.append(self)
        return original(self)

    monkeypatch.setattr(psycopg.Connection, "pipeline", pipeline)
    return opened


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pipelines of PostgreSQL")
def test_on_postgresql_the_queries_travel_in_one_pipeline(monkeypatch):
    creator = make_creator()
    customer = make_customer(creator)
    enrolment_grant(customer=customer, course=make_course(creator), actor=Actor.system(), source="desk")
    by_id, listed = _customers_and_enrolments()
    opened = _pipelines(monkeypatch)
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    found, enrolled = run_together(
        (by_id, {"customer_id": customer.pk}), (listed, {"customer_id": customer.pk, "now": now})
    )
    assert len(opened) == 1
    assert [c.pk for c in found] == [customer.pk] and len(enrolled) == 1
    # a query alone has nothing to travel with
    by_id(customer_id=customer.pk)
    run_together((by_id, {"customer_id": customer.pk}))
    assert len(opened) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pipelines of PostgreSQL")
def test_without_prepared_statements_nothing_is_pipelined(settings, monkeypatch):
    settings.DATABASE_PREPARED_STATEMENTS = False
    by_id, listed = _customers_and_enrolments()
    opened = _pipelines(monkeypatch)
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert run_together((by_id, {"customer_id": 1}), (listed, {"customer_id": 1, "now": now})) == [[], []]
    assert opened == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite divides by zero into NULL")
def test_a_failing_query_raises_a_database_error_and_the_connection_goes_on(transactional_db):
    from django.db import DatabaseError

    broken = PreparedQuery(
        lambda customer_id: Customer.objects.filter(pk=customer_id).extra(where=["1 / (id - id) = 1"]),
        customer_id=IDS,
    )
    by_id, _ = _customers_and_enrolments()
    customer = make_customer(make_creator())
    with pytest.raises(DatabaseError):
        run_together((by_id, {"customer_id": customer.pk}), (broken, {"customer_id": customer.pk}))
    assert [c.pk for c in by_id(customer_id=customer.pk)] == [customer.pk]
