"""Webhook endpoints and their deliveries."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictBool

from coursedesk.api.fields import Text
from coursedesk.api.pagination import PageParams, paginated, reject_unknown_parameters
from coursedesk.api.schemas import ErrorOut, Id, owned
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.integrations import deliveries, endpoints
from coursedesk.integrations.events import EVENT_TYPES
from coursedesk.integrations.models import WebhookDelivery, WebhookEndpoint
from coursedesk.integrations.selectors import endpoint_deliveries

router = Router(tags=["webhooks"])
SOURCE = AuditSource.API


# What a webhook URL looks like; where it may point is checked by the service (422 with the reason).
PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
URL_PATTERN = rf"^https?://[A-Za-z0-9.-]+(:{PORT})?(/[^\s\x00-\x1f\x7f-\x9f\u2028\u2029]*)?$"
EventType = Literal[EVENT_TYPES]


class EndpointIn(Schema):
    url: Text(2000, pattern=URL_PATTERN)
    events: list[EventType] = Field(..., min_length=1, max_length=50)
    description: Text(200) = ""


class EndpointPatch(Schema):
    url: Text(2000, pattern=URL_PATTERN) | None = None
    events: list[EventType] | None = Field(None, min_length=1, max_length=50)
    description: Text(200) | None = None
    enabled: StrictBool | None = None


class EndpointOut(Schema):
    id: Id
    url: str
    events: list[str]
    description: str
    enabled: bool


class EndpointCreated(EndpointOut):
    secret: str


class EndpointList(Schema):
    results: list[EndpointOut]
    next: str | None


class SecretOut(Schema):
    secret: str


class DeliveryOut(Schema):
    id: Id
    event_id: Id
    event_type: str = Field(alias="event.type")
    status: str
    attempts: int
    response_status: int | None
    next_attempt_at: dt.datetime | None


class DeliveryList(Schema):
    results: list[DeliveryOut]
    next: str | None


class Redelivery(Schema):
    id: Id
    status: str


def _endpoint(request, endpoint_id: str) -> WebhookEndpoint:
    return owned(WebhookEndpoint.objects.for_creator(request.auth), endpoint_id)


@router.post(
    "/webhook-endpoints",
    response={201: EndpointCreated, 422: ErrorOut},
    summary="Add an endpoint; its signing secret is in this answer only",
)
def webhook_endpoint_create(request, body: EndpointIn):
    endpoint, secret = endpoints.webhook_endpoint_create(
        creator=request.auth,
        url=body.url,
        events=body.events,
        description=body.description,
        actor=Actor.creator(request.auth),
        source=SOURCE,
    )
    endpoint.secret = secret
    return Status(201, endpoint)


@router.get("/webhook-endpoints", response=EndpointList, summary="The endpoints (never their secrets)")
def webhook_endpoint_list(request):
    reject_unknown_parameters(request)
    return {"results": list(WebhookEndpoint.objects.for_creator(request.auth)), "next": None}


@router.patch(
    "/webhook-endpoints/{endpoint_id}",
    response={200: EndpointOut, 422: ErrorOut},
    summary="Change the URL, event types, description, or turn it on or off",
)
def webhook_endpoint_patch(request, endpoint_id: str, changes: EndpointPatch):
    return endpoints.webhook_endpoint_update(
        endpoint=_endpoint(request, endpoint_id),
        actor=Actor.creator(request.auth),
        source=SOURCE,
        **changes.model_dump(exclude_unset=True, exclude_none=True),
    )


@router.delete("/webhook-endpoints/{endpoint_id}", response={204: None}, summary="Remove an endpoint")
def webhook_endpoint_delete(request, endpoint_id: str):
    endpoints.webhook_endpoint_delete(
        endpoint=_endpoint(request, endpoint_id), actor=Actor.creator(request.auth), source=SOURCE
    )
    return Status(204, None)


@router.post(
    "/webhook-endpoints/{endpoint_id}/rotate-secret",
    response=SecretOut,
    summary="A new signing secret; the old one keeps signing for 24 hours",
)
def webhook_endpoint_rotate_secret(request, endpoint_id: str):
    secret = endpoints.webhook_endpoint_secret_rotate(
        endpoint=_endpoint(request, endpoint_id), actor=Actor.creator(request.auth), source=SOURCE
    )
    return {"secret": secret}


@router.get(
    "/webhook-endpoints/{endpoint_id}/deliveries",
    response=DeliveryList,
    summary="The endpoint's deliveries, newest first",
)
def webhook_delivery_list(request, endpoint_id: str, page: Query[PageParams]):
    reject_unknown_parameters(request)
    endpoint = _endpoint(request, endpoint_id)
    return paginated(endpoint_deliveries(endpoint=endpoint), params=page, time_field="created_at")


@router.post(
    "/webhook-deliveries/{delivery_id}/redeliver",
    response={202: Redelivery, 409: ErrorOut},
    summary="Send a delivery again, with the same event id",
)
def webhook_delivery_redeliver(request, delivery_id: str):
    delivery = owned(WebhookDelivery.objects.for_creator(request.auth), delivery_id)
    delivery = deliveries.webhook_delivery_redeliver(delivery=delivery)
    return Status(202, {"id": delivery.pk, "status": delivery.status})
