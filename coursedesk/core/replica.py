"""Heavy reads on the PostgreSQL replica, when one is configured and has caught up; writes never.

A view opts in with `@replica_reads()` (or a block with `with replica_reads():`); everything else, and
everything inside a transaction (the services, under their locks), reads and writes the primary.

Read your own writes: after a request that may have written (POST, PUT, PATCH, DELETE), the
`ReadYourWritesMiddleware` records the primary's WAL position for the creator who made it, in the
shared cache. A later replica read for that creator happens only once the replica has replayed past
that position (`pg_last_wal_replay_lsn()`); until then it reads the primary. A replica that is down,
or lags more than DATABASE_REPLICA_MAX_LAG seconds, is skipped for a few seconds, never fatal.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections
from django.utils.functional import empty

logger = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA = "replica"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# How long a replica's position is trusted before it is asked again, and how long a replica that
# failed to answer is left alone.
STATUS_FRESH_FOR = 1.0
DOWN_RETRY_AFTER = 5.0
# A recorded write position is kept this long; past it the lag limit alone keeps reads fresh.
WRITE_POSITION_KEPT_FOR = 15 * 60

_reads_on: ContextVar = ContextVar("replica_reads_on", default=None)  # the current _Block


# --- WAL positions ------------------------------------------------------------------------------


def lsn_to_int(lsn: str | None) -> int | None:
    """'16/B374D848' -> an integer that orders like the WAL; None stays None."""
    if not lsn:
        return None
    high, _, low = str(lsn).partition("/")
    return (int(high, 16) << 32) | int(low, 16)


def primary_wal_position() -> int | None:
    """Where the primary's WAL ends now; None on a database without one (SQLite).

    The insert position, not the write position: with synchronous_commit off a commit returns before
    its record is written, and only the insert position is sure to be past it."""
    connection = connections[PRIMARY]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
        return lsn_to_int(cursor.fetchone()[0])


@dataclass(frozen=True)
class ReplicaStatus:
    """What the replica said about itself, and when it was asked (time.monotonic())."""

    replayed: int | None  # last WAL position applied; None when it is not a replica
    lag_seconds: float  # 0 when it has applied everything it received
    replay_paused: bool
    checked_at: float

    def fresh_enough(self, max_lag: float) -> bool:
        return self.replayed is not None and self.lag_seconds <= max_lag


_status_lock = threading.Lock()
_status: ReplicaStatus | None = None
_down_since: float | None = None

REPLICA_STATUS_SQL = """
SELECT pg_last_wal_replay_lsn()::text,
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END,
       pg_is_in_recovery() AND pg_is_wal_replay_paused()
"""


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_status_query() -> ReplicaStatus:
    """Asks the replica now; raises DatabaseError when it cannot be reached."""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(REPLICA_STATUS_SQL)
        replayed, lag, paused = cursor.fetchone()
    return ReplicaStatus(lsn_to_int(replayed), float(lag or 0), bool(paused), time.monotonic())


def replica_status(*, refresh: bool = False) -> ReplicaStatus | None:
    """The replica's last known position (asked at most once a second), or None while it is down."""
    global _status, _down_since
    if not replica_configured():
        return None
    now = time.monotonic()
    with _status_lock:
        if _down_since is not None and now - _down_since < DOWN_RETRY_AFTER:
            return None
        if not refresh and _status is not None and now - _status.checked_at < STATUS_FRESH_FOR:
            return _status
    try:
        status = replica_status_query()
    except DatabaseError as error:
        logger.warning("replica unreachable, reading from the primary: %s", error)
        with contextlib.suppress(Exception):
            connections[REPLICA].close()
        with _status_lock:
            _down_since, _status = time.monotonic(), None
        return None
    with _status_lock:
        _down_since, _status = None, status
    return status


def replica_status_forget() -> None:
    """Forgets what is known of the replica (tests, and after settings change)."""
    global _status, _down_since
    with _status_lock:
        _status, _down_since = None, None


# --- Who must read their own writes -------------------------------------------------------------


def _known_reader(request):
    """(known, creator): who reads, without loading anything from inside a read.

    The API's token owner is `request.auth` once authenticated (django-ninja sets it); the desk's
    is `request.user` once it was loaded (login_required loads it). Until then nobody is known.
    """
    creator = getattr(request, "auth", None)
    if creator is not None:
        return True, creator
    user = request.__dict__.get("user")
    if user is None:
        return False, None
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is empty:
        return False, None
    return True, (wrapped if wrapped.is_authenticated else None)


def _writer_key(creator) -> str | None:
    return f"replica:written-by:{creator.pk}" if creator is not None else None


def write_position_record(request, position: int | None) -> None:
    _, creator = _known_reader(request)
    key = _writer_key(creator)
    if key is None or position is None:
        return
    try:
        cache.set(key, position, WRITE_POSITION_KEPT_FOR)
    except Exception as error:  # a cache outage must not fail the write that already happened
        logger.warning("could not record the write position: %s", error)


def write_position_needed(request) -> int | None:
    if request is None:
        return None
    key = _writer_key(_known_reader(request)[1])
    if key is None:
        return None
    try:
        return cache.get(key)
    except Exception:
        return -1  # unknown: only the primary is certainly fresh


# --- Choosing where a block reads --------------------------------------------------------------


def replica_choice(*, status: ReplicaStatus | None, needed: int | None, max_lag: float) -> str:
    """REPLICA when it is up, within the lag limit, and past the reader's last write; else PRIMARY."""
    if status is None or not status.fresh_enough(max_lag):
        return PRIMARY
    if needed is not None and (needed < 0 or status.replayed < needed):
        return PRIMARY
    return REPLICA


def read_alias_for(request=None) -> str:
    if not replica_configured():
        return PRIMARY
    max_lag = settings.DATABASE_REPLICA_MAX_LAG
    needed = write_position_needed(request)
    status = replica_status()
    choice = replica_choice(status=status, needed=needed, max_lag=max_lag)
    if choice == PRIMARY and status is not None and needed is not None and status.replayed < needed:
        # The position may be a second old: ask again before giving up on the replica.
        status = replica_status(refresh=True)
        choice = replica_choice(status=status, needed=needed, max_lag=max_lag)
    return choice


class _Block:
    """One `replica_reads` block: where its reads go, decided at the first read once the reader is
    known (an API request authenticates inside the view, and those reads stay on the primary)."""

    __slots__ = ("alias", "request")

    def __init__(self, request):
        self.request = request
        self.alias = None if request is not None else read_alias_for(None)

    def alias_now(self) -> str:
        if self.alias is None:
            if not _known_reader(self.request)[0]:
                return PRIMARY
            self.alias = read_alias_for(self.request)
        return self.alias


def _reading_in(block: _Block, iterator):
    """Keeps a streamed response's reads in its block: its rows are read after the view returned."""
    token = _reads_on.set(block)
    try:
        yield from iterator
    finally:
        _reads_on.reset(token)


class replica_reads(contextlib.ContextDecorator):
    """Reads inside go to the replica when it may serve this reader.

    `with replica_reads(request):` around a block, or `@replica_reads()` on a view (Django's, or
    ninja's through `decorate_view`): it finds the request among the arguments, and keeps a streamed
    response (CSV) in the block while it is sent.
    """

    def __init__(self, request=None):
        self.request = request
        self._tokens: list = []

    def __enter__(self):
        self._tokens.append(_reads_on.set(_Block(self.request)))
        return self

    def __exit__(self, *exc):
        _reads_on.reset(self._tokens.pop())
        return False

    def __call__(self, view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not replica_configured():
                return view(request, *args, **kwargs)
            block = _Block(request)
            token = _reads_on.set(block)
            try:
                response = view(request, *args, **kwargs)
            finally:
                _reads_on.reset(token)
            if getattr(response, "streaming", False):
                response.streaming_content = _reading_in(block, response.streaming_content)
            return response

        return wrapper


def current_read_alias() -> str:
    """Where a read made now goes (PRIMARY outside `replica_reads` and inside transactions)."""
    block = _reads_on.get()
    if block is None or connections[PRIMARY].in_atomic_block:
        return PRIMARY
    return block.alias_now()


class ReplicaRouter:
    """Reads inside `replica_reads` go to the replica; everything else, and all writes, to the primary."""

    def db_for_read(self, model, **hints):
        return current_read_alias()

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


class ReadYourWritesMiddleware:
    """After a request that may have written, remembers the primary's WAL position for its creator."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method in WRITE_METHODS and replica_configured():
            try:
                position = primary_wal_position()
            except DatabaseError as error:
                logger.warning("could not read the primary's WAL position: %s", error)
                position = None
            write_position_record(request, position)
        return response
