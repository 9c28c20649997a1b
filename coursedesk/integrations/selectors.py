"""Reads of integrations that the API and the desk share: the event feed, endpoints, deliveries."""

from __future__ import annotations

from dataclasses import dataclass

from coursedesk.core.errors import DomainError, InvalidValue
from coursedesk.integrations.events import EVENT_TYPES
from coursedesk.integrations.models import PublicEvent, WebhookDelivery


@dataclass
class FeedPage:
    events: list[PublicEvent]
    next: str | None


def event_types_parse(text: str | None) -> list[str]:
    """`a,b` as a list of known public types; empty means every type."""
    types = [part.strip() for part in (text or "").split(",") if part.strip()]
    unknown = sorted(set(types) - set(EVENT_TYPES))
    if unknown:
        raise InvalidValue(
            f"Unknown event type: {', '.join(unknown)}. The types are {', '.join(EVENT_TYPES)}.",
            code="unknown_event_type",
        )
    return types


def event_feed(*, creator, after: str | None, types: list[str], limit: int) -> FeedPage:
    """The creator's events in feed order (the order they committed), oldest first, after the event
    with id `after`; `next` is the id to ask after for the following page, or None at the end.
    Call integrations.events.events_sequence first so every committed event has its place."""
    events = PublicEvent.objects.for_creator(creator).in_feed()
    if after:
        position = (
            events.filter(pk=int(after)).values_list("position", flat=True).first()
            if after.isdigit()
            else None
        )
        if position is None:
            raise DomainError(
                "`after` is not the id of one of your events.", code="event_not_found", status=404
            )
        events = events.filter(position__gt=position)
    if types:
        events = events.filter(type__in=types)
    rows = list(events.order_by("position")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return FeedPage(events=rows, next=str(rows[-1].pk) if more else None)


def endpoint_deliveries(*, endpoint):
    return WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event")
