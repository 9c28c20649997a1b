"""Keyset pagination, newest first, for pages and the API: fast at any depth, no COUNT(*).

A cursor is the (time, id) of the last row shown.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Q

from coursedesk.core.errors import DomainError


class InvalidCursor(DomainError):
    def __init__(self):
        super().__init__("The cursor is not one this list gave out.", code="invalid_cursor", status=400)


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# "<microseconds since 1970>.<id>": every string of this shape is a position in the list, so a
# client can never send a cursor that is well-formed yet meaningless.
CURSOR_PATTERN = r"^[0-9]{1,18}\.[0-9]{1,18}$"
_CURSOR = re.compile(CURSOR_PATTERN)


def encode_cursor(moment: dt.datetime, pk: int) -> str:
    delta = moment - EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"{micros}.{pk}"


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    if not _CURSOR.match(cursor or ""):
        raise InvalidCursor()
    micros, pk = cursor.split(".")
    try:
        moment = EPOCH + dt.timedelta(microseconds=int(micros))
    except OverflowError:
        moment = dt.datetime.max.replace(tzinfo=dt.UTC)
    return moment, int(pk)


@dataclass
class Page:
    items: list
    next_cursor: str | None
    # The cursor of the newer rows just before this page (None on the newest page).
    previous_cursor: str | None = None


def keyset_page(
    queryset, *, time_field: str, cursor: str | None, limit: int, before: str | None = None
) -> Page:
    """Rows of `queryset` ordered by (time_field, pk) descending, after `cursor` (older), or the
    page just before `before` (newer), so a reader can go both ways."""
    if before:
        moment, pk = decode_cursor(before)
        newer = queryset.order_by(time_field, "pk").filter(
            Q(**{f"{time_field}__gt": moment}) | Q(**{time_field: moment, "pk__gt": pk})
        )
        rows = list(newer[: limit + 1])
        more_newer = len(rows) > limit
        rows = list(reversed(rows[:limit]))
        if not rows:
            return Page(items=[], next_cursor=None)
        return Page(
            items=rows,
            next_cursor=_cursor_of(rows[-1], time_field),
            previous_cursor=_cursor_of(rows[0], time_field) if more_newer else None,
        )
    queryset = queryset.order_by(f"-{time_field}", "-pk")
    if cursor:
        moment, pk = decode_cursor(cursor)
        queryset = queryset.filter(
            Q(**{f"{time_field}__lt": moment}) | Q(**{time_field: moment, "pk__lt": pk})
        )
    rows = list(queryset[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _cursor_of(rows[-1], time_field)
    previous_cursor = _cursor_of(rows[0], time_field) if cursor and rows else None
    return Page(items=rows, next_cursor=next_cursor, previous_cursor=previous_cursor)


def rows_page(
    rows: list, *, positions: list[tuple[dt.datetime, int]], cursor: str | None, limit: int
) -> Page:
    """`keyset_page` over a few rows already read (the one or two customers of an email address),
    so that they are not read again. `positions` holds each row's (moment, id), by
    which the rows are ordered, newest first, and paged."""
    ordered = sorted(zip(positions, rows, strict=True), key=lambda pair: pair[0], reverse=True)
    if cursor:
        after = decode_cursor(cursor)
        ordered = [pair for pair in ordered if pair[0] < after]
    next_cursor = encode_cursor(*ordered[limit - 1][0]) if len(ordered) > limit else None
    previous_cursor = encode_cursor(*ordered[0][0]) if cursor and ordered else None
    return Page(
        items=[row for _, row in ordered[:limit]], next_cursor=next_cursor, previous_cursor=previous_cursor
    )


def _position(row, time_field: str) -> tuple[dt.datetime, int]:
    # Rows are model instances, or dicts of `.values()` (which hold the primary key as "id").
    if isinstance(row, dict):
        return row[time_field], row["id"]
    return getattr(row, time_field), row.pk


def _cursor_of(row, time_field: str) -> str:
    return encode_cursor(*_position(row, time_field))
