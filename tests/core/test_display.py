"""Dates as the creator reads them (coursedesk.core.display): the quick writing of the date formats
gives what Django's dateformat gives."""

import datetime as dt
import zoneinfo

from django.utils import dateformat, translation
from hypothesis import given
from hypothesis import strategies as st

from coursedesk.core.display import DATE_FORMATS, Display, date_text, day, display_use, moment

MOMENTS = st.datetimes(
    min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31), timezones=st.just(dt.UTC)
)


@given(value=st.one_of(st.dates(), MOMENTS), date_format=st.sampled_from(sorted(DATE_FORMATS)))
def test_every_date_format_is_written_as_dateformat_writes_it(value, date_format):
    assert date_text(value, date_format) == dateformat.format(value, date_format)


def test_a_format_with_other_letters_is_left_to_dateformat():
    value = dt.datetime(2026, 11, 7, 14, 5, tzinfo=dt.UTC)
    assert date_text(value, "l, jS F Y \\a\\t H:i") == dateformat.format(value, "l, jS F Y \\a\\t H:i")
    assert date_text(value, "l, jS F Y \\a\\t H:i") == "Saturday, 7th November 2026 at 14:05"


def test_the_months_follow_the_active_language():
    value = dt.date(2026, 5, 7)
    with translation.override("de"):
        assert date_text(value, "j M Y") == dateformat.format(value, "j M Y")
    assert date_text(value, "j M Y") == "7 May 2026"


def test_day_and_moment_in_the_creators_format_and_zone():
    display_use(Display(date_format="M j, Y", time_zone="Europe/Paris"))
    try:
        moment_in_utc = dt.datetime(2026, 11, 7, 23, 30, tzinfo=dt.UTC)
        assert day(moment_in_utc) == "Nov 8, 2026"
        assert moment(moment_in_utc) == "Nov 8, 2026, 00:30 CET"
        assert day(None, "never") == "never"
        assert moment(moment_in_utc.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))) == "Nov 8, 2026, 00:30 CET"
    finally:
        display_use(None)
