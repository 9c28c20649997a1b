"""The students CSV's cells formatted by the database: one SELECT per database that formats every
cell the way the export shows it (labels, times, money, formula neutralising), so the export streams
what the database writes with no Python code per row:

- PostgreSQL: `COPY (<select>) TO STDOUT WITH (FORMAT csv)`, read through psycopg 3; each
  student's money and progress cells come already written from the row PostgreSQL keeps for the
  customer and course (billing/csv_summary.py);
- SQLite: the same cells, fetched thousands of rows at a time and written by Python's csv module
  (its C writer, one call per block).

Empty cells are NULL, because COPY quotes an empty string and writes NULL as nothing, as the export
does. Tests hold both to the reference writer (`students_csv.students_csv_reference_lines`) byte
for byte.
"""

from __future__ import annotations

from coursedesk.billing.csv_summary import TABLE as CSV_SUMMARY
from coursedesk.billing.csv_summary import money_sql
from coursedesk.billing.models import Payment, Refund, Subscription
from coursedesk.core.money import THREE_DECIMAL_CURRENCIES, ZERO_DECIMAL_CURRENCIES
from coursedesk.core.sql import case_labels, in_list, literal
from coursedesk.customers.models import EnrolmentStatus

# A cell starting with one of these is read as a formula by spreadsheet programs: a quote goes first.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Dialect:
    """What differs between the two databases: placeholders, characters, substrings and times."""

    course = now = ""
    # Keeps the inner SELECT (its joins and its order) whole under the formatting.
    fence = ""
    outer_order = ""
    # Whether the database keeps each student's money and progress cells (billing_csvsummary, kept
    # by triggers on PostgreSQL) rather than the SELECT joining and grouping the tables they come from.
    kept_cells = False

    def char(self, code: int) -> str:
        raise NotImplementedError

    def first_character(self, expression: str) -> str:
        raise NotImplementedError

    def text(self, expression: str) -> str:
        raise NotImplementedError

    def money(self, amount: str, currency: str) -> str:
        """An amount in minor units as the export writes it: major units with the currency's
        decimals and no separator; no currency is two decimals."""
        raise NotImplementedError

    def time(self, expression: str) -> str:
        """A stored time as "2026-11-21 10:00:00 UTC" (seconds truncated), NULL stays NULL."""
        raise NotImplementedError


class Postgres(Dialect):
    course, now = "%(course)s", "%(now)s"
    fence = "OFFSET 0"
    outer_order = "ORDER BY t.id"  # served by the inner ORDER BY: no second sort
    kept_cells = True

    def char(self, code):
        return f"chr({code})"

    def first_character(self, expression):
        return f"left({expression}, 1)"

    def text(self, expression):
        return f"({expression})::text"

    def money(self, amount, currency):
        return money_sql(amount, currency)  # the same cells PostgreSQL keeps (billing/csv_summary.py)

    def time(self, expression):
        # A timestamp's text in the ISO date style, which psycopg (and so Django) needs anyway:
        # "2026-11-21 10:00:00". Twice as fast as to_char with the same pattern.
        return f"date_trunc('second', {expression} AT TIME ZONE 'UTC')::text || ' UTC'"


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

    def money(self, amount, currency):
        lowered = f"LOWER({currency})"

        def major(divisor: int, width: int) -> str:
            minor = f"substr('{'0' * width}' || ({amount} % {divisor}), -{width})"
            return f"{self.text(f'{amount} / {divisor}')} || '.' || {minor}"

        return (
            f"CASE WHEN {lowered} IN {in_list(ZERO_DECIMAL_CURRENCIES)} THEN {self.text(amount)} "
            f"WHEN {lowered} IN {in_list(THREE_DECIMAL_CURRENCIES)} THEN {major(1000, 3)} "
            f"ELSE {major(100, 2)} END"
        )

    def time(self, expression):
        # Django stores "2026-11-21 10:00:00[.ffffff]" in UTC.
        return f"substr({expression}, 1, 19) || ' UTC'"

    def numbers(self, key: str, column: str, from_where: str) -> str:
        """(customer_id, numbers): `column` of the rows `from_where` names, ascending, joined by
        spaces, for each `key`."""
        # group_concat takes no ORDER BY before SQLite 3.44. As a window function over each
        # customer's numbers in order, whole partition in its frame, it joins them in that order;
        # the grouping keeps one row per customer.
        return f"""SELECT k AS customer_id, MIN(numbers) AS numbers FROM (
                     SELECT {key} AS k, group_concat({column}, ' ') OVER (PARTITION BY {key} ORDER BY {column}
                              ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS numbers
                     {from_where}) GROUP BY k"""


DIALECTS = {"postgresql": Postgres(), "sqlite": Sqlite()}


# Each student's money and progress, read from the joins below (or from the people-only stand-ins).
JOINED_FIGURES = """COALESCE(progress.done, 0) AS done, lessons.lessons,
               COALESCE(payments.paid, 0) AS paid, COALESCE(payments.refunded, 0) AS refunded,
               payments.currency, subscription.status AS subscription_status,
               receipts.numbers AS receipt_numbers"""


def _joins(d: Sqlite, lessons: str) -> str:
    """The joins that give each student's money and progress from the tables they come from,
    grouped per customer for the one course (SQLite, where nothing keeps them)."""
    succeeded = literal(Payment.Status.SUCCEEDED)
    counted = in_list(Refund.COUNTED_STATUSES)
    # Each figure is computed once per customer for the one course, in a grouped SELECT joined to
    # the enrolments, instead of a subquery per row: a customer has one enrolment per course, so
    # each join finds at most one row.
    progress = f"""SELECT lp.customer_id, COUNT(*) AS done
                     FROM customers_lessonprogress lp JOIN catalog_lesson l ON l.id = lp.lesson_id
                    WHERE l.course_id = {d.course} GROUP BY lp.customer_id"""
    # One pass over the course's payments gives each customer's totals and newest currency; the
    # refunds are summed per payment first, so a payment with several refunds still counts once
    # (cast back to an integer, as a database summing sums may widen them). The newest rows are
    # grouped although a customer has one each: SQLite then indexes them for the join, where it
    # may scan them all for every enrolment.
    refunds = f"""SELECT payment_id, SUM(amount) AS amount FROM billing_refund
                   WHERE status IN {counted} GROUP BY payment_id"""
    taken = f"CASE WHEN p.status = {succeeded} THEN"
    payments = f"""SELECT customer_id, MIN(paid) AS paid, MIN(refunded) AS refunded,
                          MIN(currency) AS currency FROM (
                     SELECT p.customer_id, p.currency,
                            SUM({taken} p.amount END) OVER customer AS paid,
                            CAST(SUM({taken} r.amount END) OVER customer AS BIGINT) AS refunded,
                            ROW_NUMBER() OVER (customer ORDER BY p.paid_at DESC, p.id DESC) AS n
                       FROM billing_payment p LEFT JOIN ({refunds}) r ON r.payment_id = p.id
                      WHERE p.course_id = {d.course}
                     WINDOW customer AS (PARTITION BY p.customer_id)) course_payments
                    WHERE n = 1 GROUP BY customer_id"""
    receipts_select = d.numbers(
        "p.customer_id",
        "rc.number",
        f"FROM billing_receipt rc JOIN billing_payment p ON p.id = rc.payment_id "
        f"WHERE p.course_id = {d.course}",
    )
    subscription = f"""SELECT customer_id, MIN(status) AS status FROM (
                         SELECT customer_id, status, ROW_NUMBER() OVER (
                                  PARTITION BY customer_id ORDER BY started_at DESC, id DESC) AS n
                           FROM billing_subscription WHERE course_id = {d.course}) course_subscriptions
                        WHERE n = 1 GROUP BY customer_id"""
    joins = f"""CROSS JOIN ({lessons}) lessons
          LEFT JOIN ({progress}) progress ON progress.customer_id = e.customer_id
          LEFT JOIN ({payments}) payments ON payments.customer_id = e.customer_id
          LEFT JOIN ({subscription}) subscription ON subscription.customer_id = e.customer_id
          LEFT JOIN ({receipts_select}) receipts ON receipts.customer_id = e.customer_id"""
    return joins


def students_csv_select(vendor: str, *, people_only: bool = False) -> str:
    """The export's rows, every cell formatted, in the export's order (enrolment id).

    `people_only` leaves out the joins to lessons, payments, refunds, receipts and subscriptions
    (their cells are empty or zero): the bench's reference for what the enrolments and customers
    alone cost the database, with the same formatting."""
    d = DIALECTS[vendor]
    starts = ", ".join(d.char(ord(c)) if not c.isprintable() else literal(c) for c in FORMULA_STARTS)

    def neutralised(expression: str) -> str:
        first = d.first_character(expression)
        return f"CASE WHEN {first} IN ({starts}) THEN '''' || {expression} ELSE {expression} END"

    lessons = f"SELECT COUNT(*) AS lessons FROM catalog_lesson WHERE course_id = {d.course}"
    cells = f"""{d.money("t.paid", "t.currency")},
       {d.money("t.refunded", "t.currency")},
       NULLIF(UPPER(t.currency), ''),
       {case_labels("t.subscription_status", Subscription.Status.choices)}"""
    figures = JOINED_FIGURES
    if people_only:  # the same columns, from joins that find nothing
        joins = """CROSS JOIN (SELECT 0 AS lessons) lessons
          LEFT JOIN (SELECT 0 AS done) progress ON 1 = 0
          LEFT JOIN (SELECT 0 AS paid, 0 AS refunded, NULL AS currency) payments ON 1 = 0
          LEFT JOIN (SELECT NULL AS status) subscription ON 1 = 0
          LEFT JOIN (SELECT NULL AS numbers) receipts ON 1 = 0"""
    elif d.kept_cells:
        # The pair's cells as PostgreSQL keeps them, already written: one join by the unique index
        # instead of five joins and their grouping. A student with no payment, subscription or
        # completed lesson has no row: nothing paid or refunded ("0.00", as with no currency).
        joins = f"""CROSS JOIN ({lessons}) lessons
          LEFT JOIN {CSV_SUMMARY} kept ON kept.course_id = e.course_id AND kept.customer_id = e.customer_id"""
        figures = """COALESCE(kept.lessons_done, 0) AS done, lessons.lessons, kept.paid, kept.refunded,
               kept.currency, kept.subscription AS subscription_status, kept.receipt_numbers"""
        cells = """COALESCE(t.paid, '0.00'),
       COALESCE(t.refunded, '0.00'),
       t.currency,
       t.subscription_status"""
    else:
        joins = _joins(d, lessons)
    return f"""
SELECT NULLIF({neutralised("t.first_name")}, ''),
       NULLIF({neutralised("t.last_name")}, ''),
       NULLIF({neutralised("t.email")}, ''),
       CASE WHEN t.revoked_at IS NOT NULL THEN {literal(EnrolmentStatus.REVOKED.label)}
            WHEN t.expires_at <= {d.now} THEN {literal(EnrolmentStatus.EXPIRED.label)}
            ELSE {literal(EnrolmentStatus.ACTIVE.label)} END,
       {d.time("t.granted_at")},
       {d.time("t.expires_at")},
       {neutralised("COALESCE(NULLIF(t.page_name, ''), 'Granted by hand')")},
       {cells},
       {d.time("t.last_login_at")},
       t.receipt_numbers,
       CASE WHEN t.lessons = 0 THEN '0' ELSE {d.text("t.done * 100 / t.lessons")} END
  FROM (SELECT e.id, c.first_name, c.last_name, c.email, e.revoked_at, e.expires_at, e.granted_at,
               pp.name AS page_name, c.last_login_at,
               {figures}
          FROM customers_enrolment e
          JOIN customers_customer c ON c.id = e.customer_id
          LEFT JOIN catalog_paymentpage pp ON pp.id = e.payment_page_id
          {joins}
         WHERE e.course_id = {d.course}
         ORDER BY e.id {d.fence}) t
 {d.outer_order}"""


def students_csv_params(connection, *, course_id: int, now) -> dict:
    """The SELECT's parameters, the time adapted as Django would compare it on this database."""
    return {"course": int(course_id), "now": connection.ops.adapt_datetimefield_value(now)}
