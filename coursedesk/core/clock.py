"""The one clock: every rule that depends on time reads `now()` so tests can move it."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading

from django.utils import timezone

_lock = threading.Lock()
_frozen_at: dt.datetime | None = None


def now() -> dt.datetime:
    frozen = _frozen_at
    return frozen if frozen is not None else timezone.now()


def today() -> dt.date:
    return timezone.localdate(now())


def set_now(moment: dt.datetime | None) -> None:
    """Fixes the clock at `moment` (aware datetime) for every thread; None lets it run again."""
    global _frozen_at
    if moment is not None and timezone.is_naive(moment):
        raise ValueError("the clock takes timezone-aware datetimes")
    with _lock:
        _frozen_at = moment


def advance(delta: dt.timedelta) -> dt.datetime:
    """Moves a fixed clock forward (fixing it at the current time first)."""
    set_now(now() + delta)
    return now()


@contextlib.contextmanager
def frozen(moment: dt.datetime):
    previous = _frozen_at
    set_now(moment)
    try:
        yield
    finally:
        set_now(previous)


def iso(moment: dt.datetime | dt.date | None) -> str | None:
    """How times and dates are written into audit data and JSON: ISO 8601, or None."""
    return moment.isoformat() if moment is not None else None


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the active time zone: the moment a date typed by a person
    (an expiration, a resume date) takes effect."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


# Every date and time a person or a client gives is between these (RANGE_MESSAGE): beyond them a
# value cannot be read back on every database (PostgreSQL stores year 10000, Python cannot read it).
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)
RANGE_MESSAGE = "Pick a date between 1970 and 2199."


def in_range(moment: dt.datetime | dt.date) -> bool:
    """True when `moment` (an aware datetime or a date) lies in [1970-01-01, 2200-01-01)."""
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None:
            return EARLIEST.replace(tzinfo=None) <= moment < LATEST.replace(tzinfo=None)
        return EARLIEST <= moment < LATEST
    return EARLIEST.date() <= moment < LATEST.date()
