"""The SQLite backend (coursedesk/core/sqlite): Django's, with each statement's placeholders
converted once."""

import pytest
from django.db import connection, connections

from coursedesk.core.sqlite import base
from coursedesk.customers.models import Customer

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's backend"),
]


def test_sqlite_runs_on_the_backend():
    assert isinstance(connections["default"], base.DatabaseWrapper)
    with connection.cursor() as cursor:
        assert isinstance(cursor.cursor, base.SQLiteCursorWrapper)


def test_placeholders_and_percent_signs_are_read_as_django_writes_them():
    with connection.cursor() as cursor:
        for _ in range(2):  # converted, then the kept conversion
            cursor.execute("SELECT %s, '100%%', %s || '%%s'", ["a", "b"])
            assert cursor.fetchone() == ("a", "100%", "b%s")


def test_a_statement_is_converted_once_and_kept():
    sql = "SELECT %s + %s /* a statement of this test alone */"
    before = base._qmark.cache_info()
    with connection.cursor() as cursor:
        for n in range(3):
            cursor.execute(sql, [n, 1])
            assert cursor.fetchone() == (n + 1,)
    after = base._qmark.cache_info()
    assert after.misses == before.misses + 1
    assert after.hits >= before.hits + 2


def test_a_very_long_statement_is_converted_without_being_kept():
    padding = " " * base.LONGEST_KEPT
    before = base._qmark.cache_info()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT %s{padding}", [7])
        assert cursor.fetchone() == (7,)
    assert base._qmark.cache_info().misses == before.misses


def test_the_orm_reads_and_writes_through_it(creator):
    customer = Customer.objects.create(creator=creator, email="percent%@example.com", first_name="100%")
    found = Customer.objects.filter(creator=creator, first_name__contains="0%").get()
    assert found.pk == customer.pk
    assert found.email == "percent%@example.com"
