"""Keyset pagination, newest first, for pages and the API: fast at any depth, no COUNT(*).

A cursor is the (time, id) of the last row shown, encoded as an opaque URL-safe string.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass

from django.db.models import Q

from coursedesk.core.errors import DomainError


class InvalidCursor(DomainError):
    def __init__(self):
        super().__init__("The cursor is not one this list gave out.", code="invalid_cursor", status=400)


def encode_cursor(moment: dt.datetime, pk: int) -> str:
    raw = json.dumps([moment.isoformat(), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return dt.datetime.fromisoformat(moment), int(pk)
    except (ValueError, TypeError, json.JSONDecodeError) as error:
        raise InvalidCursor() from error


@dataclass
class Page:
    items: list
    next_cursor: str | None


def keyset_page(queryset, *, time_field: str, cursor: str | None, limit: int) -> Page:
    """Rows of `queryset` ordered by (time_field, pk) descending, after `cursor`."""
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
        last = rows[-1]
        next_cursor = encode_cursor(getattr(last, time_field), last.pk)
    return Page(items=rows, next_cursor=next_cursor)
