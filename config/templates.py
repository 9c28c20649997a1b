"""The Jinja2 environment of CourseDesk's pages (coursedesk/jinja2/): Django's addresses and static
files, and the creator's dates and amounts, as the templates' globals and filters.

Pages are Jinja2 rather than Django templates for speed: a customer's profile renders in about a
third of the time (its lists are hundreds of values and a dozen loops). Django's template engine stays
for the admin and for form widgets. Methods are called with parentheses, as in Python: a method
written without them is an error rather than text on the page (see `_finalize`).
"""

from __future__ import annotations

import functools

import jinja2
from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import reverse

from coursedesk.audit import describe
from coursedesk.core import display
from coursedesk.core.addresses import id_url
from coursedesk.core.money import Money
from coursedesk.desk.badges import payment_badge
from coursedesk.mail.services import email_suppression_active


def url(name: str, *args, **kwargs) -> str:
    """{{ url('desk:customer', customer.pk) }}, as Django's {% url %}."""
    return reverse(name, args=args or None, kwargs=kwargs or None)


def money(amount: int, currency: str) -> str:
    """{{ payment.amount|money(payment.currency) }} → "$49.00"."""
    return display.money_text(Money(amount, currency))


def _finalize(value):
    """What {{ value }} writes. A method or function is a template written without the call's
    parentheses (Django's templates call them; Jinja2 does not): refuse it instead of writing
    "<bound method …>" on a page."""
    if callable(value) and not hasattr(value, "__html__"):
        raise TypeError(f"{value!r} is written into a page without being called")
    return value


def _linebreaksbr(value) -> str:
    return defaultfilters.linebreaksbr(value, autoescape=True)


def _linebreaks(value) -> str:
    return defaultfilters.linebreaks_filter(value, autoescape=True)


def _as_in_django(function):
    """A filter given what Django's templates give it for a value that is not there (`a.b|day`
    where `a` is None): an empty string, not Jinja2's Undefined, which the formatting filters do
    not take."""

    @functools.wraps(function)
    def filter_(value, *args, **kwargs):
        return function("" if isinstance(value, jinja2.Undefined) else value, *args, **kwargs)

    return filter_


def environment(**options) -> jinja2.Environment:
    options.pop("autoescape", None)
    # A missing value writes nothing, as in Django's templates, also along a chain (a.b.c).
    options["undefined"] = jinja2.ChainableUndefined
    env = jinja2.Environment(
        # HTML is escaped; plain-text emails (.txt) are not.
        autoescape=jinja2.select_autoescape(disabled_extensions=("txt",), default=True),
        finalize=_finalize,
        # A template's last line break is written, as Django's templates write it (emails end as they did).
        keep_trailing_newline=True,
        **options,
    )
    env.globals.update(url=url, id_url=id_url, static=static)
    filters = dict(
        # the creator's formats (coursedesk.core.display)
        day=display.day,
        moment=display.moment,
        money=money,
        # the timeline's sentences (coursedesk.audit.describe)
        event_sentence=describe.event_sentence,
        event_changes=describe.event_changes,
        event_actor=describe.event_actor,
        # the profile
        payment_badge=payment_badge,
        undeliverable=email_suppression_active,
        # Django's filters whose output differs from Jinja2's namesakes or that Jinja2 lacks
        capfirst=defaultfilters.capfirst,
        date=defaultfilters.date,
        filesizeformat=defaultfilters.filesizeformat,
        linebreaks=_linebreaks,
        linebreaksbr=_linebreaksbr,
        pluralize=defaultfilters.pluralize,
        title=defaultfilters.title,
        truncatechars=defaultfilters.truncatechars,
        urlencode=defaultfilters.urlencode,
    )
    env.filters.update({name: _as_in_django(function) for name, function in filters.items()})
    return env
