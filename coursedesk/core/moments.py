"""Moments read from the database as UTC text and written as the API writes a datetime.

The API writes times as Django's JSON encoder does: `2026-11-21T10:00:00.123Z` (milliseconds, cut
rather than rounded, none when there are no microseconds; `Z` for UTC). A search answers up to 50
customers with two moments each; reading them as text and cutting the text costs a small part of
building a datetime for each and writing it again (a tenth of what a search added to its query).
`utc_text_sql` reads a column as that text; `json_text` writes it.
"""

from __future__ import annotations

import datetime as dt

from django.core.serializers.json import DjangoJSONEncoder

_encoder = DjangoJSONEncoder()


def utc_text_sql(column: str, vendor: str) -> str:
    """SQL reading a moment column as UTC text, `YYYY-MM-DD HH:MM:SS[.ffffff]`."""
    if vendor == "postgresql":
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
    # Django keeps moments in SQLite as UTC text of that form; read as such, not as a column its
    # connection would parse into a datetime.
    return f"CAST({column} AS TEXT)"


def from_utc_text(text: str | None) -> dt.datetime | None:
    """The aware datetime of a moment read by `utc_text_sql` (or any ISO 8601 text; without an
    offset it is UTC)."""
    if text is None:
        return None
    moment = dt.datetime.fromisoformat(text)
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def json_text(text: str | None) -> str | None:
    """A moment read by `utc_text_sql`, written as Django's JSON encoder writes its datetime."""
    if text is None:
        return None
    if len(text) == 26 and text[10] == " " and text[19] == ".":  # with microseconds (PostgreSQL's always)
        if text.endswith("000000"):
            return f"{text[:10]}T{text[11:19]}Z"
        return f"{text[:10]}T{text[11:23]}Z"
    if len(text) == 19 and text[10] == " ":
        return f"{text[:10]}T{text[11:]}Z"
    return _encoder.default(from_utc_text(text))  # another form: read in full, then written
