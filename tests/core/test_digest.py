"""The digest of a page's values: equal for equal values, different for any difference."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal

import pytest

from coursedesk.catalog.models import Course
from coursedesk.core.digest import NotDigestible, answered_digest, digest
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


# --- rows as the database answered them ----------------------------------------------------------


def answered_text(rows) -> str:
    return answered_digest(rows, "the same values")


def test_answered_rows_are_written_in_full():
    moment = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    rows = [[(1, "Zoë", moment, None, True, decimal.Decimal("9.50"))], [(2, "{}", 1.5, dt.date(2026, 1, 1))]]
    assert answered_text(rows) == answered_text([list(found) for found in rows])
    changed = [[(1, "Zoe", moment, None, True, decimal.Decimal("9.50"))], rows[1]]
    assert answered_text(changed) != answered_text(rows)


def test_answered_rows_tell_kinds_zones_and_queries_apart():
    utc = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    assert answered_text([[(1,)]]) != answered_text([[("1",)]]) != answered_text([[(True,)]])
    assert answered_text([[(utc,)]]) != answered_text(
        [[(utc.astimezone(dt.timezone(dt.timedelta(hours=1))),)]]
    )
    assert answered_text([[(utc,)]]) != answered_text([[(utc.replace(tzinfo=None),)]])
    # the same rows answered by other queries: one row moved from the first list to the second
    assert answered_text([[(1,), (2,)], []]) != answered_text([[(1,)], [(2,)]])
    assert answered_text([[("a,b",)]]) != answered_text([[("a", "b")]])


def test_a_cell_it_cannot_write_in_full_is_refused():
    with pytest.raises(NotDigestible, match="memoryview"):
        answered_text([[(1, memoryview(b"abc"))]])  # its repr is its address, not its bytes
    with pytest.raises(NotDigestible):
        answered_text([[(1, ["a list"])]])
    with pytest.raises(NotDigestible):
        answered_text([[[1, 2]]])  # a row is a tuple


def test_answered_rows_and_values_are_told_apart():
    assert answered_digest([[(1,)]], "a") != answered_digest([[(1,)]], "b")
    assert answered_digest([[(1,)]], "a") == answered_digest([[(1,)]], "a")
    # text holding the separator stays inside its own part
    assert answered_digest([[("x\x1fy",)]], "a") != answered_digest([[("y",)]], "a\x1fx")
