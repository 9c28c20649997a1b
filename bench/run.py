"""make bench: seed N customers, then measure each figure beside its limit.

    python bench/run.py                       # 1,000,000 customers, SQLite then PostgreSQL
    python bench/run.py --customers 20000     # a quick run
    python bench/run.py --databases postgres --skip-seed

It collects the static files (the bench runs with DEBUG off, as in production), then for each
database recreates a separate database (var/bench.sqlite3; `coursedesk_bench` on the PostgreSQL
server of BENCH_POSTGRES_URL), runs `manage.py seed_benchmark`, measures in a child process
(bench/measure.py) and prints the definitions and the table. Results:
bench/results/<date>-<database>.json and .svg, and bench/results/latest.svg (the newest run of each
database, shown in the README). These are figures, never assertions: a missed target is printed
with the factor it is missed by.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chart import DATABASES, MARKS, chart, number  # noqa: E402

PYTHON = sys.executable
RESULTS = ROOT / "bench" / "results"
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/coursedesk_bench")
SQLITE_PATH = ROOT / "var" / "bench.sqlite3"
DEFINITIONS = [
    (
        "raw limit of the CSV",
        "the database writing the same CSV with no Python in the loop, from one SELECT that formats "
        "every cell, the export's own (coursedesk/usecases/students_csv_sql.py). PostgreSQL: "
        "COPY (<that SELECT>) TO STDOUT "
        "WITH CSV, read in 1 MB blocks through psycopg 3. SQLite: the sqlite3 shell with .mode csv on "
        "the same SELECT. tests/bench/test_csv_sql.py holds the cells to the export's bytes; COPY ends "
        "lines with LF and the shell quotes more cells, nothing else differs. On PostgreSQL the "
        "SELECT reads each student's money and progress cells from the row triggers keep for it "
        "(billing_csvsummary); on SQLite it joins and groups payments, refunds, receipts, "
        "subscriptions and lessons itself.",
    ),
    (
        "the floor",
        "GET /api/v1/me: the same authenticated django-ninja stack (HTTP, token look-up, JSON) "
        "returning a fixed small JSON without touching customers.",
    ),
    (
        "raw query",
        "the hand-written best SQL for the same search, reading the same columns as the API answers, on "
        "the same connection (on SQLite the faster "
        "of the full-text table and the newest-first index walk), timed in turn with the search and "
        "the floor, one of each a round. Search targets: median ≤ 1.2× (raw query + floor), so the "
        "search adds at most 20% to what any request costs.",
    ),
    (
        "the bare page",
        "a template page extending the desk's base template, behind the same middleware, session and "
        "sign-in as the desk, reading nothing else (bench/urls.py), under the same gunicorn and load.",
    ),
    (
        "peer",
        "the same search through the Django admin's changelist (search_fields on email, first and "
        "last name), filtered to the same creator's customers; its ratio is CourseDesk's speed-up.",
    ),
]


def database_url(database: str) -> str:
    return f"sqlite:///{SQLITE_PATH}" if database == "sqlite" else POSTGRES_URL


def environment(database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TEST_DATABASE_SUFFIX"}}
    env.update(
        DATABASE_URL=database_url(database),
        DJANGO_SETTINGS_MODULE="bench.settings",
        DEBUG="false",
        TASKS_BACKEND="dummy",
        CACHE_URL="locmem",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
    )
    return env


def recreate(database: str) -> None:
    if database == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    base, name = POSTGRES_URL.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def manage(database: str, *args: str) -> None:
    subprocess.run(  # noqa: S603 - our own fixed commands
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=environment(database),
        check=True,
    )


def seed(database: str, customers: int) -> float:
    recreate(database)
    manage(database, "migrate", "--noinput", "-v0")
    manage(database, "createcachetable")
    started = time.perf_counter()
    manage(database, "seed_benchmark", "--customers", str(customers))
    return time.perf_counter() - started


def measure(database: str, args) -> dict:
    command = [
        PYTHON,
        "bench/measure.py",
        "--requests",
        str(args.requests),
        "--wrk-seconds",
        str(args.wrk_seconds),
    ]
    output = subprocess.run(  # noqa: S603 - our own fixed commands
        command,
        cwd=ROOT,
        env=environment(database),
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def seeding_figure(seconds: float, customers: int) -> dict:
    # The target is for a million customers; a smaller run is compared at its own scale.
    target = 180 * customers / 1_000_000
    return {
        "figure": f"seeding {customers:,} customers",
        "value": round(seconds, 1),
        "unit": "s",
        "limit": round(target, 1),
        "limit_name": "target",
        "ratio": round(seconds / target, 2),
        "threshold": round(target, 1),
        "better": "lower",
        "target": "≤ 3 minutes per million customers",
        "met": seconds <= target,
        "note": "" if seconds <= target else f"{seconds / target:.2f}× over",
    }


def cpu_reference_ms() -> float:
    """How fast this machine runs Python now: the best of five runs of a fixed loop (adding up 5
    million numbers), in ms. Shared and virtual machines vary from hour to hour; runs are only
    comparable at a similar figure."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for n in range(5_000_000):
            total += n
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "load_at_start": [round(x, 2) for x in os.getloadavg()],
        "cpu_reference_ms": cpu_reference_ms(),
    }


def print_definitions() -> None:
    print("Definitions:")
    for name, text in DEFINITIONS:
        print(f"  {name}: {text}")


def print_table(result: dict) -> None:
    name = DATABASES.get(result["database"], result["database"])
    print(
        f"\n== {name} — {result['customers']:,} customers ({result['big_creator_customers']:,} at the "
        f"big creator) — {result['date']} — load {result['load_at_measure_start'][0]} when measuring began"
    )
    header = f"{'figure':60} {'value':>16} {'limit':>16} {'ratio':>6}  {'target':44}"
    print(header)
    print("-" * (len(header) + 2))
    for row in result["figures"]:
        unit = row.get("unit", "")
        value = row.get("value")
        shown = (row.get("note") or "not measured") if value is None else f"{number(value)} {unit}".strip()
        limit = "" if row.get("limit") is None else f"{number(row['limit'])} {unit}".strip()
        ratio = "" if row.get("ratio") is None else f"{row['ratio']:.2f}×"
        mark = MARKS[row.get("met")] or ("–" if value is not None else "")
        print(f"{row['figure'][:60]:60} {shown:>16} {limit:>16} {ratio:>6}  {row['target'][:44]:44} {mark}")
        details = (
            [f"limit: {row['limit_name']}"] if row.get("limit_name") and row["limit_name"] != "target" else []
        )
        if row.get("note") and value is not None:
            details.append(row["note"])
        if details:
            print(f"{'':60}   ↳ {'; '.join(details)}")


def latest_results() -> list[dict]:
    """The newest run of each database in bench/results (runs in the current JSON shape only)."""
    newest: dict[str, dict] = {}
    for path in sorted(RESULTS.glob("*.json")):
        result = json.loads(path.read_text())
        if result.get("format") == 2:
            newest[result["database"]] = result
    return [newest[name] for name in DATABASES if name in newest]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--skip-seed", action="store_true", help="measure the data already seeded")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per figure")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    args = parser.parse_args()
    at_start = machine()
    print(
        f"CourseDesk benchmark — {at_start['cpus']} CPUs, load average "
        f"{' '.join(str(x) for x in at_start['load_at_start'])} (1, 5, 15 min) at start, "
        f"CPU reference {at_start['cpu_reference_ms']} ms (a fixed Python loop; lower is faster)"
    )
    print_definitions()
    sys.stdout.flush()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (ROOT / "var").mkdir(exist_ok=True)
    databases = args.databases.split(",")
    # DEBUG is off: templates name static files through the manifest that collectstatic writes.
    manage(databases[0], "collectstatic", "--noinput", "-v0")
    for database in databases:
        seconds = None if args.skip_seed else seed(database, args.customers)
        result = measure(database, args)
        result.update(database=database, date=dt.date.today().isoformat(), machine=at_start)
        out = RESULTS / f"{result['date']}-{database}.json"
        if seconds is not None:
            result["figures"].append(seeding_figure(seconds, args.customers))
        elif out.exists():  # measuring again: keep the seeding time of the run that seeded the same size
            earlier = json.loads(out.read_text())
            if earlier.get("customers") == result.get("customers"):
                result["figures"] += [f for f in earlier["figures"] if f["figure"].startswith("seeding")]
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        out.with_suffix(".svg").write_text(chart([result], title=f"CourseDesk benchmark, {result['date']}"))
        print_table(result)
        print(f"(written to {out.relative_to(ROOT)} and {out.with_suffix('.svg').relative_to(ROOT)})")
        sys.stdout.flush()
    latest = RESULTS / "latest.svg"
    latest.write_text(chart(latest_results(), title="CourseDesk benchmark, the latest run of each database"))
    print(f"\nChart of the latest run of each database: {latest.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
