"""The digest of a page's values: equal for equal values, different for any difference."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal

import pytest

from coursedesk.catalog.models import Course
from coursedesk.core.digest import NotDigestible, digest
from coursedesk.customers.models import Customer, Enrolment

MOMENT = dt.datetime(2026, 11, 21, 10, tzinfo=dt.UTC)


def customer(**fields):
    values = {
        "pk": 7,
        "email": "zoe@example.com",
        "first_name": "Zoë",
        "tag_names": ["vip"],
        "created_at": MOMENT,
    }
    return Customer(**{**values, **fields})


def test_equal_values_equal_digests():
    assert digest(customer(), [1, "a"]) == digest(customer(), [1, "a"])


@pytest.mark.parametrize(
    "other",
    [
        customer(email="zoe@example.org"),
        customer(tag_names=["vip", "beta"]),
        customer(pk=8),
        customer(first_name=""),
    ],
)
def test_a_field_that_differs_gives_another_digest(other):
    assert digest(customer()) != digest(other)


def test_annotations_and_related_objects_count():
    first, second = (Enrolment(pk=1, course_id=3, granted_at=MOMENT) for _ in range(2))
    first.status_now, second.status_now = "active", "expired"
    assert digest(first) != digest(second)
    second.status_now = "active"
    assert digest(first) == digest(second)
    first.course, second.course = Course(pk=3, title="Ink"), Course(pk=3, title="Ink II")
    assert digest(first) != digest(second)


def test_kinds_and_zones_are_told_apart():
    assert digest(1) != digest("1") != digest(True)
    assert digest(decimal.Decimal("1.0")) != digest(1.0)
    utc = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    assert digest(utc) != digest(utc.astimezone(dt.timezone(dt.timedelta(hours=1))))
    assert digest(["a", "b"]) != digest(["a,b"]) != digest(["ab"])
    assert digest({"a": 1}) != digest({"a": 2}) != digest([("a", 1)])


def test_dataclasses_are_read_field_by_field():
    @dataclasses.dataclass
    class Row:
        label: str

    assert digest(Row("a")) == digest(Row("a")) != digest(Row("b"))


def test_what_it_cannot_read_is_refused():
    with pytest.raises(NotDigestible):
        digest(object())
    looped: list = []
    looped.append(looped)
    with pytest.raises(NotDigestible):
        digest(looped)
