"""Django's PostgreSQL backend, checking a kept connection's health without a round trip.

With CONN_HEALTH_CHECKS, Django sends `SELECT 1` before the first query of every request that
reuses a connection, and a pool (DATABASE_POOL) checks each connection it hands out with an empty
query: on a page or an API call that runs one or two queries, a round trip more than the page needs
(0.1 to 0.3 ms on one machine, more across a network). A connection the server has ended (a
restart, `pg_terminate_backend`, `idle_session_timeout`) has been sent the server's last words, or
its end, by then: its socket has something to read, which an idle, healthy connection's never has.
So a kept connection that is idle outside a transaction with nothing to read is taken as it is,
and any other gets the round trip (and is replaced if that fails). The check after an error in a
request (`errors_occurred`) is Django's, unchanged.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


def idle_and_quiet(connection) -> bool:
    """Whether a psycopg connection is open, idle outside any transaction and has nothing waiting
    to be read (the server said nothing since its last answer)."""
    if connection is None or connection.closed or connection.broken:
        return False
    if connection.info.transaction_status != pq.TransactionStatus.IDLE:
        return False
    try:
        poller = select.poll()
        poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False


def pool_check(connection) -> None:
    """The pool's check of a connection it hands out: none for an idle, quiet one; psycopg's own
    (an empty query, raising if the connection is gone, which the pool then replaces) otherwise."""
    if not idle_and_quiet(connection):
        from psycopg_pool import ConnectionPool  # noqa: PLC0415 - only with a pool

        ConnectionPool.check_connection(connection)


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        pool = super().pool
        if pool is not None and pool._check is not None and pool._check is not pool_check:
            # Django gives the pool psycopg's check (an empty query each time) when
            # CONN_HEALTH_CHECKS is on; this one asks the socket first. Were psycopg's pool to
            # keep its check elsewhere, its own would simply stay.
            pool._check = pool_check
        return pool

    def close_if_health_check_failed(self):
        if (
            self.health_check_enabled
            and not self.health_check_done
            and not self.pool
            and idle_and_quiet(self.connection)
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
