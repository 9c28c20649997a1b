"""{{ payment.amount|money:payment.currency }} → "$49.00"; {{ when|day }} and {{ when|moment }} →
dates and times in the creator's format and zone (see core.display)."""

from django import template

from coursedesk.core import display
from coursedesk.core.money import Money

register = template.Library()


@register.filter
def money(amount: int, currency: str) -> str:
    return display.money_text(Money(amount, currency))


@register.filter
def day(value, empty: str = "") -> str:
    return display.day(value, empty)


@register.filter
def moment(value, empty: str = "") -> str:
    return display.moment(value, empty)
