"""What the students CSV shows of each customer's money and progress in a course, kept by PostgreSQL.

On PostgreSQL the export is a COPY of one SELECT. Joining each student to the course's payments,
refunds, receipts, subscriptions and lesson progress, and grouping them, cost that SELECT three
quarters of its time at a million customers (78,000 rows a second, where the students and their
customers alone give 260,000). So PostgreSQL keeps those figures, already written as the export
writes them, in `billing_csvsummary`: one row per customer and course that has a payment, a
subscription or a completed lesson.

Triggers keep it. After every INSERT, UPDATE or DELETE statement on payments, refunds, receipts,
subscriptions or lesson progress (or a lesson moved to another course), a statement trigger reads
the rows it changed (its transition tables) and counts all the pairs of customer and course they
belong to again, at once, in the same transaction, whatever wrote them: a service, a webhook, an
import, a merge, a bulk update or hand-written SQL. Deleting a lesson 100,000 students completed
counts their 100,000 pairs in one pass, not one at a time.

Two transactions writing the same pair take turns: the counting first makes sure each pair's row
exists and locks the rows, in one order (row locks, which take no room in PostgreSQL's lock table
however many pairs a statement touches); a second transaction waits there until the first commits
and then counts what the first wrote, so the row is right whichever commits last.

`csv_summary_repair()` compares the whole table with a count from scratch, rewrites the pairs that
differ and names them (`manage.py recount_students_csv`, for a nightly cron). On SQLite there are no
triggers and the table stays empty: that export joins the tables itself, within a tenth of what the
sqlite3 shell does with the same SELECT.
"""

from __future__ import annotations

from django.db import connection as default_connection

from coursedesk.billing.models import Payment, Refund, Subscription
from coursedesk.core.money import THREE_DECIMAL_CURRENCIES, ZERO_DECIMAL_CURRENCIES
from coursedesk.core.sql import case_labels, in_list, literal

TABLE = "billing_csvsummary"
SUCCEEDED = Payment.Status.SUCCEEDED
COUNTED_REFUNDS = Refund.COUNTED_STATUSES


def money_sql(amount: str, currency: str) -> str:
    """PostgreSQL: an amount in minor units as the export writes it, major units with the
    currency's decimals and no separator ("49.00", "5000", "12.345"); no currency is two decimals."""
    lowered = f"LOWER({currency})"
    return (
        f"CASE WHEN {lowered} IN {in_list(ZERO_DECIMAL_CURRENCIES)} THEN ({amount})::text "
        f"WHEN {lowered} IN {in_list(THREE_DECIMAL_CURRENCIES)} THEN "
        f"(({amount}) / 1000)::text || '.' || lpad((mod({amount}, 1000))::text, 3, '0') "
        f"ELSE (({amount}) / 100)::text || '.' || lpad((mod({amount}, 100))::text, 2, '0') END"
    )


# The pair's cells, from its figures: the columns of the table after the pair itself.
def _cells(paid: str, refunded: str, currency: str, status: str, numbers: str, done: str) -> str:
    return (
        f"{money_sql(paid, currency)} AS paid, {money_sql(refunded, currency)} AS refunded, "
        f"NULLIF(UPPER({currency}), '') AS currency, "
        f"{case_labels(status, Subscription.Status.choices)} AS subscription, "
        f"{numbers} AS receipt_numbers, {done} AS lessons_done"
    )


COLUMNS = "course_id, customer_id, paid, refunded, currency, subscription, receipt_numbers, lessons_done"

# Every pair that has a payment, a subscription or a completed lesson.
ALL_PAIRS = """SELECT customer_id, course_id FROM billing_payment
  UNION SELECT customer_id, course_id FROM billing_subscription
  UNION SELECT lp.customer_id, l.course_id
          FROM customers_lessonprogress lp JOIN catalog_lesson l ON l.id = lp.lesson_id"""


def counted_sql(pairs: str, *, every_pair: bool) -> str:
    """The kept row of each pair of `pairs` (a SELECT of customer_id, course_id, each pair once),
    counted from the payments, refunds, receipts, subscriptions and completed lessons. A pair with
    none of them has no row. `every_pair`: `pairs` is every pair there is, and each table is read
    whole instead of through the pairs."""
    through = "" if every_pair else "JOIN pairs USING (customer_id, course_id)"
    return f"""
WITH pairs AS ({pairs}),
payments AS (
  SELECT p.id, p.customer_id, p.course_id, p.amount, p.status, p.currency, p.paid_at
    FROM billing_payment p {through}
), refunds AS (
  SELECT r.payment_id, SUM(r.amount) AS amount
    FROM billing_refund r {"" if every_pair else "JOIN payments ON payments.id = r.payment_id"}
   WHERE r.status IN {in_list(COUNTED_REFUNDS)} GROUP BY r.payment_id
), money AS (
  SELECT p.customer_id, p.course_id,
         SUM(p.amount) FILTER (WHERE p.status = {literal(SUCCEEDED)}) AS paid,
         CAST(SUM(r.amount) FILTER (WHERE p.status = {literal(SUCCEEDED)}) AS BIGINT) AS refunded
    FROM payments p LEFT JOIN refunds r ON r.payment_id = p.id GROUP BY 1, 2
), newest AS (
  SELECT DISTINCT ON (customer_id, course_id) customer_id, course_id, currency
    FROM payments ORDER BY customer_id, course_id, paid_at DESC, id DESC
), numbers AS (
  SELECT p.customer_id, p.course_id, string_agg((rc.number)::text, ' ' ORDER BY rc.number) AS numbers
    FROM billing_receipt rc JOIN payments p ON p.id = rc.payment_id GROUP BY 1, 2
), subscriptions AS (
  SELECT DISTINCT ON (customer_id, course_id) customer_id, course_id, status
    FROM billing_subscription s {through}
   ORDER BY customer_id, course_id, started_at DESC, id DESC
), done AS (
  SELECT lp.customer_id, l.course_id, COUNT(*) AS done
    FROM customers_lessonprogress lp JOIN catalog_lesson l ON l.id = lp.lesson_id
    {
        ""
        if every_pair
        else "JOIN pairs ON pairs.customer_id = lp.customer_id AND pairs.course_id = l.course_id"
    }
   GROUP BY 1, 2
)
SELECT pairs.course_id, pairs.customer_id,
       {
        _cells(
            "COALESCE(money.paid, 0)",
            "COALESCE(money.refunded, 0)",
            "newest.currency",
            "subscriptions.status",
            "numbers.numbers",
            "COALESCE(done.done, 0)",
        )
    }
  FROM pairs
  LEFT JOIN money USING (customer_id, course_id)
  LEFT JOIN newest USING (customer_id, course_id)
  LEFT JOIN numbers USING (customer_id, course_id)
  LEFT JOIN subscriptions USING (customer_id, course_id)
  LEFT JOIN done USING (customer_id, course_id)
 WHERE newest.currency IS NOT NULL OR subscriptions.status IS NOT NULL OR done.done IS NOT NULL
"""


COUNTED = counted_sql(ALL_PAIRS, every_pair=True)

_GIVEN_PAIRS = """SELECT DISTINCT customer_id, course_id
                    FROM unnest(p_customers, p_courses) AS given(customer_id, course_id)
                   WHERE customer_id IS NOT NULL AND course_id IS NOT NULL"""

RECOUNT = f"""
CREATE OR REPLACE FUNCTION csv_summary_recount(p_customers bigint[], p_courses bigint[]) RETURNS void
LANGUAGE plpgsql
-- Planned once per connection: left to choose, PostgreSQL planned the counting again at every call
-- (2 ms, where running it takes 0.3). Thousands of pairs at once get a plan of their own.
SET plan_cache_mode = force_generic_plan
AS $fn$
BEGIN
  IF cardinality(p_customers) > 1000 THEN
    PERFORM set_config('plan_cache_mode', 'force_custom_plan', true);
  END IF;
  -- Each pair's row exists and is locked, in one order, before anything is counted: a transaction
  -- writing the same pair waits here until this one commits, and then counts what it wrote (each
  -- statement below reads what was committed when it starts).
  INSERT INTO {TABLE} ({COLUMNS})
  SELECT course_id, customer_id, '', '', NULL, NULL, NULL, 0 FROM ({_GIVEN_PAIRS}) given
   ORDER BY course_id, customer_id
  ON CONFLICT (course_id, customer_id) DO NOTHING;
  PERFORM 1 FROM {TABLE} kept JOIN ({_GIVEN_PAIRS}) given USING (course_id, customer_id)
    ORDER BY kept.course_id, kept.customer_id FOR UPDATE OF kept;
  WITH counted AS ({counted_sql(_GIVEN_PAIRS, every_pair=False)}),
  updated AS (
    UPDATE {TABLE} kept SET paid = counted.paid, refunded = counted.refunded,
           currency = counted.currency, subscription = counted.subscription,
           receipt_numbers = counted.receipt_numbers, lessons_done = counted.lessons_done
      FROM counted
     WHERE kept.course_id = counted.course_id AND kept.customer_id = counted.customer_id
    RETURNING kept.id
  )
  DELETE FROM {TABLE} kept USING ({_GIVEN_PAIRS}) given
   WHERE kept.course_id = given.course_id AND kept.customer_id = given.customer_id
     AND kept.id NOT IN (SELECT id FROM updated);
END
$fn$;
"""

_BY_PAYMENT = "SELECT p.customer_id, p.course_id FROM {rows} r JOIN billing_payment p ON p.id = r.payment_id"
# The pairs a statement touched, from its transition tables (`rows`: old_rows or new_rows).
PAIRS_OF = {
    "billing_payment": "SELECT customer_id, course_id FROM {rows}",
    "billing_subscription": "SELECT customer_id, course_id FROM {rows}",
    "billing_refund": _BY_PAYMENT,
    "billing_receipt": _BY_PAYMENT,
    "customers_lessonprogress": (
        "SELECT lp.customer_id, l.course_id FROM {rows} lp JOIN catalog_lesson l ON l.id = lp.lesson_id"
    ),
}
# A lesson moved to another course moves its completions with it: both courses count again.
LESSON_MOVED = """SELECT lp.customer_id, moved.course_id FROM (
                     SELECT o.id, o.course_id FROM old_rows o JOIN new_rows n ON n.id = o.id
                      WHERE n.course_id <> o.course_id
                     UNION ALL
                     SELECT n.id, n.course_id FROM old_rows o JOIN new_rows n ON n.id = o.id
                      WHERE n.course_id <> o.course_id) moved
                   JOIN customers_lessonprogress lp ON lp.lesson_id = moved.id"""


def _statement_trigger(table: str, inserted: str | None, updated: str, deleted: str | None) -> str:
    """Statement triggers on `table`: after each INSERT, UPDATE or DELETE statement, the pairs its
    rows belong to (before and after) are counted again, all at once."""
    name = f"csv_summary_{table}"
    branches = [("INSERT", inserted), ("UPDATE", updated), ("DELETE", deleted)]
    body = "\n  ".join(
        f"{'IF' if n == 0 else 'ELSIF'} TG_OP = '{event}' THEN\n"
        f"    SELECT array_agg(customer_id), array_agg(course_id) INTO customers, courses\n"
        f"      FROM ({pairs}) pairs;"
        for n, (event, pairs) in enumerate((event, pairs) for event, pairs in branches if pairs)
    )
    triggers = []
    for event, pairs in branches:
        if not pairs:
            continue
        tables = {"INSERT": "NEW TABLE AS new_rows", "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}
        referencing = tables.get(event, "OLD TABLE AS old_rows")
        trigger = f"{name}_{event.lower()}"
        triggers.append(
            f"DROP TRIGGER IF EXISTS {trigger} ON {table};\n"
            f"CREATE TRIGGER {trigger} AFTER {event} ON {table} REFERENCING {referencing}\n"
            f"  FOR EACH STATEMENT EXECUTE FUNCTION {name}();\n"
        )
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  customers bigint[];
  courses bigint[];
BEGIN
  {body}
  END IF;
  IF customers IS NOT NULL THEN
    PERFORM csv_summary_recount(customers, courses);
  END IF;
  RETURN NULL;
END
$fn$;
{"".join(triggers)}"""


def _both(pairs: str) -> str:
    return f"{pairs.format(rows='old_rows')} UNION {pairs.format(rows='new_rows')}"


TRIGGERS = "".join(
    [
        *(
            _statement_trigger(
                table, pairs.format(rows="new_rows"), _both(pairs), pairs.format(rows="old_rows")
            )
            for table, pairs in PAIRS_OF.items()
        ),
        _statement_trigger("catalog_lesson", None, LESSON_MOVED, None),
    ]
)

INSTALL = RECOUNT + TRIGGERS

TRIGGERED = (*PAIRS_OF, "catalog_lesson")
UNINSTALL = (
    "".join(
        f"DROP TRIGGER IF EXISTS csv_summary_{table}_{event} ON {table}; "
        for table in TRIGGERED
        for event in ("insert", "update", "delete")
    )
    + "".join(f"DROP FUNCTION IF EXISTS csv_summary_{table}();" for table in TRIGGERED)
    + "DROP FUNCTION IF EXISTS csv_summary_recount(bigint[], bigint[]);"
)


def csv_summary_differences(connection=None) -> list[tuple[int, int]]:
    """The (customer, course) pairs whose kept row is not what counting from scratch gives: a wrong
    row, a missing one or one left over. A pair written meanwhile by another transaction may show
    too; counting it again does no harm. None on SQLite, where nothing is kept."""
    connection = connection or default_connection
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH counted AS ({COUNTED}),
                     kept AS (SELECT {COLUMNS} FROM {TABLE}),
                     differ AS ((TABLE counted EXCEPT TABLE kept) UNION (TABLE kept EXCEPT TABLE counted))
                SELECT DISTINCT customer_id, course_id FROM differ ORDER BY course_id, customer_id"""
        )
        return [tuple(pair) for pair in cursor.fetchall()]


def csv_summary_repair(connection=None) -> list[tuple[int, int]]:
    """Counts every pair from scratch and rewrites the rows that differ; returns those pairs. An
    empty table (just migrated, or seeded with the triggers off) is filled in one statement."""
    connection = connection or default_connection
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {TABLE})")
        if not cursor.fetchone()[0]:
            cursor.execute(f"INSERT INTO {TABLE} ({COLUMNS}) {COUNTED} RETURNING customer_id, course_id")
            return [tuple(pair) for pair in cursor.fetchall()]
    pairs = csv_summary_differences(connection)
    if pairs:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT csv_summary_recount(%s::bigint[], %s::bigint[])",
                [[customer for customer, _ in pairs], [course for _, course in pairs]],
            )
    return pairs
