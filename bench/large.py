"""make bench-large: ten million customers on PostgreSQL, measured through a streaming replica.

    python bench/large.py                          # 10,000,000 customers (20M enrolments, 30M payments)
    python bench/large.py --customers 200000       # a rehearsal at a smaller size

It builds a PostgreSQL primary in a temporary directory (durable: fsync on), seeds it with
`manage.py seed_benchmark` (COPY, with a progress bar), prints the database's size, adds a streaming
replica with pg_basebackup, then measures with the application reading the replica
(DATABASE_REPLICA_URL): search p50/p95, the CSV of the biggest course, the Teach page, the customers
list (with a segment once the API has segments), and the profile. pg_stat_statements on the replica
shows the reads went there. Figures are compared with the latest million-customer PostgreSQL
figures in bench/results (target: within 1.5 times). Needs root (the databases run as the postgres user)
and room on disk for two copies of the database. Not part of CI.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"

from tests.cluster.topology import Topology  # noqa: E402

TARGET_FACTOR = 1.5


def environment(topology: Topology, *, replica: bool) -> dict[str, str]:
    env = topology.env(
        TASKS_BACKEND="dummy",
        CACHE_URL="locmem",
        LOG_LEVEL="WARNING",
        LOG_FORMAT="plain",
        PYTHONPATH=str(ROOT),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
    )
    env.pop("DATABASE_REPLICA_URL", None)
    if replica:
        env["DATABASE_REPLICA_URL"] = topology.replica.url
        env["DATABASE_REPLICA_MAX_LAG"] = "600"
    return env


def run(topology: Topology, command: list[str], *, replica: bool = False, capture: bool = False) -> str:
    result = subprocess.run(  # noqa: S603 - our own fixed commands
        command,
        cwd=ROOT,
        env=environment(topology, replica=replica),
        check=True,
        stdout=subprocess.PIPE if capture else None,
        text=True,
    )
    return result.stdout or ""


def database_size(topology: Topology) -> tuple[str, list[tuple[str, str]]]:
    total = topology.primary.query("SELECT pg_size_pretty(pg_database_size(current_database()))")[0][0]
    tables = topology.primary.query(
        """
        SELECT c.relname, pg_size_pretty(pg_total_relation_size(c.oid))
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname = 'public'
        ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 6
        """
    )
    return total, tables


def replica_reads(topology: Topology) -> list[tuple[str, int]]:
    """The application's heaviest statements as the replica counted them."""
    rows = topology.replica.query(
        """
        SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 70), calls FROM pg_stat_statements
        WHERE query ILIKE '%customers_customer%' OR query ILIKE '%customers_enrolment%'
        ORDER BY calls DESC LIMIT 5
        """
    )
    return [(query, int(calls)) for query, calls in rows]


def _name(figure: str) -> str:
    """A figure's name without its row count: "CSV export, 2,000,000 rows" matches the 200,000-row
    one (the biggest course grows with the data); "3 letters" stays "3 letters"."""
    return re.sub(r"\d{1,3}(,\d{3})+ rows", "N rows", figure.split(":")[0])


def million_figures() -> dict[str, float]:
    """The latest million-customer PostgreSQL figures, by name, to compare against."""
    for path in sorted(RESULTS.glob("*-postgres.json"), reverse=True):
        data = json.loads(path.read_text())
        if data.get("customers") == 1_000_000:
            return {_name(row["figure"]): row["value"] for row in data["figures"] if row.get("value")}
    return {}


def compare(figures: list[dict], baseline: dict[str, float]) -> None:
    """Adds each figure's ratio to the same figure at a million customers (times: lower is better)."""
    for row in figures:
        before = baseline.get(_name(row["figure"]))
        if before is None or row.get("value") is None:
            continue
        higher_is_better = row.get("unit") in ("rows/s", "req/s")
        factor = (before / row["value"]) if higher_is_better else (row["value"] / before)
        row["at_1m"] = before
        row["vs_1m"] = round(factor, 2)
        row["within_target"] = factor <= TARGET_FACTOR


def print_table(result: dict) -> None:
    print(f"\n== PostgreSQL through the replica — {result['customers']:,} customers — {result['date']}")
    print(f"database size {result['database_size']}; seeding {result['seeding_seconds']:,.0f} s")
    for name, size in result["largest_tables"]:
        print(f"   {name:32} {size:>10}")
    header = f"{'figure':56} {'value':>14} {'at 1M':>12} {'× 1M':>6}  within 1.5×"
    print(header)
    print("-" * len(header))
    for row in result["figures"]:
        value = "n/a" if row.get("value") is None else f"{row['value']:,} {row.get('unit', '')}".strip()
        before = "" if row.get("at_1m") is None else f"{row['at_1m']:,}"
        factor = "" if row.get("vs_1m") is None else f"{row['vs_1m']:.2f}"
        within = {True: "yes", False: "NO", None: "-"}[row.get("within_target")]
        print(f"{row['figure'][:56]:56} {value:>14} {before:>12} {factor:>6}  {within}")
        if row.get("note"):
            print(f"{'':56}   ↳ {row['note']}")
    print("\nreads counted on the replica:")
    for query, calls in result["replica_reads"]:
        print(f"   {calls:>6}  {query}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per search figure")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="leave the databases running for a look")
    parser.add_argument("--report", type=Path, help="print a result file again (compared anew); no run")
    args = parser.parse_args()
    if args.report:
        result = json.loads(args.report.read_text())
        compare(result["figures"], million_figures())
        args.report.write_text(json.dumps(result, indent=2, default=str) + "\n")
        print_table(result)
        return
    if os.geteuid() != 0:
        sys.exit("bench-large runs the databases as the postgres user: run it as root")
    RESULTS.mkdir(parents=True, exist_ok=True)
    topology = Topology.create()
    print(f"databases in {topology.root}", flush=True)
    try:
        topology.start_databases(durable=True, replica=False)
        run(topology, [sys.executable, "manage.py", "migrate", "--noinput", "-v0"])
        run(topology, [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"])  # DEBUG is off
        started = time.perf_counter()
        run(topology, [sys.executable, "manage.py", "seed_benchmark", "--customers", str(args.customers)])
        seeding = time.perf_counter() - started
        size, tables = database_size(topology)
        print(f"seeded in {seeding:,.0f} s; database size {size}", flush=True)
        from tests.cluster.topology import Postgres

        replica_started = time.perf_counter()
        topology.replica = Postgres.replica_of(topology.primary, topology.root)
        topology.replica.wait_until_replayed(topology.primary, timeout=3600)
        print(f"replica ready in {time.perf_counter() - replica_started:,.0f} s", flush=True)
        topology.replica.query("SELECT pg_stat_statements_reset()")
        output = run(
            topology,
            [sys.executable, "bench/measure.py", "--requests", str(args.requests),
             "--wrk-seconds", str(args.wrk_seconds)],
            replica=True,
            capture=True,
        )  # fmt: skip
        result = json.loads(output.strip().splitlines()[-1])
        result["figures"] += json.loads(
            run(topology, [sys.executable, "bench/large_list.py"], replica=True, capture=True)
            .strip()
            .splitlines()[-1]
        )
        compare(result["figures"], million_figures())
        result.update(
            date=dt.date.today().isoformat(),
            database="postgres-replica",
            database_size=size,
            largest_tables=tables,
            seeding_seconds=round(seeding, 1),
            replica_reads=replica_reads(topology),
        )
        out = RESULTS / f"{result['date']}-postgres-replica-{args.customers // 1000}k.json"
        out.write_text(json.dumps(result, indent=2, default=str) + "\n")
        print_table(result)
        print(f"(written to {out.relative_to(ROOT)})")
        if args.keep:
            print(f"kept running: primary {topology.primary.url}, replica {topology.replica.url}")
            return
    finally:
        if not args.keep:
            topology.stop()
            topology.remove()


if __name__ == "__main__":
    main()
