"""Settings CourseDesk's migrations give its PostgreSQL database:

- JIT is off (ops migration 0002): a setting of the database, so every new connection has it, through
  PgBouncer too;
- customers' search text keeps 1,000 values of statistics (customers migration 0011), so a common
  word's search walks the newest customers instead of sorting every match.
"""

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL settings"),
    pytest.mark.django_db,
]


def _one_row(sql: str) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


def test_the_database_turns_jit_off_for_every_new_connection():
    row = _one_row(
        "SELECT setconfig FROM pg_db_role_setting WHERE setrole = 0 "
        "AND setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    assert row is not None and "jit=off" in row[0]
    assert _one_row("SHOW jit") == ("off",)


def test_search_text_keeps_finer_statistics():
    def target(column: str):
        return _one_row(
            "SELECT attstattarget FROM pg_attribute WHERE attrelid = 'customers_customer'::regclass "
            f"AND attname = '{column}'"
        )[0]

    assert target("search_text") == 1000
    assert target("email") in (-1, None)  # the other columns keep the default
