"""One acting scheduler at a time, however many nodes run `run_scheduler`.

The acting one holds a PostgreSQL session advisory lock on a connection of its own (outside Django's
connections and any pool, so the lock never travels with a pooled connection to other work). When
that process dies its connection closes and the server frees the lock; another scheduler takes it at
its next tick. On SQLite (one machine) there is nothing to share and the only scheduler acts.

The connection must reach PostgreSQL itself: PgBouncer in transaction mode cannot keep a session's
lock, so point SCHEDULER_DATABASE_URL at the primary directly when DATABASE_URL goes through it.
"""

from __future__ import annotations

import logging
import os
import socket

import dj_database_url
import psycopg
from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

# pg_try_advisory_lock(key): one 64-bit key for "the scheduler acts", arbitrary but fixed.
SCHEDULER_LOCK_KEY = 7_202_611_016_001


def _connection_params() -> dict:
    url = getattr(settings, "SCHEDULER_DATABASE_URL", "")
    if url:
        alias_settings = dj_database_url.parse(url)
        params = {
            "dbname": alias_settings["NAME"],
            "user": alias_settings["USER"],
            "password": alias_settings["PASSWORD"],
            "host": alias_settings["HOST"],
            "port": alias_settings["PORT"],
        }
        return {key: value for key, value in params.items() if value not in (None, "")}
    params = connections["default"].get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    return params


class SchedulerLock:
    """`acting()` says, once per tick, whether this process runs the jobs of that tick."""

    def __init__(self, *, key: int = SCHEDULER_LOCK_KEY, name: str | None = None):
        self.key = key
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self._connection = None
        self.held = False

    @property
    def shared(self) -> bool:
        return connections["default"].vendor == "postgresql"

    def _connect(self):
        params = _connection_params()
        params.update(
            autocommit=True,
            application_name=f"coursedesk-scheduler {self.name}"[:63],
            connect_timeout=5,
            # A holder whose machine vanished is noticed by the keepalives, and its lock freed.
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
        )
        return psycopg.connect(**params)

    def _still_connected(self) -> bool:
        try:
            self._connection.execute("SELECT 1").fetchone()
            return True
        except Exception as error:
            logger.warning("scheduler %s lost its lock connection: %s", self.name, error)
            self.close()
            return False

    def acting(self) -> bool:
        if not self.shared:
            return True
        if self.held and self._still_connected():
            return True
        self.held = False
        try:
            if self._connection is None or self._connection.closed:
                self._connection = self._connect()
            row = self._connection.execute("SELECT pg_try_advisory_lock(%s)", [self.key]).fetchone()
            self.held = bool(row[0])
        except Exception as error:  # the database is away: act on nothing this tick
            logger.warning("scheduler %s could not try the lock: %s", self.name, error)
            self.close()
        return self.held

    def close(self) -> None:
        """Gives the lock up (closing the connection frees it)."""
        self.held = False
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:
                logger.debug("closing the scheduler lock connection failed", exc_info=True)
            self._connection = None

    def backend_pid(self) -> int | None:
        return self._connection.info.backend_pid if self._connection is not None else None
