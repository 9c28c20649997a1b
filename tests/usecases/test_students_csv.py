"""The students CSV is written by the database (COPY on PostgreSQL, lines built in SQL on SQLite) and
is byte for byte what the reference writer (Python's csv module, row by row) writes, on data that
exercises every formatting rule, on whichever database the suite runs."""

import pytest

from coursedesk.core import clock
from coursedesk.usecases import students_csv
from coursedesk.usecases.students_csv import _crlf, csv_blocks, students_csv_reference_lines
from tests.api.conftest import api  # noqa: F401 - the fixture
from tests.bench.test_csv_sql import course_with_every_case  # noqa: F401 - the fixture
from tests.factories import make_customer, make_enrolment


def reference_bytes(course) -> bytes:
    return "".join(students_csv_reference_lines(course=course)).encode()


def test_the_export_is_the_reference_writers_bytes(course_with_every_case):  # noqa: F811
    expected = reference_bytes(course_with_every_case)

    exported = b"".join(csv_blocks(course=course_with_every_case))

    assert exported == expected
    assert exported.count(b"\r\n") == 6  # the header and five students
    assert b'"Line\nbreak"' in exported  # a typed line break stays inside its quoted cell


def test_the_export_through_the_api_is_the_reference_writers_bytes(api, course_with_every_case):  # noqa: F811
    response = api.get(f"/courses/{course_with_every_case.pk}/students.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(response.streaming_content) == reference_bytes(course_with_every_case)


def test_a_large_export_spans_blocks_and_equals_the_reference(creator, course, frozen_now, monkeypatch):
    # given 1,200 students whose names need quotes, and blocks of 64 KB or 300 rows
    monkeypatch.setattr(students_csv, "BLOCK", 64 * 1024)
    monkeypatch.setattr(students_csv, "SQLITE_ROWS", 300)
    for n in range(1200):
        customer = make_customer(
            creator,
            email=f"student{n}@example.com",
            first_name=f'Quoted "{n}", with a comma' + " and some padding" * 4,
            last_name="Line\nbreak" if n % 97 == 0 else "Plain",
        )
        make_enrolment(customer, course)

    blocks = list(csv_blocks(course=course, now=clock.now()))

    assert b"".join(blocks) == reference_bytes(course)
    assert len(blocks) >= 4  # the header, then several blocks of rows


@pytest.mark.parametrize(
    ("copied", "written"),
    [
        (b"a,b\nc,d\n", b"a,b\r\nc,d\r\n"),
        (b'"x\ny",b\n"q""\n",d\n', b'"x\ny",b\r\n"q""\n",d\r\n'),
        (b'a,"b,c"\n', b'a,"b,c"\r\n'),
    ],
)
def test_copys_line_ends_become_crlf_and_typed_line_breaks_stay(copied, written):
    assert _crlf(copied) == written
