"""The event feed: the creator's public events, oldest first, for consumers that missed webhooks."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ninja import Query, Router, Schema
from pydantic import Field

from coursedesk.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from coursedesk.api.schemas import Id
from coursedesk.core.errors import DomainError
from coursedesk.integrations.events import EVENT_TYPES, events_sequence
from coursedesk.integrations.selectors import event_feed, event_types_parse

router = Router(tags=["events"])
_ONE_TYPE = "|".join(re.escape(event_type) for event_type in EVENT_TYPES)
TYPES_PATTERN = rf"^({_ONE_TYPE})(,({_ONE_TYPE}))*$"


class FeedParams(Schema):
    after: str | None = Field(
        None, pattern=r"^[0-9]{1,18}$", description="The id of the last event you have; leave out to start."
    )
    types: str | None = Field(
        None, pattern=TYPES_PATTERN, description="Event types, comma-separated; all if left out."
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="How many (1 to 200).")


class PublicEventOut(Schema):
    id: Id
    type: str
    created_at: dt.datetime
    data: dict[str, Any]


class EventFeed(Schema):
    results: list[PublicEventOut]
    next: str | None


@router.get("/events", response=EventFeed, summary="The event feed, oldest first after `after`")
def event_list(request, params: Query[FeedParams]):
    unknown = sorted(set(request.GET) - {"after", "types", "limit"})
    if unknown:  # `cursor` too: this list pages with `after`
        raise DomainError(
            f"Unknown query parameter: {', '.join(unknown)}.", code="unknown_parameter", status=400
        )
    types = event_types_parse(params.types)
    events_sequence(creator_id=request.auth.pk)
    page = event_feed(creator=request.auth, after=params.after, types=types, limit=params.limit)
    return {"results": page.events, "next": page.next}
