"""PostgreSQL keeps 1,000 values of statistics on customers' search text (customers migration
0011), so a common word's search walks the newest customers instead of sorting every match."""

import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")


@pytest.mark.django_db
def test_search_text_keeps_finer_statistics():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, attstattarget FROM pg_attribute WHERE attrelid = 'customers_customer'::regclass "
            "AND attname IN ('search_text', 'email') ORDER BY attname"
        )
        targets = dict(cursor.fetchall())
    assert targets["search_text"] == 1000
    assert targets["email"] in (-1, None)  # the other columns keep the default
