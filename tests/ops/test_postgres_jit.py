"""PostgreSQL's JIT is off for CourseDesk's database (ops migration 0002): a setting of the database,
so every new connection has it, through PgBouncer too."""

import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")


@pytest.mark.django_db
def test_the_database_turns_jit_off_for_every_new_connection():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setconfig FROM pg_db_role_setting WHERE setrole = 0 "
            "AND setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        row = cursor.fetchone()
        cursor.execute("SHOW jit")
        now = cursor.fetchone()[0]
    assert row is not None and "jit=off" in row[0]
    assert now == "off"
