"""Stripe's webhook inbox: verify, store first, process once, keep failures for replay.

Handlers turn Stripe's objects into calls of the same services the desk uses (actor "gateway",
source "stripe"), so a refund, cancel or pause done in Stripe's dashboard lands in the timeline like
one done in CourseDesk. A change CourseDesk made itself is recognised and not recorded twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.billing import subscriptions
from coursedesk.billing.checkout import checkout_complete_hosted
from coursedesk.billing.dunning import payment_policy_of, retry_plan_from_stripe
from coursedesk.billing.gateways import gateway_named
from coursedesk.billing.gateways.base import GatewayError
from coursedesk.billing.gateways.stripe import (
    hosted_checkout_from,
    invoice_period_end,
    invoice_subscription_id,
    webhook_event_verified,
)
from coursedesk.billing.models import Gateway, GatewayAccount, Payment, Subscription, WebhookEvent
from coursedesk.billing.stripe_sync import own_refund_of, stripe_refund_apply, stripe_subscription_apply
from coursedesk.core import clock
from coursedesk.core.errors import DomainError
from coursedesk.core.text import without_control_characters

logger = logging.getLogger(__name__)
STRIPE = Actor.gateway("stripe")
SOURCE = AuditSource.STRIPE
# A refund CourseDesk started (stripe_sync.OWN_REFUND_KEY) may still be committing its row.
OWN_REFUND_PATIENCE = 3  # attempts before an unmatched refund of ours is recorded as Stripe's


class NotYetKnown(Exception):
    """The event refers to something CourseDesk has not recorded yet (events arrive in any order)."""


# The inbox ------------------------------------------------------------------------------------


@csrf_exempt
@require_POST
def stripe_inbox(request, endpoint_id: str):
    account = GatewayAccount.objects.filter(webhook_endpoint_id=endpoint_id).first()
    if account is None:
        return JsonResponse({"error": "unknown endpoint"}, status=404)
    if not account.stripe_webhook_secret:
        return JsonResponse({"error": "no signing secret is configured for this endpoint"}, status=400)
    try:
        event = webhook_event_verified(
            payload=request.body,
            signature=request.headers.get("Stripe-Signature", ""),
            secret=account.stripe_webhook_secret,
        )
    except GatewayError as refused:
        if refused.code != "not_an_event":
            return JsonResponse({"error": "invalid signature"}, status=400)
        webhook_refusal_store(creator=account.creator, payload=request.body, reason=str(refused))
        return JsonResponse({"error": str(refused)}, status=400)
    stored = webhook_event_store(creator=account.creator, event=event)
    if stored is None:
        return JsonResponse({"error": "event belongs to another endpoint"}, status=400)
    stored = webhook_event_process(event=stored)
    # A failure answers 500 so Stripe delivers the event again later (it is kept for replay too).
    status = 500 if stored.status == WebhookEvent.Status.FAILED else 200
    return JsonResponse({"status": stored.status}, status=status)


def webhook_event_store(*, creator, event: dict) -> WebhookEvent | None:
    """Stores a verified event once (by Stripe's event id); None if the id is another creator's."""
    try:
        with transaction.atomic():
            stored, _ = WebhookEvent.objects.get_or_create(
                gateway=Gateway.STRIPE,
                event_id=event["id"],
                defaults={
                    "creator": creator,
                    "type": event["type"],
                    "payload": event,
                    "received_at": clock.now(),
                },
            )
    except IntegrityError:  # the same event delivered twice at once
        stored = WebhookEvent.objects.get(gateway=Gateway.STRIPE, event_id=event["id"])
    return stored if stored.creator_id == creator.pk else None


# A signed body that is no event is stored under this type, failed with the reason, for the operator
# to see beside the other events (admin); replays leave it alone.
REFUSED_TYPE = "refused"


def webhook_refusal_store(*, creator, payload: bytes, reason: str) -> WebhookEvent:
    """Stores a signed delivery that is not an event (once per body), failed with the reason."""
    digest = hashlib.sha256(payload).hexdigest()[:48]
    body = without_control_characters(payload[:2000].decode("utf-8", errors="replace"))
    stored, _ = WebhookEvent.objects.get_or_create(
        gateway=Gateway.STRIPE,
        event_id=f"refused-{digest}",
        defaults={
            "creator": creator,
            "type": REFUSED_TYPE,
            "payload": {"body": body},
            "status": WebhookEvent.Status.FAILED,
            "error": reason,
            "received_at": clock.now(),
        },
    )
    return stored


def webhook_event_process(*, event: WebhookEvent) -> WebhookEvent:
    """Processes a stored event once. Its effects and its status commit together."""
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().select_related("creator").get(pk=event.pk)
        if event.status in (WebhookEvent.Status.PROCESSED, WebhookEvent.Status.IGNORED):
            return event
        event.attempts += 1
        handler = HANDLERS.get(event.type)
        try:
            with transaction.atomic():
                outcome = handler(event) if handler else "ignored"
        except Exception as error:  # kept with the event for replay; Stripe retries too
            if not isinstance(error, NotYetKnown | DomainError | GatewayError):
                logger.exception("webhook event %s failed", event.event_id)
            event.status = WebhookEvent.Status.FAILED
            event.error = f"{type(error).__name__}: {error}"[:2000]
        else:
            event.status = (
                WebhookEvent.Status.IGNORED if outcome == "ignored" else WebhookEvent.Status.PROCESSED
            )
            event.error = ""
            event.processed_at = clock.now()
        event.save(update_fields=["status", "attempts", "error", "processed_at"])
    return event


# Handlers -------------------------------------------------------------------------------------


def _object(event: WebhookEvent) -> dict:
    return event.payload["data"]["object"]


def _subscription(event: WebhookEvent, reference: str) -> Subscription | None:
    if not reference:
        return None
    return (
        Subscription.objects.for_creator(event.creator)
        .filter(gateway=Gateway.STRIPE, gateway_subscription_id=reference)
        .first()
    )


def on_checkout_completed(event: WebhookEvent) -> str:
    hosted = hosted_checkout_from(_object(event))
    if hosted.mode == "setup":
        return _card_updated(event, hosted)
    session = checkout_complete_hosted(creator=event.creator, hosted=hosted, actor=STRIPE, source=SOURCE)
    return "processed" if session is not None else "ignored"


def _card_updated(event: WebhookEvent, hosted) -> str:
    metadata = _object(event).get("metadata") or {}
    subscription = _subscription(event, metadata.get("coursedesk_subscription", ""))
    if subscription is None or not hosted.setup_reference:
        return "ignored"
    subscriptions.subscription_card_update_from_setup(
        subscription=subscription, setup_reference=hosted.setup_reference, actor=STRIPE, source=SOURCE
    )
    return "processed"


def on_invoice_paid(event: WebhookEvent) -> str:
    invoice = _object(event)
    reference = invoice_subscription_id(invoice)
    if not reference:
        return "ignored"  # a one-off invoice, not a course subscription
    subscription = _subscription(event, reference)
    if invoice.get("billing_reason") == "subscription_create":
        # The first payment is recorded by the checkout's fulfilment (webhook or return page).
        return "ignored"
    if subscription is None:
        raise NotYetKnown(f"subscription {reference} is not recorded yet")
    # What Stripe's coupon took off this invoice, recorded on the payment as the sandbox records it.
    discount = sum(
        item.get("amount") or 0
        for item in invoice.get("total_discount_amounts") or []
        if isinstance(item, dict) and isinstance(item.get("amount"), int)
    )
    subscriptions.subscription_payment_record(
        subscription=subscription,
        succeeded=True,
        amount=invoice.get("amount_paid") or subscription.amount,
        discount=discount,
        currency=invoice.get("currency") or subscription.currency,
        reference=invoice["id"],
        next_payment_at=invoice_period_end(invoice),
        actor=STRIPE,
        source=SOURCE,
    )
    return "processed"


def on_invoice_payment_failed(event: WebhookEvent) -> str:
    invoice = _object(event)
    reference = invoice_subscription_id(invoice)
    if not reference or invoice.get("billing_reason") == "subscription_create":
        return "ignored"  # a first payment that fails is a failed checkout: nothing was sold
    subscription = _subscription(event, reference)
    if subscription is None:
        raise NotYetKnown(f"subscription {reference} is not recorded yet")
    error = (invoice.get("last_finalization_error") or {}).get("message") or "The card was declined."
    retry_at = invoice.get("next_payment_attempt")
    # Stripe retries on its own settings; its invoice says how many attempts were made and whether
    # one more follows. None after the last one: the creator's final action follows.
    retry = retry_plan_from_stripe(
        policy=payment_policy_of(event.creator),
        attempt_count=invoice.get("attempt_count") or 1,
        next_payment_attempt=dt.datetime.fromtimestamp(retry_at, tz=dt.UTC) if retry_at else None,
    )
    subscriptions.subscription_payment_record(
        subscription=subscription,
        succeeded=False,
        amount=invoice.get("amount_due") or subscription.amount,
        currency=invoice.get("currency") or subscription.currency,
        reference="",
        failure_message=error,
        retry=retry,
        actor=STRIPE,
        source=SOURCE,
    )
    return "processed"


def _payment_for(event: WebhookEvent, *references: str) -> Payment | None:
    references = [r for r in references if r]
    if not references:
        return None
    return (
        Payment.objects.for_creator(event.creator)
        .filter(gateway=Gateway.STRIPE, gateway_payment_id__in=references)
        .first()
    )


def _refund_seen(event: WebhookEvent, refund: dict, payment: Payment) -> str:
    """Records one refund object from Stripe unless it is already recorded."""
    own, recorded = own_refund_of(payment, refund)
    if own and recorded is None and event.attempts < OWN_REFUND_PATIENCE:
        raise NotYetKnown(f"refund {refund.get('metadata')} is still being recorded")
    stripe_refund_apply(payment=payment, refund=refund, actor=STRIPE, source=SOURCE)
    return "processed"


def _payment_of_charge(event: WebhookEvent, charge_id: str, intent_id: str, invoice_id: str) -> Payment:
    payment = _payment_for(event, intent_id, charge_id, invoice_id)
    if payment is None and intent_id:
        gateway = gateway_named(Gateway.STRIPE, creator=event.creator)
        payment = _payment_for(event, gateway.invoice_of_payment_intent(payment_intent=intent_id))
    if payment is None:
        raise NotYetKnown(f"no payment recorded for charge {charge_id or intent_id}")
    return payment


def on_charge_refunded(event: WebhookEvent) -> str:
    charge = _object(event)
    payment = _payment_of_charge(
        event, charge["id"], _ref(charge.get("payment_intent")), _ref(charge.get("invoice"))
    )
    refunds = (charge.get("refunds") or {}).get("data")
    if refunds is None:  # current API versions leave them out of the charge
        refunds = gateway_named(Gateway.STRIPE, creator=event.creator).refunds_of_charge(
            charge_reference=charge["id"]
        )
    for refund in sorted(refunds, key=lambda r: r.get("created") or 0):
        _refund_seen(event, refund, payment)
    return "processed"


def on_refund_event(event: WebhookEvent) -> str:
    refund = _object(event)
    payment = _payment_of_charge(event, _ref(refund.get("charge")), _ref(refund.get("payment_intent")), "")
    return _refund_seen(event, refund, payment)


def _ref(value) -> str:
    if isinstance(value, dict):
        return value.get("id", "")
    return value or ""


def _is_stale(event: WebhookEvent, object_id: str) -> bool:
    """True when a newer event about the same object has already been handled (applied or found
    to need nothing): Stripe does not deliver in order."""
    created = event.payload.get("created") or 0
    newer = (
        WebhookEvent.objects.filter(
            creator=event.creator,
            gateway=Gateway.STRIPE,
            type__startswith="customer.subscription.",
            status__in=[WebhookEvent.Status.PROCESSED, WebhookEvent.Status.IGNORED],
            payload__data__object__id=object_id,
        )
        .exclude(pk=event.pk)
        .values_list("payload__created", flat=True)
    )
    return any((other or 0) > created for other in newer)


def on_subscription_updated(event: WebhookEvent) -> str:
    data = _object(event)
    subscription = _subscription(event, data["id"])
    if subscription is None:
        raise NotYetKnown(f"subscription {data['id']} is not recorded yet")
    if _is_stale(event, data["id"]):
        return "ignored"
    changed = stripe_subscription_apply(subscription=subscription, data=data, actor=STRIPE, source=SOURCE)
    return "processed" if changed else "ignored"


def on_subscription_deleted(event: WebhookEvent) -> str:
    data = _object(event)
    subscription = _subscription(event, data["id"])
    if subscription is None:
        raise NotYetKnown(f"subscription {data['id']} is not recorded yet")
    changed = stripe_subscription_apply(
        subscription=subscription, data={**data, "status": "canceled"}, actor=STRIPE, source=SOURCE
    )
    return "processed" if changed else "ignored"


HANDLERS = {
    "checkout.session.completed": on_checkout_completed,
    # Bank debits and other delayed methods complete the session before the money arrives.
    "checkout.session.async_payment_succeeded": on_checkout_completed,
    "invoice.paid": on_invoice_paid,
    "invoice.payment_succeeded": on_invoice_paid,
    "invoice.payment_failed": on_invoice_payment_failed,
    "charge.refunded": on_charge_refunded,
    "charge.refund.updated": on_refund_event,
    "refund.created": on_refund_event,
    "refund.updated": on_refund_event,
    "customer.subscription.updated": on_subscription_updated,
    "customer.subscription.deleted": on_subscription_deleted,
}


def webhook_events_replay(*, failed_only: bool = True, creator=None) -> list[WebhookEvent]:
    """Processes stored events again (failed ones by default); returns them with their new status."""
    events = WebhookEvent.objects.filter(gateway=Gateway.STRIPE).exclude(type=REFUSED_TYPE)
    if failed_only:
        events = events.filter(status=WebhookEvent.Status.FAILED)
    else:
        events = events.filter(status__in=[WebhookEvent.Status.FAILED, WebhookEvent.Status.RECEIVED])
    if creator is not None:
        events = events.filter(creator=creator)
    return [webhook_event_process(event=event) for event in events.order_by("received_at", "pk")]
