"""{% if subscription|can_move_to:"paused" %}: which actions the profile offers for a subscription,
from the subscription's own table of allowed moves. {% with s=customer|undeliverable %}: why emails
to the customer's address are not sent, if they are not. {% id_url %} is the
core library's (coursedesk/core/templatetags/links.py)."""

from dataclasses import dataclass

from django import template

from coursedesk.billing.selectors import payment_refund_status
from coursedesk.core.templatetags.links import id_url
from coursedesk.mail.models import EmailSuppression
from coursedesk.mail.services import email_suppression_active

register = template.Library()

register.simple_tag(id_url, name="id_url")


@register.filter
def can_move_to(subscription, status: str) -> bool:
    return subscription.can_move_to(status)


@register.filter
def undeliverable(customer) -> EmailSuppression | None:
    return email_suppression_active(customer)


@dataclass(frozen=True)
class Badge:
    css: str
    label: str


@register.filter
def payment_badge(payment) -> Badge:
    """What a payment's badge says: a refunded payment is no longer shown as paid."""
    if payment.status != "succeeded":
        return Badge("failed", "Failed")
    return {
        "full": Badge("refunded", "Refunded"),
        "partial": Badge("partly-refunded", "Partly refunded"),
    }.get(payment_refund_status(payment), Badge("succeeded", "Paid"))
