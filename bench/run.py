"""make bench: seed N customers, then measure each figure beside the raw-database limit.

    python bench/run.py                       # 1,000,000 customers, SQLite then PostgreSQL
    python bench/run.py --customers 20000     # a quick run
    python bench/run.py --databases postgres --skip-seed

For each database it recreates a separate database (var/bench.sqlite3; `coursedesk_bench` on the
PostgreSQL server of BENCH_POSTGRES_URL), runs `manage.py seed_benchmark`, then measures in a child
process (`bench/measure.py`) and prints a table. Results: bench/results/<date>-<database>.json.
These are figures, never assertions: a missed target is printed with the factor it is missed by.
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
PYTHON = sys.executable
RESULTS = ROOT / "bench" / "results"
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/coursedesk_bench")
SQLITE_PATH = ROOT / "var" / "bench.sqlite3"


def database_url(database: str) -> str:
    return f"sqlite:///{SQLITE_PATH}" if database == "sqlite" else POSTGRES_URL


def environment(database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TEST_DATABASE_SUFFIX"}}
    env.update(
        DATABASE_URL=database_url(database),
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
        "target": f"≤ {target:.0f} s",
        "met": seconds <= target,
        "note": "" if seconds <= target else f"{seconds / target:.2f}× over",
    }


def print_table(database: str, result: dict) -> None:
    print(f"\n== {database} — {result['customers']:,} customers — {result['date']}")
    header = f"{'figure':52} {'value':>14} {'raw limit':>14} {'ratio':>7}  {'target':26} met"
    print(header)
    print("-" * len(header))
    for row in result["figures"]:
        value = row.get("value")
        shown = "n/a" if value is None else f"{value:,} {row.get('unit', '')}".strip()
        raw = row.get("raw")
        raw_shown = "" if raw is None else f"{raw:,} {row.get('unit', '')}".strip()
        ratio = "" if row.get("ratio") is None else f"{row['ratio']:.2f}"
        met = {True: "yes", False: "NO", None: "-"}[row.get("met")]
        target = row["target"][:26]
        print(f"{row['figure'][:52]:52} {shown:>14} {raw_shown:>14} {ratio:>7}  {target:26} {met}")
        if row.get("note"):
            print(f"{'':52}   ↳ {row['note']}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--skip-seed", action="store_true", help="measure the data already seeded")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per search figure")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (ROOT / "var").mkdir(exist_ok=True)
    for database in args.databases.split(","):
        seconds = None if args.skip_seed else seed(database, args.customers)
        result = measure(database, args)
        result.update(database=database, date=dt.date.today().isoformat())
        out = RESULTS / f"{result['date']}-{database}.json"
        if seconds is not None:
            result["figures"].append(seeding_figure(seconds, args.customers))
        elif out.exists():  # measuring again: keep the seeding time of the run that seeded
            result["figures"] += [
                f for f in json.loads(out.read_text())["figures"] if f["figure"].startswith("seeding")
            ]
        out.write_text(json.dumps(result, indent=2) + "\n")
        print_table(database, result)
        print(f"(written to {out.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
