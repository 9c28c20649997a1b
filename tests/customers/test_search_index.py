"""The search is served by its index on each database (a plan check, never a timing)."""

import pytest
from django.db import connection

from coursedesk.customers.models import Customer
from coursedesk.customers.selectors import customer_search
from tests.factories import fast_password_hash, make_creator


def many_customers(creator, other, count=3000):
    rows = []
    for n in range(count):
        owner = creator if n % 5 == 0 else other
        customer = Customer(
            creator=owner,
            first_name="Sam",
            last_name=f"Person{n:05d}",
            email=f"person{n:05d}@example.com",
            password=fast_password_hash(),
        )
        customer.refresh_search_text()
        rows.append(customer)
    Customer.objects.bulk_create(rows, batch_size=1000)


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm exists on PostgreSQL only")
def test_postgresql_substring_search_can_use_the_trigram_index(db):
    # A test table is too small for the planner to prefer an index on its own; with sequential scans
    # off, the LIKE the selector emits on search_text must be answerable from the trigram index.
    creator, other = make_creator(), make_creator()
    many_customers(creator, other)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    plan = Customer.objects.filter(search_text__contains="person01234").explain()
    assert "customer_search_trgm" in plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 table exists on SQLite only")
def test_sqlite_search_uses_the_trigram_table(db):
    creator, other = make_creator(), make_creator()
    many_customers(creator, other)
    found = customer_search(creator=creator, query="person01235", limit=20)
    assert [customer.email for customer in found] == ["person01235@example.com"]
    plan = found.explain()
    assert "customers_customer_search VIRTUAL TABLE INDEX" in plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 table exists on SQLite only")
def test_sqlite_walks_the_newest_customers_for_a_common_word(db, monkeypatch):
    from coursedesk.customers import selectors

    creator, other = make_creator(), make_creator()
    many_customers(creator, other, count=500)
    through_fts = [c.email for c in customer_search(creator=creator, query="person001", limit=5)]
    monkeypatch.setattr(selectors, "SQLITE_COMMON_WORD", 10)  # "person001" is now a common word
    selectors._sqlite_common_words.clear()  # and the process counts it again
    walked = customer_search(creator=creator, query="person001", limit=5)
    assert (
        [c.email for c in walked]
        == through_fts
        == [
            "person00195@example.com",
            "person00190@example.com",
            "person00185@example.com",
            "person00180@example.com",
            "person00175@example.com",
        ]
    )
    assert "customer_newest" in walked.explain()
    assert "VIRTUAL TABLE" not in walked.explain()
