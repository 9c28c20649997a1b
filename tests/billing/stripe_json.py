"""Stripe's documented JSON shapes, for what localstripe does not have (checkout sessions, prices,
pause_collection, refund and invoice.paid events), and signed deliveries of them.

Shapes follow Stripe's API reference (Event, Checkout Session, Invoice, Charge, Refund, Subscription);
only the fields CourseDesk reads are filled in.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time

_ids = itertools.count(1)
WEBHOOK_SECRET = "whsec_test_coursedesk"


def new_id(prefix: str) -> str:
    return f"{prefix}_test{next(_ids):06d}"


def event(type: str, obj: dict, *, created: int | None = None, event_id: str | None = None) -> dict:
    return {
        "id": event_id or new_id("evt"),
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": created or int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": type,
        "data": {"object": obj},
    }


def signature(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header: t=<unix time>,v1=<HMAC-SHA256 of "t.payload">."""
    timestamp = timestamp or int(time.time())
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def checkout_session(
    *,
    session_id: str,
    mode: str = "payment",
    amount: int = 4900,
    currency: str = "usd",
    customer: str = "cus_test_buyer",
    email: str = "ada@example.com",
    client_reference: str = "",
    payment_intent: str | None = None,
    subscription: str | None = None,
    invoice: str | None = None,
) -> dict:
    return {
        "id": session_id,
        "object": "checkout.session",
        "mode": mode,
        "status": "complete",
        "payment_status": "paid",
        "amount_total": amount,
        "currency": currency,
        "customer": customer,
        "customer_details": {"email": email},
        "client_reference_id": client_reference,
        "payment_intent": payment_intent if mode == "payment" else None,
        "subscription": subscription,
        "invoice": invoice,
        "metadata": {},
        "url": None,
    }


def invoice(
    *,
    invoice_id: str,
    subscription: str,
    amount: int = 1900,
    billing_reason: str = "subscription_cycle",
    period_end: int = 1798000000,
    status: str = "paid",
    currency: str = "usd",
    next_payment_attempt: int | None = None,
) -> dict:
    """An invoice in the current shape: the subscription under parent.subscription_details.
    `next_payment_attempt` is when Stripe retries an unpaid invoice (null once paid)."""
    return {
        "id": invoice_id,
        "object": "invoice",
        "status": status,
        "billing_reason": billing_reason,
        "amount_paid": amount if status == "paid" else 0,
        "amount_due": amount,
        "currency": currency,
        "next_payment_attempt": next_payment_attempt,
        "parent": {"type": "subscription_details", "subscription_details": {"subscription": subscription}},
        "lines": {"object": "list", "data": [{"period": {"start": period_end - 2592000, "end": period_end}}]},
    }


def refund(
    *,
    refund_id: str,
    amount: int,
    charge: str,
    payment_intent: str,
    status: str = "succeeded",
    metadata: dict | None = None,
    created: int | None = None,
) -> dict:
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "currency": "usd",
        "status": status,
        "charge": charge,
        "payment_intent": payment_intent,
        "reason": "requested_by_customer",
        "metadata": metadata or {},
        "created": created or int(time.time()),
    }


def charge(*, charge_id: str, payment_intent: str, amount: int, refunds: list[dict]) -> dict:
    refunded = sum(r["amount"] for r in refunds)
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "payment_intent": payment_intent,
        "amount_refunded": refunded,
        "refunded": refunded >= amount,
        "refunds": {"object": "list", "data": refunds},
    }


def subscription(
    *, subscription_id: str, status: str = "active", pause_collection: dict | None = None
) -> dict:
    return {
        "id": subscription_id,
        "object": "subscription",
        "status": status,
        "pause_collection": pause_collection,
        "cancel_at_period_end": False,
    }


def deliver(client, endpoint_id: str, body: dict, *, secret: str = WEBHOOK_SECRET, signed: bool = True):
    payload = json.dumps(body).encode()
    headers = {"HTTP_STRIPE_SIGNATURE": signature(payload, secret)} if signed else {}
    return client.post(
        f"/webhooks/stripe/{endpoint_id}/", data=payload, content_type="application/json", **headers
    )
