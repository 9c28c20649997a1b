"""{% if subscription|can_move_to:"paused" %}: which actions the profile offers for a subscription,
from the subscription's own table of allowed moves. {% with s=customer|undeliverable %}: why emails
to the customer's address are not sent, if they are not."""

from django import template

from coursedesk.mail.models import EmailSuppression
from coursedesk.mail.services import email_suppression_active

register = template.Library()


@register.filter
def can_move_to(subscription, status: str) -> bool:
    return subscription.can_move_to(status)


@register.filter
def undeliverable(customer) -> EmailSuppression | None:
    return email_suppression_active(customer)
