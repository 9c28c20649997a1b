"""Audit events as sentences a creator reads: "Refunded $20.00 of Watercolor Foundations"."""

from __future__ import annotations

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

SENTENCES = {
    "customer.created": "Became a customer",
    "customer.updated": "Details changed",
    "customer.signed_in": "Signed in",
    "enrolment.granted": "Was given access to {course}",
    "enrolment.revoked": "Access to {course} revoked",
    "enrolment.restored": "Access to {course} granted again",
    "enrolment.expiration_changed": "Expiration of {course} changed",
    "payment.succeeded": "Paid {amount} for {course}",
    "payment.failed": "A payment of {amount} for {course} failed",
    "payment.refunded": "Refunded {amount} of {course}",
    "payment.refund_failed": "A refund of {amount} for {course} failed",
    "customer.erased": "Personal data erased on request",
    "customer.password_reset": "Set a new password",
    "customer.password_reset_requested": "Password reset link requested for {course}",
    "subscription.recovered": "Subscription to {course} is paid up again",
    "subscription.created": "Subscribed to {course}",
    "subscription.canceled": "Subscription to {course} canceled",
    "subscription.paused": "Subscription to {course} paused",
    "subscription.resumed": "Subscription to {course} resumed",
    "subscription.past_due": "Subscription to {course} is past due",
    "subscription.completed": "Payment plan for {course} completed",
    "email.queued": "Email queued: {subject}",
    "email.sent": "Email sent: {subject}",
    "email.failed": "Email failed: {subject}",
    "password_reset.requested": "Password reset link sent for {course}",
}


def _money(data: dict) -> str:
    amount = data.get("amount")
    if isinstance(amount, dict):  # an old → new change
        amount = amount.get("new")
    currency = data.get("currency") or "usd"
    if isinstance(amount, int) and not isinstance(amount, bool):
        try:
            return Money(amount, currency).format()
        except (TypeError, ValueError):
            return str(amount)
    return "a payment"


def _short(value) -> str:
    if value is None or value == "":
        return "none"
    text = str(value)
    # ISO times read better without seconds and offset: 2026-11-21T10:00:00+00:00 → 2026-11-21 10:00
    if len(text) >= 16 and text[4] == "-" and text[10] == "T":
        return text[:10] + " " + text[11:16]
    return text


def event_sentence(event) -> str:
    data = event.data or {}
    template = SENTENCES.get(event.type)
    if template is None:
        return event.type.replace("_", " ").replace(".", ": ", 1).capitalize()
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
