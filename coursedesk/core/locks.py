"""Locks on things that have no row yet (a buyer who may not be a customer), for one transaction."""

from __future__ import annotations

from django.db import connection


def transaction_lock(name: str) -> None:
    """Holds a lock named `name` until the current transaction ends; a second transaction asking for
    the same name waits until then.

    PostgreSQL: a transaction-level advisory lock on a 64-bit hash of the name (it is released by the
    commit or rollback, so it also works through PgBouncer in transaction mode). SQLite takes the
    database's write lock at the start of every transaction (IMMEDIATE), so writers already queue.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("transaction_lock() is held until the transaction ends: call it inside one")
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])
