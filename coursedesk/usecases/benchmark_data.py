"""Benchmark data: a million customers in seconds, with a fixed seed, for `make bench`.

Shape at --customers N (N = 1,000,000): 200 creators; one "big" creator with N/5 customers and 100
courses (3 enrolments each: 600,000 enrolments, all N/5 in the first course); the others share
the rest, 2 courses each; 2·N enrolments and 3·N payments in all, about 2 % of payments partly
refunded, a few subscriptions, one audit event per big-creator customer. Rows go in with COPY on
PostgreSQL and executemany on SQLite, secondary indexes dropped during the load and rebuilt after.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import DatabaseError, connection, transaction

from coursedesk.accounts.models import Creator
from coursedesk.audit.models import AuditEvent
from coursedesk.billing.csv_summary import csv_summary_repair
from coursedesk.billing.models import Payment, Receipt, ReceiptCounter, Refund, Subscription
from coursedesk.catalog.models import Course, Lesson, PaymentPage
from coursedesk.core import clock
from coursedesk.core.text import ascii_fold, customer_search_text
from coursedesk.customers.models import Customer, Enrolment
from coursedesk.customers.services import course_counts_recount
from coursedesk.usecases.demo import FIRST_NAMES as DEMO_FIRST_NAMES

logger = logging.getLogger(__name__)

SEED = 20261121
CREATORS = 200
BIG_COURSES = 100
OTHER_COURSES = 2
BIG_SHARE = 5  # the big creator holds one customer in five
BIG_CREATOR_EMAIL = "big@bench.coursedesk.test"
CREATOR_PASSWORD = "bench-creator"
STUDENT_PASSWORD = "bench-student"
START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 21, 10, tzinfo=dt.UTC)

# The demo's names (accents, apostrophes, two-word names) and more, so searches meet the same kinds of text.
FIRST_NAMES = [
    *DEMO_FIRST_NAMES,
    "Pablo",
    "Hana",
    "Omar",
    "Greta",
    "Luca",
    "Maya",
    "Ravi",
    "Sara",
    "Jonas",
    "Aiko",
    "Diego",
    "Freya",
    "Kofi",
    "Lena",
    "Malik",
    "Nadia",
    "Oscar",
    "Paula",
    "Quinn",
    "Rosa",
    "Samir",
    "Tara",
    "Umar",
    "Vera",
    "Wen",
    "Xavier",
    "Yusuf",
]
LAST_NAMES = [
    "Okafor",
    "García",
    "Nowak",
    "Jørgensen",
    "Dubois",
    "Martínez",
    "Chen",
    "Smith",
    "Mensah",
    "Cohen",
    "Larsen",
    "Silva",
    "Khan",
    "Murphy",
    "Öberg",
    "Patel",
    "Lefèvre",
    "Haddad",
    "Tanaka",
    "Petrova",
    "Rossi",
    "Müller",
    "Iyer",
    "Byrne",
    "Moreau",
    "Nasser",
    "Ortiz",
    "Karimi",
    "Walsh",
    "Fernández",
    "Ivanova",
    "Santos",
    "Kowalski",
    "Yamamoto",
    "Schmidt",
    "Bianchi",
    "Novak",
    "Horvat",
    "Kim",
    "Nguyen",
    "Andersson",
    "Papadopoulos",
    "Wójcik",
    "Dvořák",
    "Szabó",
    "Popescu",
    "Costa",
    "Bakker",
    "Peeters",
]
DOMAINS = ["example.com", "mail.example", "post.example", "inbox.example", "school.example"]


def ascii_name(name: str) -> str:
    """A name as an address's local part writes it: "Jørgensen" -> "jorgensen"."""
    return "".join(ch for ch in ascii_fold(name) if ch.isalnum())


@dataclass
class SeedReport:
    creators: int = 0
    courses: int = 0
    customers: int = 0
    enrolments: int = 0
    payments: int = 0
    refunds: int = 0
    receipts: int = 0
    subscriptions: int = 0
    audit_events: int = 0
    seconds: float = 0.0


class RowLoader:
    """Writes many rows fast: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, progress: Callable[[int], None]):
        self.vendor = connection.vendor
        self.progress = progress

    def timestamp(self, moment: dt.datetime) -> str:
        if self.vendor == "postgresql":
            return moment.isoformat()
        return moment.strftime("%Y-%m-%d %H:%M:%S")

    def load(self, model, columns: list[str], rows: Iterable[tuple]) -> int:
        """Loads `rows` (values for `columns`); every other column gets the field's default."""
        fields = [f for f in model._meta.concrete_fields if f.column not in columns]
        defaults = tuple(self._default(f) for f in fields)
        all_columns = columns + [f.column for f in fields]
        table = model._meta.db_table
        if self.vendor == "postgresql":
            return self._copy(table, all_columns, rows, defaults)
        return self._insert(table, all_columns, rows, defaults)

    def _default(self, field):
        value = field.get_default() if field.has_default() else (None if field.null else "")
        if isinstance(value, dt.datetime):
            return self.timestamp(value)
        if isinstance(value, dict | list):
            return json.dumps(value)
        if isinstance(value, bool) and self.vendor == "postgresql":
            return "t" if value else "f"
        return value

    def _copy(self, table, columns, rows, defaults) -> int:
        suffix = "".join("\t" + ("\\N" if v is None else str(v)) for v in defaults)
        count = 0
        sql = f'COPY "{table}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) FROM STDIN'
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join("\\N" if v is None else str(v) for v in row))
                buffer.write(suffix)
                buffer.write("\n")
                count += 1
                if count % 50_000 == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
                    self.progress(50_000)
            copy.write(buffer.getvalue())
            self.progress(count % 50_000)
        return count

    def _insert(self, table, columns, rows, defaults) -> int:
        placeholders = ", ".join("?" * len(columns))
        sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({placeholders})'
        raw = connection.connection
        count = 0
        batch: list[tuple] = []
        for row in rows:
            batch.append(row + defaults)
            if len(batch) == 50_000:
                raw.executemany(sql, batch)
                count += len(batch)
                self.progress(len(batch))
                batch = []
        raw.executemany(sql, batch)
        self.progress(len(batch))
        return count + len(batch)


class SecondaryIndexes:
    """Drops the secondary indexes of some tables during a bulk load and builds them again after.

    On SQLite this includes the triggers that keep full-text tables in step; those tables are
    rebuilt from their content table once, after the load, instead of row by row.
    """

    def __init__(self, tables: list[str]):
        self.tables = tables
        self.definitions: list[tuple[str, str]] = []
        self.triggers: list[tuple[str, str]] = []
        self.text_indexes: list[str] = []

    def drop(self) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    """SELECT i.indexname, i.indexdef FROM pg_indexes i
                       WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
                       AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                                       WHERE c.conname = i.indexname)""",
                    [self.tables],
                )
            else:
                marks = ", ".join("?" * len(self.tables))
                cursor.execute(
                    f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                    f"AND tbl_name IN ({marks})",
                    self.tables,
                )
            self.definitions = list(cursor.fetchall())
            for name, _ in self.definitions:
                cursor.execute(f'DROP INDEX "{name}"')
            if connection.vendor == "sqlite":
                cursor.execute(
                    f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({marks})",
                    self.tables,
                )
                self.triggers = list(cursor.fetchall())
                for name, _ in self.triggers:
                    cursor.execute(f'DROP TRIGGER "{name}"')
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE "
                    "'CREATE VIRTUAL TABLE%USING fts5%'"
                )
                self.text_indexes = [
                    name
                    for name, sql in cursor.fetchall()
                    if any(f"content='{table}'" in sql for table in self.tables)
                ]

    def build(self) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET maintenance_work_mem = '512MB'")
            for _, definition in self.definitions:
                cursor.execute(definition)
            for name in self.text_indexes:
                cursor.execute(f'INSERT INTO "{name}"("{name}") VALUES (\'rebuild\')')
            for _, definition in self.triggers:
                cursor.execute(definition)


class BenchmarkSeeder:
    def __init__(self, *, customers: int, seed: int = SEED, progress: Callable[[int], None] | None = None):
        self.total_customers = customers
        self.rng = random.Random(seed)
        self.progress = progress or (lambda n: None)
        self.report = SeedReport()
        self.loader = RowLoader(self.progress)
        self.span = int((NOW - START).total_seconds())

    @property
    def total_rows(self) -> int:
        """Rows the progress bar counts: customers, enrolments, payments and the smaller tables."""
        big = self.total_customers // BIG_SHARE
        payments_and_refunds = self.total_customers * 3 + self.total_customers * 3 // 50
        return (
            self.total_customers * 6
            + big
            + self.total_customers * 3 // 50
            + big * 3 // 20
            + payments_and_refunds
        )

    # --- small tables, through the ORM ------------------------------------------------------
    def _catalog(self):
        creator_hash = make_password(CREATOR_PASSWORD, hasher="pbkdf2_sha256")
        creators = Creator.objects.bulk_create(
            [
                Creator(
                    email=BIG_CREATOR_EMAIL if n == 0 else f"creator{n}@bench.coursedesk.test",
                    display_name="Big Academy" if n == 0 else f"Creator {n}",
                    password=creator_hash,
                )
                for n in range(CREATORS)
            ]
        )
        courses = []
        for index, creator in enumerate(creators):
            for n in range(BIG_COURSES if index == 0 else OTHER_COURSES):
                courses.append(
                    Course(
                        creator=creator,
                        title=f"Course {index}-{n}",
                        slug=f"bench-{index}-{n}",
                        contact_email="help@bench.coursedesk.test",
                        published=True,
                    )
                )
        courses = Course.objects.bulk_create(courses, batch_size=1000)
        Lesson.objects.bulk_create(
            [Lesson(course=c, position=1, title="Welcome", body_html="<p>Welcome.</p>") for c in courses],
            batch_size=1000,
        )
        pages = PaymentPage.objects.bulk_create(
            [
                PaymentPage(course=c, kind="one_time", name="Lifetime", amount=4900, currency="usd")
                for c in courses
            ],
            batch_size=1000,
        )
        self.report.creators, self.report.courses = len(creators), len(courses)
        by_creator: dict[int, list[tuple[int, int]]] = {}
        for course, page in zip(courses, pages, strict=True):
            by_creator.setdefault(course.creator_id, []).append((course.pk, page.pk))
        return creators, by_creator

    # --- big tables, row generators ---------------------------------------------------------
    def _moment(self) -> dt.datetime:
        return START + dt.timedelta(seconds=self.rng.randrange(self.span))

    def _customers(self, creators) -> Iterator[tuple]:
        """(id, creator_id, first, last, email, password, search_text, created_at)."""
        password = make_password(STUDENT_PASSWORD, hasher="pbkdf2_sha256")
        big = self.total_customers // BIG_SHARE
        others = creators[1:]
        rng = self.rng
        ascii_first = {name: ascii_name(name) for name in FIRST_NAMES}
        ascii_last = {name: ascii_name(name) for name in LAST_NAMES}
        stamp = self.loader.timestamp
        for n in range(1, self.total_customers + 1):
            creator = creators[0] if n <= big else others[n % len(others)]
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{ascii_first[first]}.{ascii_last[last]}{n}@{DOMAINS[n % len(DOMAINS)]}"
            self.customer_creator.append(creator.pk)
            yield (
                n,
                creator.pk,
                first,
                last,
                email,
                password,
                customer_search_text(first, last, email),
                stamp(self._moment()),
            )

    def _enrolments(self, by_creator, creator_ids) -> Iterator[tuple]:
        """(id, customer_id, course_id, payment_page_id, source, granted_at, revoked_at, expires_at,
        expiry_recorded_at): expirations passed by now count as recorded, as the scheduler's sweep
        would have done."""
        rng = self.rng
        swept_until = max(NOW, clock.now())
        stamp = self.loader.timestamp
        big_id = creator_ids[0]
        big = self.total_customers // BIG_SHARE
        target = self.total_customers * 2
        other_customers = self.total_customers - big
        # Others get 2 enrolments or 1, so that the total is 2·N.
        two_each = max(0, min(other_customers, target - 3 * big - other_customers))
        enrolment_id = 0
        for customer_id in range(1, self.total_customers + 1):
            creator_id = self.customer_creator[customer_id - 1]
            offers = by_creator[creator_id]
            if creator_id == big_id:
                # Everyone is in the first course (the 200,000-row CSV export), and in two others.
                start = rng.randrange(len(offers) - 1)
                chosen = [offers[0], offers[1 + start], offers[1 + (start + 49) % (len(offers) - 1)]]
            else:
                count = 2 if (customer_id - big) <= two_each else 1
                chosen = offers[:count]
            for course_id, page_id in chosen:
                enrolment_id += 1
                granted = self._moment()
                roll = rng.random()
                revoked = stamp(granted + dt.timedelta(days=30)) if roll < 0.08 else None
                if 0.08 <= roll < 0.15:
                    expires = granted + dt.timedelta(days=90)  # most of these are past
                elif roll > 0.9:
                    expires = NOW + dt.timedelta(days=rng.randrange(1, 365))
                else:
                    expires = None
                recorded = stamp(expires) if expires is not None and expires <= swept_until else None
                expires = stamp(expires) if expires is not None else None
                self.enrolment_rows.append((customer_id, course_id, page_id))
                yield (
                    enrolment_id,
                    customer_id,
                    course_id,
                    page_id,
                    "checkout",
                    stamp(granted),
                    revoked,
                    expires,
                    recorded,
                )

    def _payments(self) -> Iterator[tuple]:
        """(id, customer_id, course_id, payment_page_id, amount, currency, status, gateway,
        gateway_payment_id, paid_at): one payment per enrolment, a second for every other one."""
        stamp = self.loader.timestamp
        target = self.total_customers * 3
        payment_id = 0
        rows = self.enrolment_rows
        for index, (customer_id, course_id, page_id) in enumerate(rows):
            for _ in range(2 if index < target - len(rows) else 1):
                payment_id += 1
                yield (
                    payment_id,
                    customer_id,
                    course_id,
                    page_id,
                    4900,
                    "usd",
                    "succeeded",
                    "sandbox",
                    f"bench_pay_{payment_id}",
                    stamp(self._moment()),
                )
        self.payment_count = payment_id

    def _refunds(self) -> Iterator[tuple]:
        """(id, payment_id, amount, currency, status, source, gateway_refund_id, created_at)."""
        stamp = self.loader.timestamp
        for refund_id, payment_id in enumerate(range(1, self.payment_count + 1, 50), start=1):
            yield (
                refund_id,
                payment_id,
                1000,
                "usd",
                "succeeded",
                "desk",
                f"bench_re_{refund_id}",
                stamp(self._moment()),
            )

    def _subscriptions(self, creator_ids) -> Iterator[tuple]:
        """Every twentieth big-creator enrolment is on a monthly subscription."""
        stamp = self.loader.timestamp
        big_id = creator_ids[0]
        subscription_id = 0
        for customer_id, course_id, page_id in self.enrolment_rows[::20]:
            if self.customer_creator[customer_id - 1] != big_id:
                continue
            subscription_id += 1
            yield (
                subscription_id,
                customer_id,
                course_id,
                page_id,
                1900,
                "usd",
                "month",
                "active",
                stamp(self._moment()),
                stamp(NOW + dt.timedelta(days=12)),
                "sandbox",
                f"bench_sub_{subscription_id}",
                "visa",
                "4242",
            )

    def _audit_events(self, creator_ids) -> Iterator[tuple]:
        stamp = self.loader.timestamp
        big_id = creator_ids[0]
        data = json.dumps({"source": "benchmark"})
        for customer_id in range(1, self.total_customers // BIG_SHARE + 1):
            yield (
                customer_id,
                big_id,
                customer_id,
                "customer.created",
                stamp(self._moment()),
                "system",
                "CourseDesk",
                "import",
                "customer",
                str(customer_id),
                data,
            )

    # --- the whole run ----------------------------------------------------------------------
    def run(self) -> SeedReport:
        if Customer.objects.exists():
            raise ValueError("seed_benchmark needs an empty database (customers already exist)")
        started = time.perf_counter()
        self.customer_creator: list[int] = []
        self.enrolment_rows: list[tuple[int, int, int]] = []
        self.payment_count = 0
        big_models = (Customer, Enrolment, Payment, Refund, Subscription, AuditEvent)
        big_tables = [m._meta.db_table for m in big_models]
        indexes = SecondaryIndexes(big_tables)
        load = self.loader.load
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:  # only outside a transaction; see _relax_checks
                cursor.execute("PRAGMA foreign_keys = OFF")
                # For this connection only: sorting the rows of each index built after the load in
                # memory (256 MB of pages, temporary b-trees in memory, two sorter threads) instead
                # of in 2 MB of pages spilled to temporary files.
                cursor.execute("PRAGMA cache_size = -262144")
                cursor.execute("PRAGMA temp_store = MEMORY")
                cursor.execute("PRAGMA threads = 2")
        with transaction.atomic():
            creators, by_creator = self._catalog()
            creator_ids = [c.pk for c in creators]
            self._relax_checks()
            indexes.drop()
            r = self.report
            r.customers = load(
                Customer,
                [
                    "id",
                    "creator_id",
                    "first_name",
                    "last_name",
                    "email",
                    "password",
                    "search_text",
                    "created_at",
                ],
                self._customers(creators),
            )
            r.enrolments = load(
                Enrolment,
                [
                    "id",
                    "customer_id",
                    "course_id",
                    "payment_page_id",
                    "source",
                    "granted_at",
                    "revoked_at",
                    "expires_at",
                    "expiry_recorded_at",
                ],
                self._enrolments(by_creator, creator_ids),
            )
            r.payments = load(
                Payment,
                [
                    "id",
                    "customer_id",
                    "course_id",
                    "payment_page_id",
                    "amount",
                    "currency",
                    "status",
                    "gateway",
                    "gateway_payment_id",
                    "paid_at",
                ],
                self._payments(),
            )
            r.refunds = load(
                Refund,
                [
                    "id",
                    "payment_id",
                    "amount",
                    "currency",
                    "status",
                    "source",
                    "gateway_refund_id",
                    "created_at",
                ],
                self._refunds(),
            )
            r.subscriptions = load(
                Subscription,
                [
                    "id",
                    "customer_id",
                    "course_id",
                    "payment_page_id",
                    "amount",
                    "currency",
                    "interval",
                    "status",
                    "started_at",
                    "next_payment_at",
                    "gateway",
                    "gateway_subscription_id",
                    "card_brand",
                    "card_last4",
                ],
                self._subscriptions(creator_ids),
            )
            r.audit_events = load(
                AuditEvent,
                [
                    "id",
                    "creator_id",
                    "customer_id",
                    "type",
                    "occurred_at",
                    "actor_kind",
                    "actor_label",
                    "source",
                    "subject_type",
                    "subject_id",
                    "data",
                ],
                self._audit_events(creator_ids),
            )
            self._receipts()
            indexes.build()
            self._reset_sequences([Customer, Enrolment, Payment, Refund, Subscription, AuditEvent, Receipt])
            course_counts_recount()  # the Teach counters of the rows loaded around the services
            csv_summary_repair()  # the students CSV's kept cells, loaded with the triggers off
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA foreign_keys = ON")
            # As after any bulk load: PostgreSQL's VACUUM also marks the pages all-visible (index-only
            # scans, no hint bits written by the first reads), so the figures are not those of
            # tables nobody has vacuumed yet.
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        r.seconds = time.perf_counter() - started
        return r

    def _receipts(self) -> None:
        """A receipt for every payment taken and every refund, numbered per creator in the order the
        money moved, as the receipt services number them; written by one INSERT … SELECT."""
        receipts, counters = Receipt._meta.db_table, ReceiptCounter._meta.db_table
        payments, refunds = Payment._meta.db_table, Refund._meta.db_table
        customers = Customer._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {receipts} (creator_id, number, kind, payment_id, refund_id, amount, currency,
                                        discount_amount, issued_at, business_name, business_address,
                                        tax_id, access_key)
                SELECT creator_id,
                       ROW_NUMBER() OVER (PARTITION BY creator_id ORDER BY moved_at, k, id),
                       kind, payment_id, refund_id, amount, currency, 0, moved_at, '', '', '',
                       'bench-' || kind || '-' || CAST(id AS TEXT)
                  FROM (SELECT c.creator_id, p.paid_at AS moved_at, 0 AS k, p.id, 'payment' AS kind,
                               p.id AS payment_id, NULL AS refund_id, p.amount, p.currency
                          FROM {payments} p JOIN {customers} c ON c.id = p.customer_id
                         WHERE p.status = 'succeeded'
                        UNION ALL
                        SELECT c.creator_id, r.created_at, 1, r.id, 'refund', r.payment_id, r.id,
                               r.amount, r.currency
                          FROM {refunds} r JOIN {payments} p ON p.id = r.payment_id
                          JOIN {customers} c ON c.id = p.customer_id
                         WHERE r.status = 'succeeded') moves
                """
            )
            self.report.receipts = cursor.rowcount
            cursor.execute(
                f"INSERT INTO {counters} (creator_id, last_number) "
                f"SELECT creator_id, MAX(number) FROM {receipts} GROUP BY creator_id"
            )
        self.progress(self.report.receipts)

    def _relax_checks(self) -> None:
        # Every id written is consistent by construction; per-row foreign-key checks would triple
        # the load time. PostgreSQL: skip the FK triggers for this transaction (needs a superuser;
        # without one the load is only slower). SQLite: switched off before the transaction.
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            try:
                with transaction.atomic():
                    cursor.execute("SET LOCAL session_replication_role = replica")
            except DatabaseError:
                logger.info("not a superuser: loading with foreign-key checks on")

    def _reset_sequences(self, models) -> None:
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for model in models:
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
                )


def seed_benchmark(*, customers: int, seed: int = SEED, progress=None) -> SeedReport:
    return BenchmarkSeeder(customers=customers, seed=seed, progress=progress).run()
