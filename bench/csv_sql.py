"""The students CSV written by the database itself: one SELECT per database that formats every cell
the way the export does (labels, times, money, formula neutralising), and the two readers that make
the database produce the CSV with no Python in the loop, the raw limit of the export:

- PostgreSQL: `COPY (<select>) TO STDOUT WITH (FORMAT csv)`, read through psycopg 3 in 1 MB blocks;
- SQLite: the `sqlite3` command-line shell with `.mode csv` on the same SELECT.

Empty cells are NULL, because both tools quote an empty string and write NULL as nothing, as the
export does. tests/bench/test_csv_sql.py holds the SELECTs to the export's own output.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

from coursedesk.billing.models import Payment, Refund, Subscription
from coursedesk.core.money import THREE_DECIMAL_CURRENCIES, ZERO_DECIMAL_CURRENCIES
from coursedesk.customers.models import EnrolmentStatus

BLOCK = 1024 * 1024
# A cell starting with one of these is read as a formula by spreadsheet programs: a quote goes first.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _in(values) -> str:
    return "(" + ", ".join(_literal(v) for v in sorted(values)) + ")"


def _labels(expression: str, choices) -> str:
    whens = " ".join(f"WHEN {_literal(value)} THEN {_literal(str(label))}" for value, label in choices)
    return f"CASE {expression} {whens} END"


class Dialect:
    """What differs between the two databases: placeholders, characters, substrings and times."""

    course = now = ""
    # Keeps the inner SELECT whole: merged into the outer one, each of its subqueries would run
    # once for every time the formatting names its column.
    fence = ""
    outer_order = ""

    def char(self, code: int) -> str:
        raise NotImplementedError

    def first_character(self, expression: str) -> str:
        raise NotImplementedError

    def text(self, expression: str) -> str:
        raise NotImplementedError

    def padded(self, expression: str, width: int) -> str:
        raise NotImplementedError

    def remainder(self, expression: str, divisor: int) -> str:
        raise NotImplementedError

    def time(self, expression: str) -> str:
        """A stored time as "2026-11-21 10:00:00 UTC" (seconds truncated), NULL stays NULL."""
        raise NotImplementedError


class Postgres(Dialect):
    course, now = "%(course)s", "%(now)s"
    fence = "OFFSET 0"
    outer_order = "ORDER BY t.id"  # served by the inner ORDER BY: no second sort

    def char(self, code):
        return f"chr({code})"

    def first_character(self, expression):
        return f"left({expression}, 1)"

    def text(self, expression):
        return f"({expression})::text"

    def padded(self, expression, width):
        return f"lpad(({expression})::text, {width}, '0')"

    def remainder(self, expression, divisor):
        return f"mod({expression}, {divisor})"  # a bare % would be read as a placeholder

    def time(self, expression):
        return f"to_char({expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC'"


class Sqlite(Dialect):
    # Named placeholders: Python's sqlite3 and the shell's `.parameter set` both read them.
    course, now = ":course", ":now"
    fence = "LIMIT -1 OFFSET 0"
    # SQLite reads the fenced SELECT as a co-routine, in its own order; an outer ORDER BY would
    # sort every row again in a temporary b-tree before writing the first one.
    outer_order = ""

    def char(self, code):
        return f"char({code})"

    def first_character(self, expression):
        return f"substr({expression}, 1, 1)"

    def text(self, expression):
        return f"CAST({expression} AS TEXT)"

    def padded(self, expression, width):
        return f"substr('{'0' * width}' || ({expression}), -{width})"

    def remainder(self, expression, divisor):
        return f"({expression} % {divisor})"

    def time(self, expression):
        # Django stores "2026-11-21 10:00:00[.ffffff]" in UTC.
        return f"substr({expression}, 1, 19) || ' UTC'"


DIALECTS = {"postgresql": Postgres(), "sqlite": Sqlite()}


def students_csv_select(vendor: str) -> str:
    """The export's rows, every cell formatted, in the export's order (enrolment id)."""
    d = DIALECTS[vendor]
    starts = ", ".join(d.char(ord(c)) if not c.isprintable() else _literal(c) for c in FORMULA_STARTS)

    def neutralised(expression: str) -> str:
        first = d.first_character(expression)
        return f"CASE WHEN {first} IN ({starts}) THEN '''' || {expression} ELSE {expression} END"

    def money(expression: str) -> str:
        # Major units with the currency's decimals and no separator, as the export writes them.
        currency = "LOWER(t.currency)"
        return (
            f"CASE WHEN {currency} IN {_in(ZERO_DECIMAL_CURRENCIES)} THEN {d.text(expression)} "
            f"WHEN {currency} IN {_in(THREE_DECIMAL_CURRENCIES)} THEN "
            f"{d.text(f'{expression} / 1000')} || '.' || {d.padded(d.remainder(expression, 1000), 3)} "
            f"ELSE {d.text(f'{expression} / 100')} || '.' || {d.padded(d.remainder(expression, 100), 2)} END"
        )

    succeeded = _literal(Payment.Status.SUCCEEDED)
    counted = _in(Refund.COUNTED_STATUSES)
    same_enrolment = "p.customer_id = e.customer_id AND p.course_id = e.course_id"
    return f"""
SELECT NULLIF({neutralised("t.first_name")}, ''),
       NULLIF({neutralised("t.last_name")}, ''),
       NULLIF({neutralised("t.email")}, ''),
       CASE WHEN t.revoked_at IS NOT NULL THEN {_literal(EnrolmentStatus.REVOKED.label)}
            WHEN t.expires_at <= {d.now} THEN {_literal(EnrolmentStatus.EXPIRED.label)}
            ELSE {_literal(EnrolmentStatus.ACTIVE.label)} END,
       {d.time("t.granted_at")},
       {d.time("t.expires_at")},
       {neutralised("COALESCE(NULLIF(t.page_name, ''), 'Granted by hand')")},
       {money("t.paid")},
       {money("t.refunded")},
       NULLIF(UPPER(t.currency), ''),
       {_labels("t.subscription_status", Subscription.Status.choices)},
       {d.time("t.last_login_at")}
  FROM (SELECT e.id, c.first_name, c.last_name, c.email, e.revoked_at, e.expires_at, e.granted_at,
               pp.name AS page_name, c.last_login_at,
               COALESCE((SELECT SUM(p.amount) FROM billing_payment p
                          WHERE {same_enrolment} AND p.status = {succeeded}), 0) AS paid,
               COALESCE((SELECT SUM(r.amount) FROM billing_refund r
                           JOIN billing_payment p ON p.id = r.payment_id
                          WHERE {same_enrolment} AND p.status = {succeeded}
                            AND r.status IN {counted}), 0) AS refunded,
               (SELECT p.currency FROM billing_payment p WHERE {same_enrolment}
                 ORDER BY p.paid_at DESC, p.id DESC LIMIT 1) AS currency,
               (SELECT s.status FROM billing_subscription s
                 WHERE s.customer_id = e.customer_id AND s.course_id = e.course_id
                 ORDER BY s.started_at DESC, s.id DESC LIMIT 1) AS subscription_status
          FROM customers_enrolment e
          JOIN customers_customer c ON c.id = e.customer_id
          LEFT JOIN catalog_paymentpage pp ON pp.id = e.payment_page_id
         WHERE e.course_id = {d.course}
         ORDER BY e.id {d.fence}) t
 {d.outer_order}"""


def students_csv_params(connection, *, course_id: int, now) -> dict:
    """The SELECT's parameters, the time adapted as Django would compare it on this database."""
    return {"course": int(course_id), "now": connection.ops.adapt_datetimefield_value(now)}


def postgres_copy_blocks(connection, *, course_id: int, now) -> Iterator[bytes]:
    """COPY of the SELECT as CSV, gathered into blocks of about 1 MB (no header)."""
    params = students_csv_params(connection, course_id=course_id, now=now)
    with connection.cursor() as cursor:
        query = cursor.mogrify(students_csv_select("postgresql"), params)
        with cursor.cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:
            block = bytearray()
            for data in copy:
                block += data
                if len(block) >= BLOCK:
                    yield bytes(block)
                    block.clear()
            if block:
                yield bytes(block)


def sqlite_shell() -> str:
    path = shutil.which("sqlite3")
    if path is None:
        raise RuntimeError("The sqlite3 command-line shell is missing: apt-get install sqlite3")
    return path


def sqlite_shell_script(*, course_id: int, now: str) -> str:
    """The shell's commands: CSV mode, the two parameters as SQL literals, the SELECT."""
    return (
        ".mode csv\n"
        f".parameter set :course {int(course_id)}\n"
        f'.parameter set :now "{_literal(now)}"\n'
        f"{students_csv_select('sqlite')};\n"
    )


def sqlite_shell_blocks(database: str, *, course_id: int, now: str) -> Iterator[bytes]:
    """The sqlite3 shell's `.mode csv` output of the SELECT, read from its pipe in 1 MB blocks.

    `now` is the time as stored text (students_csv_params gives it)."""
    process = subprocess.Popen(  # noqa: S603 - the system's sqlite3 shell on our own script
        [sqlite_shell(), "-batch", "-bail", database],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdin.write(sqlite_shell_script(course_id=course_id, now=now).encode())
    process.stdin.close()
    while block := process.stdout.read(BLOCK):
        yield block
    error = process.stderr.read()
    if process.wait() != 0 or error:
        raise RuntimeError(f"sqlite3 failed: {error.decode(errors='replace')}")
