"""Cursor pagination for API lists: {"results": [...], "next": cursor or null}, ?limit= and ?cursor=."""

from __future__ import annotations

from ninja import Query, Schema
from pydantic import Field

from coursedesk.core.errors import DomainError
from coursedesk.core.pagination import CURSOR_PATTERN, keyset_page

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="How many (1 to 200).")
    cursor: str | None = Field(
        None, description="The `next` value of the previous page.", pattern=CURSOR_PATTERN
    )


def reject_unknown_parameters(request, *allowed: str) -> None:
    """A misspelt parameter (?limt=10) is an error, never silently ignored."""
    unknown = sorted(set(request.GET) - {"limit", "cursor", *allowed})
    if unknown:
        raise DomainError(
            f"Unknown query parameter: {', '.join(unknown)}.", code="unknown_parameter", status=400
        )


def paginated(queryset, *, params: PageParams, time_field: str) -> dict:
    """One page of `queryset`, newest first; the route's `response=` schema shapes the rows."""
    page = keyset_page(queryset, time_field=time_field, cursor=params.cursor, limit=params.limit)
    return {"results": page.items, "next": page.next_cursor}


__all__ = ["PageParams", "Query", "paginated", "reject_unknown_parameters"]
