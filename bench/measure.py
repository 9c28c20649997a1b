"""Measures the figures of `make bench` on the database of DATABASE_URL (seeded by seed_benchmark).

Run by bench/run.py in its own process; prints one JSON line. Each figure is measured through the
application (API, page or selector, in process, or under gunicorn with wrk) beside its limit, timed
in the same run: the database's own CSV, the raw query plus the floor of an API request, the bare
page, or a fixed target. Figures are never assertions: a missed target says by what factor.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.csv_sql import postgres_copy_blocks, sqlite_shell_blocks, students_csv_params  # noqa: E402
from bench.urls import BARE_PAGE_PATH  # noqa: E402
from coursedesk.accounts.models import ApiToken, Creator  # noqa: E402
from coursedesk.api.main import api  # noqa: E402
from coursedesk.catalog.models import Course  # noqa: E402
from coursedesk.core import clock  # noqa: E402
from coursedesk.core.text import fold  # noqa: E402
from coursedesk.customers.models import Customer  # noqa: E402
from coursedesk.customers.selectors import SEARCH_COLUMNS  # noqa: E402
from coursedesk.usecases.benchmark_data import BIG_CREATOR_EMAIL, BIG_SHARE  # noqa: E402

THREE_LETTERS = ["oka", "gar", "now", "che", "sil", "pat", "tan", "ros", "mul", "kim"]
SIX_LETTERS = [
    "okafor",
    "garcia",
    "martin",
    "larsen",
    "murphy",
    "dubois",
    "tanaka",
    "petrov",
    "moreau",
    "santos",
]
FLOOR_PATH = "/api/v1/me"
# What a search answers of each customer (the API's CustomerOut), read by the raw query as well.
RAW_SEARCH_COLUMNS = ", ".join(SEARCH_COLUMNS)
SEARCH_PATH = "/api/v1/customers"
ADMIN_EMAIL = "admin@bench.coursedesk.test"
VENDOR = connection.vendor

# Targets (issue "Speed to the limit"), at a million customers.
SEARCH_RATIO = 1.2  # median at most 1.2 times (raw query + floor)
SEARCH_P95_MS = 25
CSV_RATIO = 0.8  # at least 0.8 times the raw limit
CSV_POSTGRES_ROWS_PER_SECOND = 250_000
CSV_MEMORY_MB = 50
TEACH_COUNTS_MS = 5
PROFILE_MS = 5
PROFILE_QUERIES = 8
PROFILE_UNDER_GUNICORN_RATIO = 0.3  # at least 0.3 times the bare page
MIXED_P99_MS = 150
MIXED_CLIENTS = 16
# gunicorn worker models compared under the same load: processes, as deploy/gunicorn.conf.py runs them
# (the targets are theirs), and threads, for comparison (WEB_THREADS=4).
WORKER_MODELS = [
    ("sync", [], True),
    ("gthread ×4", ["--worker-class", "gthread", "--threads", "4"], False),
]
SEGMENT_LIST_MS = 20


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def median(values):
    return statistics.median(values)


def p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(call, repeat: int) -> list[float]:
    call()  # warm the caches once, as a live server would have
    samples = []
    for n in range(repeat):
        started = time.perf_counter()
        call(n)
        samples.append(time.perf_counter() - started)
    return samples


def interleaved(calls: dict, repeat: int) -> dict[str, list[float]]:
    """Times each call once a round, in turn, so that a change of load on a shared machine weighs
    on a figure and its limit alike."""
    for call in calls.values():
        call()  # warm the caches once
    samples = {name: [] for name in calls}
    for n in range(repeat):
        for name, call in calls.items():
            started = time.perf_counter()
            call(n)
            samples[name].append(time.perf_counter() - started)
    return samples


def figure(
    name: str,
    value,
    unit: str,
    *,
    limit=None,
    limit_name: str = "",
    threshold=None,
    better: str = "lower",
    target: str = "",
    checks: list[tuple[bool, str]] | None = None,
    note: str = "",
    **extra,
) -> dict:
    """One row: the figure, the limit it is measured against (and their ratio), the target bound
    (`threshold`, in the figure's unit, for the chart) and whether every check of the target holds.
    Without checks the row is for reference (met is None)."""
    met = None if checks is None or value is None else all(ok for ok, _ in checks)
    missed = [why for ok, why in checks or [] if not ok]
    return {
        "figure": name,
        "value": value,
        "unit": unit,
        "limit": limit,
        "limit_name": limit_name,
        "ratio": round(value / limit, 2) if value is not None and limit else None,
        "threshold": threshold,
        "better": better,
        "target": target,
        "met": met,
        "note": "; ".join([*missed, note] if note else missed),
        **extra,
    }


def not_built(name: str, target: str, why: str) -> dict:
    return figure(name, None, "", target=target, note=why, built=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def status_of(port: int, path: str, header: str) -> int:
    """The status of one GET, redirects not followed (a sign-in redirect must not pass for a page)."""
    name, value = header.split(": ", 1)
    connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection_.request("GET", path, headers={name: value})
        return connection_.getresponse().status
    except OSError:
        return 0
    finally:
        connection_.close()


class Bench:
    def __init__(self, requests: int, wrk_seconds: int):
        self.requests = requests
        self.wrk_seconds = wrk_seconds
        self.creator = Creator.objects.get(email=BIG_CREATOR_EMAIL)
        _, self.token = ApiToken.issue(creator=self.creator, name="benchmark")
        # An API client sends its token and no cookie; the desk is a signed-in browser.
        self.api_client = Client(HTTP_AUTHORIZATION=f"Bearer {self.token}")
        self.desk_client = Client()
        self.desk_client.force_login(self.creator)
        self.paths = api.get_openapi_schema(path_prefix="/api/v1")["paths"]
        self.big_customers = Customer.objects.filter(creator=self.creator).count()
        self.sqlite_text_index = ""
        self.sqlite_plan = "full-text"
        if VENDOR == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE "
                    "'CREATE VIRTUAL TABLE%fts5%content=''customers_customer''%'"
                )
                row = cursor.fetchone()
                self.sqlite_text_index = row[0] if row else ""
        self.emails = list(
            Customer.objects.filter(creator=self.creator).order_by("?").values_list("email", flat=True)[:20]
        )
        self.profile_ids = list(
            Customer.objects.filter(creator=self.creator).order_by("?").values_list("pk", flat=True)[:50]
        )
        self.floor_ms: float | None = None
        self.search_medians: dict[str, float] = {}
        self.figures: list[dict] = []

    # --- CSV export -------------------------------------------------------------------------------
    def csv_course(self) -> Course:
        return Course.objects.filter(creator=self.creator).order_by("pk").first()

    def export_once(self, course: Course) -> tuple[int, int, float]:
        """Rows, bytes and seconds of the export through the API, read as a client reads it."""
        started = time.perf_counter()
        response = self.api_client.get(f"/api/v1/courses/{course.pk}/students.csv")
        assert response.status_code == 200, response.status_code
        lines = size = 0
        for chunk in response.streaming_content if response.streaming else [response.content]:
            lines += chunk.count(b"\n")
            size += len(chunk)
        return lines - 1, size, time.perf_counter() - started  # the header is one line

    def raw_once(self, course: Course, *, people_only: bool = False) -> tuple[int, int, float]:
        """Rows, bytes and seconds of the database writing the same CSV itself (bench/csv_sql.py);
        `people_only`: from the enrolments and customers alone."""
        started = time.perf_counter()
        now = clock.now()
        if VENDOR == "postgresql":
            blocks = postgres_copy_blocks(connection, course_id=course.pk, now=now, people_only=people_only)
        else:
            stored_now = students_csv_params(connection, course_id=course.pk, now=now)["now"]
            blocks = sqlite_shell_blocks(
                str(settings.DATABASES["default"]["NAME"]),
                course_id=course.pk,
                now=stored_now,
                people_only=people_only,
            )
        lines = size = 0
        for block in blocks:
            lines += block.count(b"\n")
            size += len(block)
        return lines, size, time.perf_counter() - started

    def csv_export(self) -> None:
        course = self.csv_course()
        self.raw_once(course)  # the same pages in the database's cache for both
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        rows, size, first = self.export_once(course)
        growth_mb = round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024, 1)
        raw_rows, raw_size, raw_first = self.raw_once(course)
        _, _, second = self.export_once(course)
        _, _, raw_second = self.raw_once(course)
        rate = round(rows / min(first, second))
        raw_rate = round(raw_rows / min(raw_first, raw_second))
        checks = [
            (rate >= CSV_RATIO * raw_rate, f"{rate / raw_rate:.2f}× the raw limit, target ≥ {CSV_RATIO}×")
        ]
        target = f"≥ {CSV_RATIO}× raw limit"
        if VENDOR == "postgresql":
            checks.append(
                (
                    rate >= CSV_POSTGRES_ROWS_PER_SECOND,
                    f"{CSV_POSTGRES_ROWS_PER_SECOND / rate:.2f}× below {CSV_POSTGRES_ROWS_PER_SECOND:,}/s",
                )
            )
            target += f", ≥ {CSV_POSTGRES_ROWS_PER_SECOND // 1000}k rows/s"
        notes = [] if raw_rows == rows else [f"the raw limit wrote {raw_rows:,} rows"]
        if abs(raw_size - size) > 0.01 * size:  # the same cells; the tool's CSV dialect differs
            notes.append(
                f"the raw CSV is {raw_size / size:.2f}× the export's bytes (its tool quotes more cells)"
            )
        note = "; ".join(notes)
        self.figures.append(
            figure(
                f"CSV export, {rows:,} rows: rows/s",
                rate,
                "rows/s",
                limit=raw_rate,
                limit_name="raw limit",
                threshold=round(CSV_RATIO * raw_rate),
                better="higher",
                target=target,
                checks=checks,
                note=note,
                rows=rows,
                bytes=size,
                raw_bytes=raw_size,
            )
        )
        # What the money costs: the same SELECT and formatting without the joins to payments,
        # refunds, receipts, subscriptions and lessons, or on PostgreSQL to the cells it keeps for
        # them (the database's own CSV, no Python).
        self.raw_once(course, people_only=True)
        people_rows, _, people_seconds = min(
            (self.raw_once(course, people_only=True) for _ in range(2)), key=lambda run: run[2]
        )
        self.figures.append(
            figure(
                "CSV reference: the raw limit without the money joins (enrolments and customers alone)",
                round(people_rows / people_seconds),
                "rows/s",
                better="higher",
                target="(reference: the ceiling of any export of these rows)",
                rows=people_rows,
            )
        )
        self.figures.append(
            figure(
                "CSV export: peak memory growth",
                growth_mb,
                "MB",
                limit=CSV_MEMORY_MB,
                limit_name="target",
                threshold=CSV_MEMORY_MB,
                target=f"< {CSV_MEMORY_MB} MB",
                checks=[
                    (
                        growth_mb < CSV_MEMORY_MB,
                        f"{growth_mb / CSV_MEMORY_MB:.2f}× the {CSV_MEMORY_MB} MB limit",
                    )
                ],
            )
        )

    # --- search -----------------------------------------------------------------------------------
    def raw_search(self, term: str, exact: bool):
        """The hand-written best SQL for the same search, answering the same columns as the API."""
        with connection.cursor() as cursor:
            if exact:
                cursor.execute(
                    f"SELECT {RAW_SEARCH_COLUMNS} "
                    "FROM customers_customer WHERE creator_id = %s AND LOWER(email) = %s",
                    [self.creator.pk, term.lower()],
                )
            elif VENDOR == "sqlite" and self.sqlite_plan == "newest-first scan":
                # Walk the creator's customers newest first (customer_newest index) and stop at
                # 50 matches: best when the term is common.
                cursor.execute(
                    f"SELECT {RAW_SEARCH_COLUMNS} "
                    "FROM customers_customer INDEXED BY customer_newest WHERE creator_id = %s "
                    "AND search_text LIKE %s ORDER BY created_at DESC, id DESC LIMIT 50",
                    [self.creator.pk, f"%{fold(term)}%"],
                )
            elif VENDOR == "sqlite" and self.sqlite_text_index:
                # The FTS5 trigram table over search_text: best when the term is rare.
                cursor.execute(
                    f"SELECT {RAW_SEARCH_COLUMNS} "
                    "FROM customers_customer WHERE creator_id = %s AND id IN (SELECT rowid FROM "
                    f"{self.sqlite_text_index} WHERE {self.sqlite_text_index} MATCH %s) "
                    "ORDER BY created_at DESC, id DESC LIMIT 50",
                    [self.creator.pk, '"' + fold(term) + '"'],
                )
            else:
                # PostgreSQL's best: LIKE on the folded text, served by the pg_trgm GIN index.
                cursor.execute(
                    f"SELECT {RAW_SEARCH_COLUMNS} "
                    "FROM customers_customer WHERE creator_id = %s AND search_text LIKE %s "
                    "ORDER BY created_at DESC, id DESC LIMIT 50",
                    [self.creator.pk, f"%{fold(term)}%"],
                )
            return cursor.fetchall()

    def api_get(self, path: str, **params) -> None:
        response = self.api_client.get(path, params)
        assert response.status_code == 200, (path, response.status_code, response.content[:200])

    def floor(self) -> None:
        # More samples than a search: every search figure is compared to this median.
        samples = timed(lambda n=0: self.api_get(FLOOR_PATH), 4 * self.requests)
        self.floor_ms = ms(median(samples))
        self.figures.append(
            figure(
                "floor: GET /api/v1/me (token, JSON, no customers)",
                self.floor_ms,
                "ms",
                target="(reference: what any API request costs)",
                p95=ms(p95(samples)),
            )
        )

    def search(self) -> None:
        kinds = [
            ("3 letters", THREE_LETTERS, False),
            ("6 letters", SIX_LETTERS, False),
            ("exact email", self.emails, True),
        ]
        for label, terms, exact in kinds:

            def through_api(n=0, terms=terms):
                self.api_get(SEARCH_PATH, q=terms[n % len(terms)])

            def floor(n=0):
                self.api_get(FLOOR_PATH)

            def raw(n=0, terms=terms, exact=exact):
                self.raw_search(terms[n % len(terms)], exact)

            def raw_scan(n=0, terms=terms, exact=exact):
                self.sqlite_plan = "newest-first scan"
                try:
                    self.raw_search(terms[n % len(terms)], exact)
                finally:
                    self.sqlite_plan = "full-text"

            calls = {"app": through_api, "floor": floor, "raw": raw}
            if VENDOR == "sqlite" and not exact:  # the raw query is the faster of SQLite's two plans
                calls["scan"] = raw_scan
            # Four times the requests, as for the floor: a p95 of 50 samples is their third slowest,
            # one stall of the machine away from another figure.
            samples = interleaved(calls, 4 * self.requests)
            app = samples["app"]
            best = min([samples["raw"], samples.get("scan", samples["raw"])], key=median)
            floor_ms = ms(median(samples["floor"]))
            app_median, app_p95, raw_median = ms(median(app)), ms(p95(app)), ms(median(best))
            self.search_medians[label] = app_median
            limit = round(raw_median + floor_ms, 2)
            checks = [
                (
                    app_median <= SEARCH_RATIO * limit,
                    f"median {app_median / limit:.2f}× (raw + floor), target ≤ {SEARCH_RATIO}×",
                )
            ]
            target = f"median ≤ {SEARCH_RATIO}× (raw + floor)"
            if not exact:
                checks.append(
                    (
                        app_p95 <= SEARCH_P95_MS,
                        f"p95 {app_p95 / SEARCH_P95_MS:.2f}× the {SEARCH_P95_MS} ms target",
                    )
                )
                target += f", p95 ≤ {SEARCH_P95_MS} ms"
            self.figures.append(
                figure(
                    f"API search, {label}: median (p95 {app_p95} ms)",
                    app_median,
                    "ms",
                    limit=limit,
                    limit_name=f"raw {raw_median} + floor {floor_ms}",
                    threshold=round(SEARCH_RATIO * limit, 2),
                    target=target,
                    checks=checks,
                    p95=app_p95,
                    raw=raw_median,
                    raw_p95=ms(p95(best)),
                    floor=floor_ms,
                )
            )

    def admin_peer(self) -> None:
        """The same searches through the Django admin's changelist, on the same creator's customers."""
        admin = Creator.objects.filter(email=ADMIN_EMAIL).first() or Creator.objects.create_superuser(
            email=ADMIN_EMAIL, password=None
        )
        client = Client()
        client.force_login(admin)
        url = reverse("admin:customers_customer_changelist")
        for label, terms in (("3 letters", THREE_LETTERS), ("6 letters", SIX_LETTERS)):

            def changelist(n=0, terms=terms):
                response = client.get(
                    url, {"creator__id__exact": self.creator.pk, "q": terms[n % len(terms)]}
                )
                assert response.status_code == 200, response.status_code

            samples = timed(changelist, max(5, self.requests // 5))
            peer, ours = ms(median(samples)), self.search_medians[label]
            self.figures.append(
                figure(
                    f"peer: Django admin changelist search, {label}: median",
                    peer,
                    "ms",
                    limit=ours,
                    limit_name="CourseDesk",
                    target="(reference: ratio = CourseDesk's speed-up)",
                    note=f"CourseDesk answers {peer / ours:.1f}× faster",
                    p95=ms(p95(samples)),
                )
            )

    # --- Teach page -------------------------------------------------------------------------------
    def teach(self) -> None:
        from coursedesk.customers.selectors import course_student_counts

        courses = list(Course.objects.for_creator(self.creator))
        app = timed(lambda n=0: course_student_counts(courses=courses), 20)
        now = connection.ops.adapt_datetimefield_value(clock.now())

        def counting_rows(n=0):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT course_id, "
                    "SUM(CASE WHEN revoked_at IS NULL AND (expires_at IS NULL OR expires_at > %s) "
                    "THEN 1 ELSE 0 END), SUM(CASE WHEN revoked_at IS NOT NULL THEN 1 ELSE 0 END), "
                    "SUM(CASE WHEN revoked_at IS NULL AND expires_at <= %s THEN 1 ELSE 0 END) "
                    "FROM customers_enrolment WHERE course_id IN (SELECT id FROM catalog_course "
                    "WHERE creator_id = %s) GROUP BY course_id",
                    [now, now, self.creator.pk],
                )
                cursor.fetchall()

        counted = ms(median(timed(counting_rows, 5)))
        value = ms(median(app))
        enrolments = sum(
            c["active"] + c["revoked"] + c["expired"] for c in course_student_counts(courses=courses).values()
        )
        self.figures.append(
            figure(
                f"Teach counts, {len(courses)} courses / {enrolments:,} enrolments: median",
                value,
                "ms",
                limit=TEACH_COUNTS_MS,
                limit_name="target",
                threshold=TEACH_COUNTS_MS,
                target=f"≤ {TEACH_COUNTS_MS} ms",
                checks=[
                    (
                        value <= TEACH_COUNTS_MS,
                        f"{value / TEACH_COUNTS_MS:.2f}× the {TEACH_COUNTS_MS} ms target",
                    )
                ],
                note=f"counting the rows in SQL takes {counted} ms",
                counting_rows=counted,
            )
        )
        page = timed(lambda n=0: self.desk_client.get("/desk/teach/"), 10)
        self.figures.append(
            figure("Teach page, whole request: median", ms(median(page)), "ms", target="(reference)")
        )

    # --- Customer Profile -------------------------------------------------------------------------
    def profile_url(self, customer_id: int) -> str:
        return reverse("desk:customer", kwargs={"customer_id": customer_id})

    def profile(self) -> None:
        """Two figures: a profile opened again with nothing changed (the desk answers the HTML it
        kept, after reading every row again to know that nothing changed), and a first view, with
        nothing kept, rendered from the rows; after the bare page's time for reference."""
        from coursedesk.desk import rendered

        # The floor of any desk page: the same middleware, session, sign-in and base template, with
        # nothing of its own to read (its one query reads the session with its signed-in person).
        bare = timed(lambda n=0: self.desk_client.get(BARE_PAGE_PATH), self.requests)
        self.figures.append(
            figure(
                "bare page (the floor of a desk page), server time: median",
                ms(median(bare)),
                "ms",
                target="(reference)",
            )
        )
        for label, first_view in (("opened again", False), ("first view, nothing kept", True)):
            queries = []

            def get(n=0, first_view=first_view):
                if first_view:
                    rendered.kept.clear()
                response = self.desk_client.get(self.profile_url(self.profile_ids[n % len(self.profile_ids)]))
                assert response.status_code == 200, response.status_code

            if not first_view:
                for n in range(len(self.profile_ids)):
                    get(n)  # each profile was opened once before
            samples = timed(get, self.requests)
            # Queries are counted in a pass of their own: capturing them (Django's debug cursor, which
            # on SQLite asks the database to quote each parameter) would weigh on the timing.
            for n in range(10):
                with CaptureQueriesContext(connection) as captured:
                    get(n)
                queries.append(len(captured.captured_queries))
            value, most = ms(median(samples)), max(queries)
            self.figures.append(
                figure(
                    f"Customer Profile, {label}, server time: median ({most} queries at most)",
                    value,
                    "ms",
                    limit=PROFILE_MS,
                    limit_name="target",
                    threshold=PROFILE_MS,
                    target=f"≤ {PROFILE_MS} ms median, ≤ {PROFILE_QUERIES} queries",
                    checks=[
                        (value <= PROFILE_MS, f"{value / PROFILE_MS:.2f}× the {PROFILE_MS} ms target"),
                        (most <= PROFILE_QUERIES, f"{most} queries, {PROFILE_QUERIES} allowed"),
                    ],
                    queries=most,
                    p95=ms(p95(samples)),
                )
            )

    # --- customers list with a segment (the desk issue) -------------------------------------------
    def segment_list(self) -> None:
        name = "customers list with a segment: median"
        target = f"≤ {SEGMENT_LIST_MS} ms"
        parameters = {p["name"] for p in self.paths.get(SEARCH_PATH, {}).get("get", {}).get("parameters", [])}
        if "segment" not in parameters:
            self.figures.append(not_built(name, target, "not built yet"))
            return
        samples = timed(lambda n=0: self.api_get(SEARCH_PATH, segment="active"), self.requests)
        value = ms(median(samples))
        self.figures.append(
            figure(
                f"customers list, segment 'active', {self.big_customers:,} customers: median",
                value,
                "ms",
                limit=SEGMENT_LIST_MS,
                limit_name="target",
                threshold=SEGMENT_LIST_MS,
                target=target,
                checks=[
                    (
                        value <= SEGMENT_LIST_MS,
                        f"{value / SEGMENT_LIST_MS:.2f}× the {SEGMENT_LIST_MS} ms target",
                    )
                ],
            )
        )

    # --- under gunicorn ---------------------------------------------------------------------------
    def session_cookie(self) -> str:
        from importlib import import_module

        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session[SESSION_KEY] = str(self.creator.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = self.creator.get_session_auth_hash()
        session.create()
        return f"Cookie: {settings.SESSION_COOKIE_NAME}={session.session_key}"

    def wrk(self, port: int, requests: list[tuple[str, str]], connections: int) -> dict:
        """wrk against gunicorn with bench/load.lua cycling through `requests` (path, header)."""
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as listing:
            listing.write("".join(f"{path}\t{header}\n" for path, header in requests))
            listing.flush()
            output = subprocess.run(  # noqa: S603 - our own fixed commands
                [
                    shutil.which("wrk"),
                    "-t2",
                    f"-c{connections}",
                    f"-d{self.wrk_seconds}s",
                    "--timeout",
                    "5s",
                    "-s",
                    str(ROOT / "bench" / "load.lua"),
                    f"http://127.0.0.1:{port}",
                    "--",
                    listing.name,
                ],
                check=True,
                stdout=subprocess.PIPE,
                text=True,
            ).stdout
        line = next(line for line in output.splitlines() if line.startswith("BENCH "))
        result = json.loads(line.removeprefix("BENCH "))
        errors = sum(result[key] for key in result if key.endswith("errors") or key == "timeouts")
        return {
            "requests_per_second": round(result["requests"] / (result["duration_us"] / 1e6)),
            "p50_ms": round(result["p50_us"] / 1000, 1),
            "p99_ms": round(result["p99_us"] / 1000, 1),
            "errors": errors,
            "requests": result["requests"],
        }

    def under_gunicorn(self) -> None:
        if shutil.which("wrk") is None:
            for name in ("Profile under gunicorn", f"{MIXED_CLIENTS} clients, search + profile"):
                self.figures.append(not_built(name, "", "wrk is not installed"))
            return
        # Each worker model in turn, on the same data and load, so the choice is read side by side.
        for model, options, deployed in WORKER_MODELS:
            port = free_port()
            server = subprocess.Popen(  # noqa: S603 - our own fixed commands
                [
                    str(Path(sys.executable).with_name("gunicorn")),
                    "config.wsgi:application",
                    "--workers",
                    "2",
                    *options,
                    # A worker's first request imports every URL module; on a loaded machine that
                    # can outlast gunicorn's 30 s default and the worker would be killed mid-import.
                    "--timeout",
                    "180",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
            )
            try:
                self.load(port, model, deployed=deployed)
            finally:
                server.terminate()
                try:
                    server.wait(30)
                except subprocess.TimeoutExpired:  # a worker still busy; the figures are taken
                    server.kill()
                    server.wait()

    def load(self, port: int, model: str, *, deployed: bool) -> None:
        """The profile alone and the mixed load under this worker model. The targets are those of
        the model deployed; another is measured for comparison, with what it would miss said in
        the note."""

        def judged(target: str, checks: list[tuple[bool, str]]) -> dict:
            if deployed:
                return {"target": target, "checks": checks}
            missed = [why for ok, why in checks if not ok]
            target = f"(comparison; the deployed model's target: {target})"
            return {"target": target, "note": "; ".join(missed)}

        cookie = self.session_cookie()
        token = f"Authorization: Bearer {self.token}"
        bare = [(BARE_PAGE_PATH, cookie)]
        profiles = [(self.profile_url(pk), cookie) for pk in self.profile_ids]
        terms = [*THREE_LETTERS, *SIX_LETTERS, *self.emails]
        searches = [(f"{SEARCH_PATH}?{urlencode({'q': term})}", token) for term in terms]
        mixed = [request for pair in zip(searches, profiles, strict=False) for request in pair]
        for _ in range(900):  # until the workers answer (their first request imports every module)
            if status_of(port, "/healthz", cookie) == 200:
                break
            time.sleep(0.2)
        for path, header in [*bare, *profiles, *searches]:  # each must answer 200 before any load
            status = status_of(port, path, header)
            assert status == 200, f"{path} answered {status} under gunicorn"

        bare_8 = self.wrk(port, bare, 8)
        profile_8 = self.wrk(port, profiles, 8)
        rate, bare_rate = profile_8["requests_per_second"], bare_8["requests_per_second"]
        self.figures.append(
            figure(
                f"Profile under gunicorn, 2 {model} workers, 8 clients: req/s",
                rate,
                "req/s",
                limit=bare_rate,
                limit_name="bare page",
                threshold=round(PROFILE_UNDER_GUNICORN_RATIO * bare_rate),
                better="higher",
                **judged(
                    f"≥ {PROFILE_UNDER_GUNICORN_RATIO}× the bare page",
                    [
                        (
                            rate >= PROFILE_UNDER_GUNICORN_RATIO * bare_rate and profile_8["errors"] == 0,
                            f"{rate / bare_rate:.2f}× the bare page, target ≥ {PROFILE_UNDER_GUNICORN_RATIO}×"
                            + (f", {profile_8['errors']} errors" if profile_8["errors"] else ""),
                        )
                    ],
                ),
                p99_ms=profile_8["p99_ms"],
                bare_p99_ms=bare_8["p99_ms"],
            )
        )

        bare_16 = self.wrk(port, bare, MIXED_CLIENTS)
        mixed_16 = self.wrk(port, mixed, MIXED_CLIENTS)
        p99, errors = mixed_16["p99_ms"], mixed_16["errors"]
        self.figures.append(
            figure(
                f"{MIXED_CLIENTS} clients, search + profile, gunicorn 2 {model} workers: p99",
                p99,
                "ms",
                limit=MIXED_P99_MS,
                limit_name="target",
                threshold=MIXED_P99_MS,
                **judged(
                    f"0 errors, p99 ≤ {MIXED_P99_MS} ms",
                    [
                        (errors == 0, f"{errors:,} errors in {mixed_16['requests']:,} requests"),
                        (p99 <= MIXED_P99_MS, f"p99 {p99 / MIXED_P99_MS:.2f}× the {MIXED_P99_MS} ms target"),
                    ],
                ),
                errors=errors,
                p50_ms=mixed_16["p50_ms"],
            )
        )
        self.figures.append(
            figure(
                f"{MIXED_CLIENTS} clients, search + profile, gunicorn 2 {model} workers: req/s",
                mixed_16["requests_per_second"],
                "req/s",
                limit=bare_16["requests_per_second"],
                limit_name=f"bare page, {MIXED_CLIENTS} clients",
                better="higher",
                target="(reference: ratio to the bare page under the same load)",
                bare_p99_ms=bare_16["p99_ms"],
            )
        )

    def run(self) -> dict:
        load_at_start = [round(x, 2) for x in os.getloadavg()]
        # The CSV first: its memory growth is read from the process's peak, before other steps raise it.
        steps = [
            self.csv_export,
            self.floor,
            self.search,
            self.admin_peer,
            self.teach,
            self.profile,
            self.segment_list,
            self.under_gunicorn,
        ]
        for step in steps:
            log(f"measuring: {step.__name__}")
            step()
        return {
            "format": 2,
            "customers": Customer.objects.count(),
            "big_creator_customers": self.big_customers,
            "big_share": BIG_SHARE,
            "vendor": VENDOR,
            "load_at_measure_start": load_at_start,
            "figures": self.figures,
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--wrk-seconds", type=int, default=10)
    args = parser.parse_args()
    result = Bench(args.requests, args.wrk_seconds).run()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
