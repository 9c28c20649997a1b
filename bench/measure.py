"""Measures the issue's figures on the database of DATABASE_URL (seeded by seed_benchmark).

Run by bench/run.py in its own process; prints one JSON line. Each figure is measured through the
application (API, page or selector, in process) and, where the issue asks for it, beside the
hand-written best SQL for the same answer, timed on the same connection in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from coursedesk.accounts.models import ApiToken, Creator  # noqa: E402
from coursedesk.api.main import api  # noqa: E402
from coursedesk.catalog.models import Course  # noqa: E402
from coursedesk.core import clock  # noqa: E402
from coursedesk.core.text import fold  # noqa: E402
from coursedesk.customers.models import Customer  # noqa: E402
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
VENDOR = connection.vendor


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


def figure(name, value, unit, target, met, raw=None, note="", **extra) -> dict:
    ratio = round(value / raw, 2) if (value is not None and raw) else None
    return {
        "figure": name,
        "value": value,
        "unit": unit,
        "raw": raw,
        "ratio": ratio,
        "target": target,
        "met": met,
        "note": note,
        **extra,
    }


def missing(name, target, why) -> dict:
    return figure(name, None, "", target, None, note=why)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - http on loopback
            return response.status == 200
    except OSError:
        return False


def api_paths() -> set[str]:
    return set(api.get_openapi_schema(path_prefix="/api/v1")["paths"])


class Bench:
    def __init__(self, requests: int, wrk_seconds: int):
        self.requests = requests
        self.wrk_seconds = wrk_seconds
        self.creator = Creator.objects.get(email=BIG_CREATOR_EMAIL)
        _, self.token = ApiToken.issue(creator=self.creator, name="benchmark")
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {self.token}")
        self.client.force_login(self.creator)
        self.paths = api_paths()
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
        self.figures: list[dict] = []

    # --- search ---------------------------------------------------------------------------------
    def raw_search(self, term: str, exact: bool):
        with connection.cursor() as cursor:
            if exact:
                cursor.execute(
                    "SELECT id, first_name, last_name, email, created_at, last_login_at "
                    "FROM customers_customer WHERE creator_id = %s AND LOWER(email) = %s",
                    [self.creator.pk, term.lower()],
                )
            elif VENDOR == "sqlite" and self.sqlite_plan == "newest-first scan":
                # Walk the creator's customers newest first (customer_newest index) and stop at
                # 50 matches: best when the term is common.
                cursor.execute(
                    "SELECT id, first_name, last_name, email, created_at, last_login_at "
                    "FROM customers_customer INDEXED BY customer_newest WHERE creator_id = %s "
                    "AND search_text LIKE %s ORDER BY created_at DESC, id DESC LIMIT 50",
                    [self.creator.pk, f"%{fold(term)}%"],
                )
            elif VENDOR == "sqlite" and self.sqlite_text_index:
                # The FTS5 trigram table over search_text: best when the term is rare.
                cursor.execute(
                    "SELECT id, first_name, last_name, email, created_at, last_login_at "
                    "FROM customers_customer WHERE creator_id = %s AND id IN (SELECT rowid FROM "
                    f"{self.sqlite_text_index} WHERE {self.sqlite_text_index} MATCH %s) "
                    "ORDER BY created_at DESC, id DESC LIMIT 50",
                    [self.creator.pk, '"' + fold(term) + '"'],
                )
            else:
                # PostgreSQL's best: LIKE on the folded text, served by the pg_trgm GIN index.
                cursor.execute(
                    "SELECT id, first_name, last_name, email, created_at, last_login_at "
                    "FROM customers_customer WHERE creator_id = %s AND search_text LIKE %s "
                    "ORDER BY created_at DESC, id DESC LIMIT 50",
                    [self.creator.pk, f"%{fold(term)}%"],
                )
            return cursor.fetchall()

    def search(self) -> None:
        if "/api/v1/customers" in self.paths:
            where, path, extra = "API", "/api/v1/customers", {}
        else:  # until the API route lands: the desk's own search box (htmx results)
            where, path, extra = (
                "desk page",
                "/desk/",
                {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "search-results"},
            )
        emails = list(
            Customer.objects.filter(creator=self.creator).order_by("?").values_list("email", flat=True)[:20]
        )
        kinds = [
            ("3 letters", THREE_LETTERS, False, 15, 40),
            ("6 letters", SIX_LETTERS, False, 15, 40),
            ("exact email", emails, True, 5, 40),
        ]
        for label, terms, exact, median_target, p95_target in kinds:

            def through_api(n=0, terms=terms):
                response = self.client.get(path, {"q": terms[n % len(terms)]}, **extra)
                assert response.status_code == 200, response.content[:200]

            def raw(n=0, terms=terms, exact=exact):
                self.raw_search(terms[n % len(terms)], exact)

            app = timed(through_api, self.requests)
            limit = timed(raw, self.requests)
            if VENDOR == "sqlite":  # the hand-written best is the faster of SQLite's two plans
                self.sqlite_plan = "newest-first scan"
                scan = timed(raw, self.requests)
                self.sqlite_plan = "full-text"
                if median(scan) < median(limit):
                    limit = scan
            app_median, app_p95, raw_median = ms(median(app)), ms(p95(app)), ms(median(limit))
            ratio_ok = app_median <= 2 * raw_median
            met = app_median <= median_target and app_p95 <= p95_target and ratio_ok
            notes = []
            if app_median > median_target:
                notes.append(f"median {app_median / median_target:.2f}× the {median_target} ms target")
            if app_p95 > p95_target:
                notes.append(f"p95 {app_p95 / p95_target:.2f}× the {p95_target} ms target")
            if not ratio_ok:
                notes.append(f"{app_median / raw_median:.2f}× raw, target ≤ 2×")
            self.figures.append(
                figure(
                    f"search ({where}) {label}: median (p95 {app_p95} ms)",
                    app_median,
                    "ms",
                    f"≤ {median_target} ms, p95 ≤ {p95_target}, ≤ 2× raw",
                    met,
                    raw=raw_median,
                    note="; ".join(notes),
                    p95=app_p95,
                    raw_p95=ms(p95(limit)),
                )
            )

    # --- CSV export -------------------------------------------------------------------------------
    def csv_course(self) -> Course:
        return Course.objects.filter(creator=self.creator).order_by("pk").first()

    def raw_csv_rows_per_second(self, course: Course) -> float:
        sql = """
            SELECT c.first_name, c.last_name, c.email,
                   CASE WHEN e.revoked_at IS NOT NULL THEN 'Revoked'
                        WHEN e.expires_at IS NOT NULL AND e.expires_at <= %(now)s THEN 'Expired'
                        ELSE 'Active' END,
                   e.expires_at, e.granted_at,
                   (SELECT COALESCE(SUM(p.amount), 0) FROM billing_payment p
                     WHERE p.customer_id = e.customer_id AND p.course_id = e.course_id
                       AND p.status = 'succeeded'),
                   (SELECT COALESCE(SUM(r.amount), 0) FROM billing_refund r
                      JOIN billing_payment p ON p.id = r.payment_id
                     WHERE p.customer_id = e.customer_id AND p.course_id = e.course_id
                       AND r.status IN ('pending', 'succeeded')),
                   (SELECT s.status FROM billing_subscription s
                     WHERE s.customer_id = e.customer_id AND s.course_id = e.course_id
                     ORDER BY s.started_at DESC LIMIT 1)
              FROM customers_enrolment e JOIN customers_customer c ON c.id = e.customer_id
             WHERE e.course_id = %(course)s ORDER BY e.id"""
        started = time.perf_counter()
        rows = 0
        with connection.cursor() as cursor:
            if VENDOR == "postgresql":
                query = cursor.mogrify(sql, {"now": clock.now(), "course": course.pk})
                with cursor.cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:
                    for block in copy:
                        rows += bytes(block).count(b"\n")
            else:
                import csv
                import io

                cursor.execute(sql, {"now": clock.now().strftime("%Y-%m-%d %H:%M:%S"), "course": course.pk})
                sink = io.StringIO()
                writer = csv.writer(sink)
                while batch := cursor.fetchmany(5000):
                    writer.writerows(batch)
                    rows += len(batch)
                    sink.seek(0)
                    sink.truncate()
        return rows / (time.perf_counter() - started)

    def csv_export(self) -> None:
        course = self.csv_course()
        if "/api/v1/courses/{id}/students.csv" in self.paths:
            path = f"/api/v1/courses/{course.pk}/students.csv"
        else:  # the Teach page's CSV link
            path = f"/desk/courses/{course.pk}/students.csv"
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        response = self.client.get(path)
        rows = -1  # the header line
        for chunk in response.streaming_content if response.streaming else [response.content]:
            rows += chunk.count(b"\n")
        seconds = time.perf_counter() - started
        growth_mb = round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024, 1)
        rate = round(rows / seconds)
        raw_rate = round(self.raw_csv_rows_per_second(course))
        target_rate = 250_000 if VENDOR == "postgresql" else 200_000
        ratio_ok = VENDOR != "postgresql" or rate >= 0.6 * raw_rate
        notes = []
        if rate < target_rate:
            notes.append(f"{target_rate / rate:.2f}× below {target_rate:,} rows/s")
        if not ratio_ok:
            notes.append(f"{rate / raw_rate:.2f}× raw COPY, target ≥ 0.6×")
        if not response.streaming:
            notes.append("not streamed")
        self.figures.append(
            figure(
                f"CSV export, {rows:,} rows: rows/s",
                rate,
                "rows/s",
                f"≥ {target_rate:,}" + (", ≥ 0.6× raw COPY" if VENDOR == "postgresql" else ""),
                rate >= target_rate and ratio_ok,
                raw=raw_rate,
                note="; ".join(notes),
                rows=rows,
            )
        )
        self.figures.append(
            figure(
                "CSV export: peak memory growth",
                growth_mb,
                "MB",
                "< 50 MB",
                growth_mb < 50,
                note="" if growth_mb < 50 else f"{growth_mb / 50:.2f}× the 50 MB limit",
            )
        )

    # --- Teach page -------------------------------------------------------------------------------
    def teach(self) -> None:
        from coursedesk.customers.selectors import course_student_counts

        courses = list(Course.objects.for_creator(self.creator))
        app = timed(lambda n=0: course_student_counts(courses=courses), 20)
        now = clock.now()
        if VENDOR != "postgresql":
            now = now.strftime("%Y-%m-%d %H:%M:%S")

        def raw(n=0):
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

        limit = timed(raw, 20)
        value, raw_value = ms(median(app)), ms(median(limit))
        met = value <= 60 and value <= 2.5 * raw_value
        notes = []
        if value > 60:
            notes.append(f"{value / 60:.2f}× the 60 ms target")
        if value > 2.5 * raw_value:
            notes.append(f"{value / raw_value:.2f}× raw, target ≤ 2.5×")
        self.figures.append(
            figure(
                f"Teach page counts, {len(courses)} courses: median",
                value,
                "ms",
                "≤ 60 ms, ≤ 2.5× raw",
                met,
                raw=raw_value,
                note="; ".join(notes),
            )
        )
        page = timed(lambda n=0: self.client.get("/desk/teach/"), 10)
        self.figures.append(
            figure("Teach page, whole request: median", ms(median(page)), "ms", "(for reference)", None)
        )

    # --- Customer Profile -------------------------------------------------------------------------
    def profile_route(self) -> str | None:
        from django.urls import NoReverseMatch, reverse

        for name in ("customer_id", "pk"):
            try:
                return reverse("desk:customer", kwargs={name: 0}).replace("/0/", "/{}/")
            except NoReverseMatch:
                continue
        return None

    def profile_url(self, customer_id: int) -> str:
        return self._profile_route.format(customer_id)

    def profile(self) -> None:
        self._profile_route = self.profile_route()
        if self._profile_route is None:
            self.figures.append(
                missing(
                    "Customer Profile: queries, median",
                    "≤ 15 queries, ≤ 25 ms",
                    "the Customer Profile page is not on main",
                )
            )
            return
        ids = list(
            Customer.objects.filter(creator=self.creator)
            .order_by("?")
            .values_list("pk", flat=True)[: self.requests]
        )
        queries = []

        def get(n=0):
            with CaptureQueriesContext(connection) as captured:
                response = self.client.get(self.profile_url(ids[n % len(ids)]))
            assert response.status_code == 200, response.status_code
            queries.append(len(captured.captured_queries))

        samples = timed(get, self.requests)
        value, most = ms(median(samples)), max(queries)
        notes = []
        if most > 15:
            notes.append(f"{most} queries, {most / 15:.2f}× the 15 allowed")
        if value > 25:
            notes.append(f"{value / 25:.2f}× the 25 ms target")
        self.figures.append(
            figure(
                f"Customer Profile: median ({most} queries at most)",
                value,
                "ms",
                "≤ 15 queries, ≤ 25 ms",
                most <= 15 and value <= 25,
                note="; ".join(notes),
                queries=most,
            )
        )

    # --- under gunicorn ---------------------------------------------------------------------------
    def session_cookie(self) -> str:
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.contrib.sessions.backends.db import SessionStore

        session = SessionStore()
        session[SESSION_KEY] = str(self.creator.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = self.creator.get_session_auth_hash()
        session.create()
        return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"

    def wrk(self, url: str, cookie: str = "") -> float | None:
        command = ["wrk", "-t2", "-c8", f"-d{self.wrk_seconds}s", url]
        if cookie:
            command[1:1] = ["-H", f"Cookie: {cookie}"]
        output = subprocess.run(  # noqa: S603 - our own fixed commands
            command,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
        if non_2xx:
            log(f"wrk {url}: {non_2xx.group(1)} error responses")
            return None
        return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))

    def under_gunicorn(self) -> None:
        name = "Customer Profile under gunicorn (2 workers): req/s"
        target = "≥ 0.25× a bare template page"
        if shutil.which("wrk") is None:
            self.figures.append(missing(name, target, "wrk is not installed"))
            return
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True
        )
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen(  # noqa: S603 - our own fixed commands
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "config.wsgi:application",
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):  # until the workers answer
                if answers(base + "/healthz") and answers(base + "/healthz"):
                    break
                time.sleep(0.2)
            bare = self.wrk(base + "/")  # the front page: one template, no database
            if self._profile_route is None:
                self.figures.append(
                    figure(
                        name,
                        None,
                        "req/s",
                        target,
                        None,
                        raw=bare,
                        note="the Customer Profile page is not on main; raw = bare page",
                    )
                )
                return
            customer = Customer.objects.filter(creator=self.creator).order_by("pk").first()
            profile = self.wrk(base + self.profile_url(customer.pk), self.session_cookie())
            met = None if profile is None or bare is None else profile >= 0.25 * bare
            note = "" if met or met is None else f"{profile / bare:.2f}× the bare page, target ≥ 0.25×"
            self.figures.append(figure(name, profile, "req/s", target, met, raw=bare, note=note))
        finally:
            server.terminate()
            server.wait(10)

    def run(self) -> dict:
        steps = [self.search, self.csv_export, self.teach, self.profile, self.under_gunicorn]
        for step in steps:
            log(f"measuring: {step.__name__}")
            step()
        return {
            "customers": Customer.objects.count(),
            "big_creator_customers": self.big_customers,
            "big_share": BIG_SHARE,
            "vendor": VENDOR,
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
