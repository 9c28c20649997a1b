"""Subscriptions: cancel (now or at the end of the paid period), pause until a date, resume.

API.md lists no route to take back a cancel at the period's end; the desk has it."""

from __future__ import annotations

import pydantic
from ninja import Router, Schema

from coursedesk.api.fields import Day
from coursedesk.api.schemas import ErrorOut, SubscriptionOut, owned
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.billing import subscriptions as billing_subscriptions
from coursedesk.billing.models import Subscription
from coursedesk.core.errors import InvalidValue

router = Router(tags=["subscriptions"])
SOURCE = AuditSource.API


class PauseIn(Schema):
    resume_on: Day


class CancelIn(Schema):
    # True: no further payments, and the status becomes canceled when the paid period ends (until
    # then the subscription shows cancel_at_period_end and the desk can take the cancel back).
    at_period_end: bool = False


def _subscription(request, subscription_id: str) -> Subscription:
    return owned(
        Subscription.objects.for_creator(request.auth).select_related("course", "customer"), subscription_id
    )


def _fresh(subscription: Subscription) -> Subscription:
    return Subscription.objects.get(pk=subscription.pk)


def _cancel_choice(request) -> CancelIn:
    """The optional JSON body of a cancel. Read here rather than by a body parameter, so that a
    cancel sent with no body, or as an empty form, still means "now"."""
    if request.content_type != "application/json" or not request.body.strip():
        return CancelIn()
    try:
        return CancelIn.model_validate_json(request.body)
    except pydantic.ValidationError:
        raise InvalidValue(
            "Send at_period_end as true or false (or no body to cancel now).", code="invalid_at_period_end"
        ) from None


@router.post(
    "/{subscription_id}/cancel",
    response={200: SubscriptionOut, 409: ErrorOut, 422: ErrorOut},
    summary="No further payments, now or at the end of the paid period (no refund, access stays)",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": CancelIn.model_json_schema()}},
        }
    },
)
def subscription_cancel(request, subscription_id: str):
    subscription = _subscription(request, subscription_id)
    choice = _cancel_choice(request)
    billing_subscriptions.subscription_cancel(
        subscription=subscription,
        at_period_end=choice.at_period_end,
        actor=Actor.creator(request.auth),
        source=SOURCE,
    )
    return _fresh(subscription)


@router.post(
    "/{subscription_id}/pause",
    response={200: SubscriptionOut, 409: ErrorOut, 422: ErrorOut},
    summary="Move the next payment to a future date (access stays)",
)
def subscription_pause(request, subscription_id: str, body: PauseIn):
    subscription = _subscription(request, subscription_id)
    billing_subscriptions.subscription_pause(
        subscription=subscription, resume_on=body.resume_on, actor=Actor.creator(request.auth), source=SOURCE
    )
    return _fresh(subscription)


@router.post(
    "/{subscription_id}/resume",
    response={200: SubscriptionOut, 409: ErrorOut},
    summary="Resume a paused subscription now",
)
def subscription_resume(request, subscription_id: str):
    subscription = _subscription(request, subscription_id)
    billing_subscriptions.subscription_resume(
        subscription=subscription, actor=Actor.creator(request.auth), source=SOURCE
    )
    return _fresh(subscription)
