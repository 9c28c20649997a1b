"""Billing calendar: the next due date one month or one year on, keeping the day where it exists."""

from __future__ import annotations

import calendar
import datetime as dt


def add_interval(moment: dt.datetime, interval: str, count: int = 1) -> dt.datetime:
    """`moment` moved by `count` months or years; the 31st becomes the month's last day if needed."""
    months = count * (12 if interval == "year" else 1)
    if interval not in ("month", "year"):
        raise ValueError(f"unknown billing interval {interval!r}")
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def next_due_after(due: dt.datetime, interval: str, now: dt.datetime) -> dt.datetime:
    """The first due date after `now` on the subscription's calendar (no back-charging after downtime)."""
    count = 1
    while (following := add_interval(due, interval, count)) <= now:
        count += 1
    return following


def first_due_from(due: dt.datetime, interval: str, moment: dt.datetime) -> dt.datetime:
    """The first date of the subscription's calendar (`due`, one interval on, two…) at or after
    `moment`; `due` itself when it is not before `moment`."""
    count = 0
    while (following := add_interval(due, interval, count)) < moment:
        count += 1
    return following
