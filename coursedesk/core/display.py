"""How people read times and amounts on pages: the creator's time zone and date format, and whether
amounts carry their currency code (when the creator sells in more than one currency).

A request sets the display once (desk pages for the signed-in creator, student pages for the course's
creator); templates and sentences then format through `day`, `moment` and `money_text`. The API does
not use it: it answers in ISO 8601 UTC.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property

from django.utils import dateformat, timezone, translation
from django.utils.dates import MONTHS_3

from coursedesk.core.money import Money

# Django date-format strings and how 7 November 2026 reads in each.
DATE_FORMATS = {
    "j M Y": "7 Nov 2026",
    "M j, Y": "Nov 7, 2026",
    "Y-m-d": "2026-11-07",
    "d/m/Y": "07/11/2026",
    "m/d/Y": "11/07/2026",
}
DEFAULT_DATE_FORMAT = "j M Y"
DEFAULT_TIME_ZONE = "UTC"


def time_zone_names() -> list[str]:
    return sorted(name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC")


@dataclass
class Display:
    date_format: str = DEFAULT_DATE_FORMAT
    time_zone: str = DEFAULT_TIME_ZONE
    # Asked only when an amount is shown: whether the creator sells in several currencies.
    several_currencies: Callable[[], bool] = field(default=lambda: False)

    @cached_property
    def currency_codes(self) -> bool:
        return bool(self.several_currencies())

    def currencies_known(self, several: bool) -> None:
        """Records an answer read along with other data, so that asking costs no query."""
        self.__dict__["currency_codes"] = several

    @cached_property
    def zone(self) -> dt.tzinfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return dt.UTC


_display: ContextVar[Display | None] = ContextVar("display", default=None)


def display_current() -> Display:
    return _display.get() or Display()


def display_use(display: Display | None) -> None:
    """Makes `display` the one this request formats with (None: the defaults); Django's own time
    zone follows it, so forms read typed dates in the creator's zone too."""
    _display.set(display)
    if display is None:
        timezone.deactivate()
    else:
        timezone.activate(display.zone)


def day(value: dt.datetime | dt.date | None, empty: str = "") -> str:
    """A date in the creator's format ("7 Nov 2026"); a moment is first moved to their zone."""
    if value is None or value == "":
        return empty
    display = display_current()
    if isinstance(value, dt.datetime):
        value = value.astimezone(display.zone) if timezone.is_aware(value) else value
    return date_text(value, display.date_format)


def moment(value: dt.datetime | None, empty: str = "") -> str:
    """A moment in the creator's format and zone, with the zone's name: "7 Nov 2026, 14:05 CET"."""
    if value is None or value == "":
        return empty
    display = display_current()
    local = value.astimezone(display.zone) if timezone.is_aware(value) else value
    return f"{date_text(local, display.date_format)}, {local:%H:%M} {local.tzname() or ''}".strip()


def money_text(money: Money) -> str:
    """An amount as people read it: "$19.00", or "$19.00 USD" when the creator sells in several
    currencies (a dollar sign alone does not say which dollar)."""
    text = money.format()
    return f"{text} {money.currency.upper()}" if display_current().currency_codes else text


# How dateformat writes the letters of DATE_FORMATS; any other letter is left to dateformat.
_FIELDS = {
    "j": lambda value, months: str(value.day),
    "d": lambda value, months: f"{value.day:02d}",
    "m": lambda value, months: f"{value.month:02d}",
    "M": lambda value, months: months[value.month - 1],
    "Y": lambda value, months: f"{value.year:04d}",
}


def date_text(value: dt.date, date_format: str) -> str:
    """`dateformat.format(value, date_format)`, without reading the format again at each call: a
    profile writes a few dozen dates, and dateformat took a fifth of its rendering."""
    parts = _format_parts(date_format)
    if parts is None:
        return dateformat.format(value, date_format)
    months = _month_abbreviations(translation.get_language())
    return "".join(part if isinstance(part, str) else part(value, months) for part in parts)


@functools.cache
def _format_parts(date_format: str) -> tuple | None:
    parts = []
    for char in date_format:
        if char in _FIELDS:
            parts.append(_FIELDS[char])
        elif char.isalpha() or char == "\\":
            return None
        else:
            parts.append(char)
    return tuple(parts)


@functools.cache
def _month_abbreviations(language: str | None) -> tuple[str, ...]:
    # Read while `language` is the active one: dateformat's "M" in that language.
    return tuple(str(MONTHS_3[month]).title() for month in range(1, 13))
