"""The raw limit of the students CSV is the same bytes as the export.

The export's SELECT (coursedesk/usecases/students_csv_sql.py) formats every cell in SQL; the
benchmark times the database writing that SELECT as
CSV with no Python in the loop (COPY on PostgreSQL, the sqlite3 shell on SQLite) against the export.
Here, on data that exercises every formatting rule, the SELECT's cells are the export's cells, and
each database's own CSV of them is the export's bytes up to its tool's CSV dialect, spelled out below.
"""

import csv
import datetime as dt
import io
import sqlite3

import pytest
from django.db import connection, transaction

from bench.csv_sql import (
    postgres_copy_blocks,
    sqlite_shell_blocks,
    students_csv_params,
    students_csv_select,
)
from coursedesk.billing.models import Payment, Refund, Subscription
from coursedesk.billing.receipts import receipt_issue
from coursedesk.catalog.models import Lesson
from coursedesk.core import clock
from coursedesk.customers.models import LessonProgress
from tests.desk.conftest import make_payment, make_refund, make_subscription
from tests.factories import make_course, make_customer, make_enrolment, make_page

NOW = dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def course_with_every_case(creator, other_creator, frozen_now):
    """Students covering each status, money in 0, 2 and 3 decimals, refunds of each status,
    subscriptions, formula-like and empty cells, commas, quotes, accents and a line break."""
    course = make_course(creator, title="Watercolor", slug="watercolor")
    lifetime = make_page(course, "one_time", name='Lifetime, with "quotes"', amount=4900)
    formula = make_page(course, "one_time", name='=HYPERLINK("x")', amount=5000, currency="jpy")
    monthly = make_page(course, "subscription", name="Monthly", amount=12345, currency="kwd")
    unnamed = make_page(course, "one_time", name="", amount=100)

    zoe = make_customer(creator, email="zoe@example.com", first_name="Zoë", last_name="Okafor")
    zoe.last_login_at = NOW - dt.timedelta(days=2, microseconds=1)
    zoe.save()
    make_enrolment(zoe, course, payment_page=lifetime, source="checkout")
    paid = make_payment(zoe, course, 4900, payment_page=lifetime)
    refund = make_refund(paid, 1000)
    make_refund(paid, 500, status=Refund.Status.PENDING)
    make_refund(paid, 200, status=Refund.Status.FAILED)  # not counted

    revoked = make_customer(creator, email="@at@example.com", first_name="=cmd", last_name="-minus")
    make_enrolment(revoked, course, revoked_at=NOW - dt.timedelta(hours=1))

    expired = make_customer(creator, email="tab@example.com", first_name="+plus", last_name="\tTab")
    make_enrolment(expired, course, payment_page=formula, expires_at=NOW - dt.timedelta(days=1))
    make_payment(expired, course, 5000, currency="jpy", payment_page=formula)

    expiring_now = make_customer(creator, email="now@example.com", first_name="", last_name="O'Brien, Jr.")
    make_enrolment(expiring_now, course, payment_page=monthly, expires_at=NOW)
    old = make_subscription(expiring_now, course, monthly, status=Subscription.Status.CANCELED)
    old.started_at = NOW - dt.timedelta(days=60)
    old.save()
    make_subscription(expiring_now, course, monthly, status=Subscription.Status.PAST_DUE)
    first = make_payment(expiring_now, course, 12345, currency="kwd", payment_page=monthly)
    second = make_payment(expiring_now, course, 7, currency="kwd", payment_page=monthly)

    later = make_customer(creator, email="later@example.com", first_name="Line\nbreak", last_name="Søren")
    make_enrolment(later, course, payment_page=unnamed, expires_at=NOW + dt.timedelta(days=30, seconds=1))
    make_payment(later, course, 100, currency="eur", status=Payment.Status.FAILED, payment_page=unnamed)

    elsewhere = make_course(other_creator, title="Other", slug="other")
    make_enrolment(make_customer(other_creator, email="not-listed@example.com"), elsewhere)
    second_course = make_course(creator, title="Second", slug="second")
    make_enrolment(zoe, second_course)
    # Receipts, numbered out of the order of the rows (ten and more, so the order is numeric);
    # a receipt of another course is not listed.
    with transaction.atomic():
        for _ in range(8):
            receipt_issue(payment=make_payment(zoe, second_course, 100))
        receipt_issue(payment=second)
        receipt_issue(payment=paid)
        receipt_issue(payment=paid, refund=refund)
        receipt_issue(payment=first)
    second = second_course

    # Progress: three lessons; Zoë completed two (66 %), the later student all (100 %); a lesson
    # of another course counts for that course only.
    lessons = [
        course.lessons.get(),
        *(Lesson.objects.create(course=course, position=n, title=f"Lesson {n}") for n in (2, 3)),
    ]
    for lesson in lessons[:2]:
        LessonProgress.objects.create(customer=zoe, lesson=lesson)
    for lesson in lessons:
        LessonProgress.objects.create(customer=later, lesson=lesson)
    LessonProgress.objects.create(customer=zoe, lesson=second.lessons.get())
    return course


def export_rows_bytes(api, course) -> bytes:
    """The export's body after the BOM and the header line."""
    response = api.get(f"/courses/{course.pk}/students.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeffFirst name,".encode())
    return body.split(b"\r\n", 1)[1]


def select_rows(course, *, people_only=False):
    vendor = connection.vendor
    params = students_csv_params(connection, course_id=course.pk, now=clock.now())
    select = students_csv_select(vendor, people_only=people_only)
    if vendor == "sqlite":
        connection.ensure_connection()
        return connection.connection.execute(select, params).fetchall()
    with connection.cursor() as cursor:
        cursor.execute(select, params)
        return cursor.fetchall()


def python_csv(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(["" if cell is None else cell for cell in row] for row in rows)
    return buffer.getvalue().encode()


def sqlite_shell_csv(rows) -> bytes:
    """CSV as the sqlite3 shell's `.mode csv` writes it: a cell is quoted when it holds a comma, a
    control character, a space, a double or single quote, or a byte outside ASCII; lines end with
    CRLF. Empty cells are NULL in the SELECT, which the shell writes as nothing."""
    quoted_bytes = {*range(0, 33), ord('"'), ord("'"), *range(127, 256)}

    def cell(text):
        raw = text.encode()
        if b"," in raw or quoted_bytes.intersection(raw):
            return b'"' + raw.replace(b'"', b'""') + b'"'
        return raw

    return b"".join(b",".join(cell(text) for text in row) + b"\r\n" for row in rows)


def test_the_select_gives_the_exports_cells_byte_for_byte(api, course_with_every_case):
    exported = export_rows_bytes(api, course_with_every_case)

    rows = select_rows(course_with_every_case)

    assert len(rows) == 5
    assert python_csv(rows) == exported
    assert rows[0] == (
        "Zoë",
        "Okafor",
        "zoe@example.com",
        "Active",
        "2026-11-21 10:00:00 UTC",
        None,
        'Lifetime, with "quotes"',
        "49.00",
        "15.00",
        "USD",
        None,
        "2026-11-19 09:59:59 UTC",
        "10 11",
        "66",
    )
    assert [row[12] for row in rows] == ["10 11", None, None, "9 12", None]


@pytest.mark.postgres_only
def test_the_bench_reference_has_the_same_people_and_no_money(course_with_every_case):
    """The bench's reference SELECT (`people_only`): the same rows and cells from the enrolments and
    customers, and the cells of payments, subscriptions, receipts and progress empty or zero."""
    full, people = select_rows(course_with_every_case), select_rows(course_with_every_case, people_only=True)
    own = [*range(7), 11]  # names, email, status, granted, expires, page, last login
    assert [[row[i] for i in own] for row in people] == [[row[i] for i in own] for row in full]
    assert {tuple(row[i] for i in (7, 8, 9, 10, 12, 13)) for row in people} == {
        ("0.00", "0.00", None, None, None, "0")
    }
    assert any(row[7] != "0.00" for row in full)  # the data has money the reference leaves out


def test_postgres_copy_writes_the_exports_bytes(api, course_with_every_case):
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    exported = export_rows_bytes(api, course_with_every_case)

    copied = b"".join(postgres_copy_blocks(connection, course_id=course_with_every_case.pk, now=clock.now()))

    # COPY ends its lines with LF where Python's csv module writes CRLF; every other byte is equal.
    assert copied == exported.replace(b"\r\n", b"\n")


# Committed rows, so that SQLite's backup can copy the test database to a file the shell opens.
@pytest.mark.django_db(transaction=True)
def test_sqlite_shell_writes_the_exports_cells(api, course_with_every_case, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the sqlite3 shell reads SQLite databases")
    exported = export_rows_bytes(api, course_with_every_case)
    database = tmp_path / "copy.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(database) as target:
        connection.connection.backup(target)
    now = students_csv_params(connection, course_id=0, now=clock.now())["now"]

    written = b"".join(sqlite_shell_blocks(str(database), course_id=course_with_every_case.pk, now=now))

    # The shell quotes more cells than Python's csv module; the cells, and so the rows, are equal.
    export_cells = list(csv.reader(io.StringIO(exported.decode())))
    assert written == sqlite_shell_csv(export_cells)
    assert list(csv.reader(io.StringIO(written.decode()))) == export_cells
