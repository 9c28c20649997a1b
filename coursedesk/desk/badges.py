"""What the profile's badges say about a payment."""

from dataclasses import dataclass

from coursedesk.billing.selectors import payment_refund_status


@dataclass(frozen=True)
class Badge:
    css: str
    label: str


def payment_badge(payment) -> Badge:
    """A refunded payment is no longer shown as paid."""
    if payment.status != "succeeded":
        return Badge("failed", "Failed")
    return {
        "full": Badge("refunded", "Refunded"),
        "partial": Badge("partly-refunded", "Partly refunded"),
    }.get(payment_refund_status(payment), Badge("succeeded", "Paid"))
