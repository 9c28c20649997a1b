"""Audit events as sentences a creator reads: "Refunded $20.00 of Watercolor Foundations"."""

from __future__ import annotations

import datetime as dt

from coursedesk.audit.types import AuditEventType
from coursedesk.core.display import moment, money_text
from coursedesk.core.money import Money

FIELD_LABELS = {
    "first_name": "first name",
    "last_name": "last name",
    "email": "email",
    "password": "password",
    "expires_at": "expiration",
    "status": "status",
    "next_payment_at": "next payment",
    "paused_until": "paused until",
    "amount": "amount",
    "refunded_total": "refunded",
    "refundable": "left to refund",
}
MONEY_FIELDS = {"amount", "refunded_total", "refundable"}
# Read once: `AuditEventType.values` builds the list of every type (and its label) at each call.
KNOWN_TYPES = frozenset(AuditEventType.values)


def _money(data: dict) -> str:
    amount = data.get("amount")
    if isinstance(amount, dict):  # an old → new change
        amount = amount.get("new")
    currency = data.get("currency") or "usd"
    if isinstance(amount, int) and not isinstance(amount, bool):
        try:
            return money_text(Money(amount, currency))
        except (TypeError, ValueError):
            return str(amount)
    return "a payment"


def _short(value) -> str:
    if value is None or value == "":
        return "none"
    text = str(value)
    # ISO times are read in the creator's format and zone: 2026-11-21T10:00:00+00:00 → 21 Nov 2026, 10:00 UTC
    if len(text) >= 16 and text[4] == "-" and text[10] == "T":
        try:
            return moment(dt.datetime.fromisoformat(text))
        except ValueError:
            return text
    return text


def event_sentence(event) -> str:
    data = event.data or {}
    if event.type not in KNOWN_TYPES:  # a type no longer written: say what it was called
        return event.type.replace("_", " ").replace(".", ": ", 1).capitalize()
    template = AuditEventType(event.type).label
    return template.format(
        course=data.get("course") or data.get("course_title") or "a course",
        amount=_money(data),
        subject=data.get("subject") or data.get("kind") or "",
    ).strip()


def event_changes(event) -> list[str]:
    """Each old → new value of the event, e.g. "email: a@x.com → b@x.com"; never a password."""
    lines = []
    for key, value in (event.data or {}).items():
        if not isinstance(value, dict):
            continue
        label = FIELD_LABELS.get(key, key.replace("_", " "))
        if key == "password":
            lines.append("password changed")
        elif "old" in value and "new" in value:
            old, new = value["old"], value["new"]
            if key in MONEY_FIELDS:
                old, new = (
                    _money({"amount": item, "currency": event.data.get("currency")}) for item in (old, new)
                )
            lines.append(f"{label}: {_short(old)} → {_short(new)}")
    reason = (event.data or {}).get("reason")
    if reason:
        lines.append(f"reason: {reason}")
    return lines


def event_actor(event) -> str:
    if event.actor_kind == "customer":
        return "the customer"
    if event.actor_kind == "system":
        return "CourseDesk"
    if event.actor_kind == "gateway":
        return f"{event.actor_label} (payment gateway)"
    return event.actor_label
