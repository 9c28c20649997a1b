"""{% if subscription|can_move_to:"paused" %}: which actions the profile offers for a subscription,
from the subscription's own table of allowed moves."""

from django import template

register = template.Library()


@register.filter
def can_move_to(subscription, status: str) -> bool:
    return subscription.can_move_to(status)
