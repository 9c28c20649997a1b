"""{{ payment.amount|money:payment.currency }} → "$49.00": amounts in minor units, shown as money."""

from django import template

from coursedesk.core.money import Money

register = template.Library()


@register.filter
def money(amount: int, currency: str) -> str:
    return Money(amount, currency).format()
