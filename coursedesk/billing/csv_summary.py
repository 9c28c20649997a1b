"""What the students CSV shows of each customer's money and progress in a course, kept by PostgreSQL.

On PostgreSQL the export is a COPY of one SELECT. Joining each student to the course's payments,
refunds, receipts, subscriptions and lesson progress, and grouping them, cost that SELECT three
quarters of its time at a million customers (78,000 rows a second, where the students and their
customers alone give 260,000). So PostgreSQL keeps those figures, already written as the export
writes them, in `billing_csvsummary`: one row per customer and course that has a payment, a
subscription or a completed lesson.

Triggers keep it. Every insert, update or delete of a payment, refund, receipt, subscription, lesson
progress (or a lesson moved to another course) counts the pair of customer and course it touches
again, in the same transaction, whatever wrote it: a service, a webhook, an import, a merge, a bulk
update or a hand-written SQL statement. Two transactions writing the same pair take turns (an
advisory lock per pair, held until commit); the second counts after the first committed, so the
row is right whichever commits last.

`csv_summary_repair()` compares the whole table with a count from scratch, rewrites any pair that
differs and says how many did (`manage.py recount_students_csv`, run nightly by the scheduler). On
SQLite there are no triggers and the table stays empty: that export joins the tables itself, within a
tenth of what the sqlite3 shell does with the same SELECT.
"""

from __future__ import annotations

from django.db import connection as default_connection

from coursedesk.core.money import THREE_DECIMAL_CURRENCIES, ZERO_DECIMAL_CURRENCIES

TABLE = "billing_csvsummary"
SUCCEEDED = "succeeded"
COUNTED_REFUNDS = ("pending", "succeeded")
SUBSCRIPTION_LABELS = (
    ("active", "Active"),
    ("paused", "Paused"),
    ("past_due", "Past due"),
    ("canceled", "Canceled"),
    ("completed", "Completed"),
)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _in(values) -> str:
    return "(" + ", ".join(_literal(v) for v in sorted(values)) + ")"


def money_sql(amount: str, currency: str) -> str:
    """PostgreSQL: an amount in minor units as the export writes it, major units with the
    currency's decimals and no separator ("49.00", "5000", "12.345"); no currency is two decimals."""
    lowered = f"LOWER({currency})"
    return (
        f"CASE WHEN {lowered} IN {_in(ZERO_DECIMAL_CURRENCIES)} THEN ({amount})::text "
        f"WHEN {lowered} IN {_in(THREE_DECIMAL_CURRENCIES)} THEN "
        f"(({amount}) / 1000)::text || '.' || lpad((mod({amount}, 1000))::text, 3, '0') "
        f"ELSE (({amount}) / 100)::text || '.' || lpad((mod({amount}, 100))::text, 2, '0') END"
    )


def subscription_label_sql(status: str) -> str:
    whens = " ".join(f"WHEN {_literal(value)} THEN {_literal(label)}" for value, label in SUBSCRIPTION_LABELS)
    return f"CASE {status} {whens} END"


# The pair's cells, from its figures: the columns of the table after the pair itself.
def _cells(paid: str, refunded: str, currency: str, status: str, numbers: str, done: str) -> str:
    return (
        f"{money_sql(paid, currency)}, {money_sql(refunded, currency)}, NULLIF(UPPER({currency}), ''), "
        f"{subscription_label_sql(status)}, {numbers}, {done}"
    )


COLUMNS = "course_id, customer_id, paid, refunded, currency, subscription, receipt_numbers, lessons_done"

RECOUNT = f"""
CREATE OR REPLACE FUNCTION csv_summary_recount(p_customer bigint, p_course bigint) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  v_paid bigint; v_refunded bigint; v_payments bigint; v_currency text; v_numbers text;
  v_status text; v_done integer;
BEGIN
  IF p_customer IS NULL OR p_course IS NULL THEN
    RETURN;
  END IF;
  -- One transaction at a time per pair, until it commits; each statement below then reads what
  -- the transactions before it committed.
  PERFORM pg_advisory_xact_lock(hashtextextended('csv_summary:' || p_course || ':' || p_customer, 0));
  SELECT COALESCE(SUM(p.amount) FILTER (WHERE p.status = {_literal(SUCCEEDED)}), 0),
         COALESCE(SUM(r.amount) FILTER (WHERE p.status = {_literal(SUCCEEDED)}), 0),
         COUNT(*)
    INTO v_paid, v_refunded, v_payments
    FROM billing_payment p
    LEFT JOIN LATERAL (SELECT SUM(amount) AS amount FROM billing_refund
                        WHERE payment_id = p.id AND status IN {_in(COUNTED_REFUNDS)}) r ON true
   WHERE p.customer_id = p_customer AND p.course_id = p_course;
  SELECT currency INTO v_currency FROM billing_payment
   WHERE customer_id = p_customer AND course_id = p_course ORDER BY paid_at DESC, id DESC LIMIT 1;
  SELECT string_agg((rc.number)::text, ' ' ORDER BY rc.number) INTO v_numbers
    FROM billing_receipt rc JOIN billing_payment p ON p.id = rc.payment_id
   WHERE p.customer_id = p_customer AND p.course_id = p_course;
  SELECT status INTO v_status FROM billing_subscription
   WHERE customer_id = p_customer AND course_id = p_course ORDER BY started_at DESC, id DESC LIMIT 1;
  SELECT COUNT(*) INTO v_done
    FROM customers_lessonprogress lp JOIN catalog_lesson l ON l.id = lp.lesson_id
   WHERE lp.customer_id = p_customer AND l.course_id = p_course;
  IF v_payments = 0 AND v_status IS NULL AND v_done = 0 THEN
    DELETE FROM {TABLE} WHERE course_id = p_course AND customer_id = p_customer;
    RETURN;
  END IF;
  INSERT INTO {TABLE} ({COLUMNS})
  VALUES (p_course, p_customer,
          {_cells("v_paid", "v_refunded", "v_currency", "v_status", "v_numbers", "v_done")})
  ON CONFLICT (course_id, customer_id) DO UPDATE SET
    paid = EXCLUDED.paid, refunded = EXCLUDED.refunded, currency = EXCLUDED.currency,
    subscription = EXCLUDED.subscription, receipt_numbers = EXCLUDED.receipt_numbers,
    lessons_done = EXCLUDED.lessons_done;
END
$fn$;
"""


def _trigger(
    table: str, old_pairs: str, new_pairs: str, *, moved: str, events: str = "INSERT OR UPDATE OR DELETE"
) -> str:
    """A row trigger on `table` counting again the pairs its old row and its new row belong to
    (`old_pairs` and `new_pairs`: SELECTs of (customer, course)); an update that keeps the row in
    its pair (`moved` false) counts that pair once."""
    name = f"csv_summary_{table}"
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM csv_summary_recount(pair.customer_id, pair.course_id) FROM ({old_pairs}) pair;
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND ({moved})) THEN
    PERFORM csv_summary_recount(pair.customer_id, pair.course_id) FROM ({new_pairs}) pair;
  END IF;
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS {name} ON {table};
CREATE TRIGGER {name} AFTER {events} ON {table}
  FOR EACH ROW EXECUTE FUNCTION {name}();
"""


def _own(row: str) -> str:
    return f"SELECT {row}.customer_id, {row}.course_id"


def _by_payment(row: str) -> str:
    return f"SELECT customer_id, course_id FROM billing_payment WHERE id = {row}.payment_id"


def _by_lesson(row: str) -> str:
    return f"SELECT {row}.customer_id, course_id FROM catalog_lesson WHERE id = {row}.lesson_id"


TRIGGERS = "".join(
    [
        _trigger(
            "billing_payment",
            _own("OLD"),
            _own("NEW"),
            moved="(NEW.customer_id, NEW.course_id) IS DISTINCT FROM (OLD.customer_id, OLD.course_id)",
        ),
        _trigger(
            "billing_subscription",
            _own("OLD"),
            _own("NEW"),
            moved="(NEW.customer_id, NEW.course_id) IS DISTINCT FROM (OLD.customer_id, OLD.course_id)",
        ),
        _trigger(
            "billing_refund", _by_payment("OLD"), _by_payment("NEW"), moved="NEW.payment_id <> OLD.payment_id"
        ),
        _trigger(
            "billing_receipt",
            _by_payment("OLD"),
            _by_payment("NEW"),
            moved="NEW.payment_id <> OLD.payment_id",
        ),
        _trigger(
            "customers_lessonprogress",
            _by_lesson("OLD"),
            _by_lesson("NEW"),
            moved="(NEW.customer_id, NEW.lesson_id) IS DISTINCT FROM (OLD.customer_id, OLD.lesson_id)",
        ),
        # A lesson moved to another course moves its completions with it.
        _trigger(
            "catalog_lesson",
            "SELECT lp.customer_id, OLD.course_id AS course_id FROM customers_lessonprogress lp "
            "WHERE lp.lesson_id = OLD.id AND NEW.course_id <> OLD.course_id",
            "SELECT lp.customer_id, NEW.course_id AS course_id FROM customers_lessonprogress lp "
            "WHERE lp.lesson_id = NEW.id",
            moved="NEW.course_id <> OLD.course_id",
            events="UPDATE OF course_id",
        ),
    ]
)

# Every pair's row counted from scratch in one pass over each table: what the triggers must have kept.
COUNTED = f"""
WITH pairs AS (
  SELECT customer_id, course_id FROM billing_payment
  UNION SELECT customer_id, course_id FROM billing_subscription
  UNION SELECT lp.customer_id, l.course_id
          FROM customers_lessonprogress lp JOIN catalog_lesson l ON l.id = lp.lesson_id
), refunds AS (
  SELECT payment_id, SUM(amount) AS amount FROM billing_refund
   WHERE status IN {_in(COUNTED_REFUNDS)} GROUP BY payment_id
), money AS (
  SELECT p.customer_id, p.course_id,
         SUM(p.amount) FILTER (WHERE p.status = {_literal(SUCCEEDED)}) AS paid,
         CAST(SUM(r.amount) FILTER (WHERE p.status = {_literal(SUCCEEDED)}) AS BIGINT) AS refunded
    FROM billing_payment p LEFT JOIN refunds r ON r.payment_id = p.id GROUP BY 1, 2
), newest AS (
  SELECT DISTINCT ON (customer_id, course_id) customer_id, course_id, currency
    FROM billing_payment ORDER BY customer_id, course_id, paid_at DESC, id DESC
), numbers AS (
  SELECT p.customer_id, p.course_id, string_agg((rc.number)::text, ' ' ORDER BY rc.number) AS numbers
    FROM billing_receipt rc JOIN billing_payment p ON p.id = rc.payment_id GROUP BY 1, 2
), subscriptions AS (
  SELECT DISTINCT ON (customer_id, course_id) customer_id, course_id, status
    FROM billing_subscription ORDER BY customer_id, course_id, started_at DESC, id DESC
), done AS (
  SELECT lp.customer_id, l.course_id, COUNT(*) AS done
    FROM customers_lessonprogress lp JOIN catalog_lesson l ON l.id = lp.lesson_id GROUP BY 1, 2
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
"""

INSTALL = RECOUNT + TRIGGERS

TRIGGERED = (
    "billing_payment",
    "billing_subscription",
    "billing_refund",
    "billing_receipt",
    "customers_lessonprogress",
    "catalog_lesson",
)
UNINSTALL = (
    "".join(
        f"DROP TRIGGER IF EXISTS csv_summary_{table} ON {table}; "
        f"DROP FUNCTION IF EXISTS csv_summary_{table}();"
        for table in TRIGGERED
    )
    + "DROP FUNCTION IF EXISTS csv_summary_recount(bigint, bigint);"
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
    with connection.cursor() as cursor:
        for customer_id, course_id in pairs:
            cursor.execute("SELECT csv_summary_recount(%s, %s)", [customer_id, course_id])
    return pairs
