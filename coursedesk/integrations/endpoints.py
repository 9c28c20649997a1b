"""Webhook endpoints of a creator: add, change, turn on or off, remove, rotate the signing secret.

The signing secret is shown once, when it is made (the API's 201 answer, the page right after);
only its encrypted copy is kept. A rotation keeps the old secret signing beside the new one for 24
hours, so a consumer can switch without missing a delivery.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from django.db import transaction

from coursedesk.audit.services import Actor, audit_record, change
from coursedesk.audit.types import AuditEventType
from coursedesk.core import clock
from coursedesk.core.errors import InvalidValue
from coursedesk.integrations.deliveries import deliveries_resume
from coursedesk.integrations.events import EVENT_TYPES
from coursedesk.integrations.models import WebhookEndpoint
from coursedesk.integrations.safety import webhook_url_check

DESCRIPTION_MAX = 200
OLD_SECRET_VALID_FOR = dt.timedelta(hours=24)


def new_signing_secret() -> str:
    """A Standard Webhooks secret: whsec_ and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def event_types_check(events) -> list[str]:
    """The chosen types in the documented order; none, a duplicate or an unknown one is refused."""
    if not isinstance(events, list | tuple) or not events:
        raise InvalidValue("Choose at least one event type.", code="invalid_event_types")
    unknown = sorted({str(event) for event in events} - set(EVENT_TYPES))
    if unknown:
        raise InvalidValue(
            f"Unknown event type: {', '.join(unknown)}. The types are {', '.join(EVENT_TYPES)}.",
            code="unknown_event_type",
        )
    return [event for event in EVENT_TYPES if event in events]


def _description_check(description: str) -> str:
    description = " ".join((description or "").split())
    if len(description) > DESCRIPTION_MAX:
        raise InvalidValue(
            f"Keep the description under {DESCRIPTION_MAX} characters.", code="description_too_long"
        )
    return description


def webhook_endpoint_create(
    *, creator, url: str, events, description: str = "", actor: Actor, source: str
) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its signing secret (the only time the secret is given out)."""
    events = event_types_check(events)
    description = _description_check(description)
    url = webhook_url_check(url)  # last: it may ask DNS
    secret = new_signing_secret()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            creator=creator, url=url, events=events, description=description, secret=secret
        )
        audit_record(
            creator=creator,
            type=AuditEventType.WEBHOOK_ENDPOINT_CREATED,
            actor=actor,
            source=source,
            subject=endpoint,
            data={"url": url, "events": events, "description": description},
        )
    return endpoint, secret


def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    actor: Actor,
    source: str,
    url: str | None = None,
    events=None,
    description: str | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Changes any of URL, event types, description and on/off; `None` leaves a field as it is.
    Turning an endpoint on again sends the deliveries that waited while it was off."""
    events = event_types_check(events) if events is not None else None
    description = _description_check(description) if description is not None else None
    url = webhook_url_check(url) if url is not None else None
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        changes = {}
        for field, value in (
            ("url", url),
            ("events", events),
            ("description", description),
            ("enabled", enabled),
        ):
            if value is not None and getattr(endpoint, field) != value:
                changes[field] = change(getattr(endpoint, field), value)
                setattr(endpoint, field, value)
        if not changes:
            return endpoint
        if "enabled" in changes and endpoint.enabled:
            endpoint.disabled_at = None
            endpoint.failing_since = None
        endpoint.updated_at = clock.now()
        endpoint.save()
        audit_record(
            creator=endpoint.creator,
            type=AuditEventType.WEBHOOK_ENDPOINT_UPDATED,
            actor=actor,
            source=source,
            subject=endpoint,
            data={"url": endpoint.url, **changes},
        )
        if "enabled" in changes and endpoint.enabled:
            deliveries_resume(endpoint=endpoint)
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor: Actor, source: str) -> None:
    """Removes the endpoint with its deliveries; the audit log keeps that it existed."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        audit_record(
            creator=endpoint.creator,
            type=AuditEventType.WEBHOOK_ENDPOINT_DELETED,
            actor=actor,
            source=source,
            subject=endpoint,
            data={"url": endpoint.url, "events": endpoint.events, "description": endpoint.description},
        )
        endpoint.delete()


def webhook_endpoint_secret_rotate(*, endpoint: WebhookEndpoint, actor: Actor, source: str) -> str:
    """A new signing secret (returned, shown once); the old one keeps signing for 24 hours."""
    secret = new_signing_secret()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        now = clock.now()
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + OLD_SECRET_VALID_FOR
        endpoint.secret = secret
        endpoint.updated_at = now
        endpoint.save(update_fields=["previous_secret", "previous_secret_expires_at", "secret", "updated_at"])
        audit_record(
            creator=endpoint.creator,
            type=AuditEventType.WEBHOOK_ENDPOINT_SECRET_ROTATED,
            actor=actor,
            source=source,
            subject=endpoint,
            data={
                "url": endpoint.url,
                "old_secret_valid_until": clock.iso(endpoint.previous_secret_expires_at),
            },
        )
    return secret
