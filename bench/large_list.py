"""The customers list figures of make bench-large (run by bench/large.py; prints one JSON line).

The first page of the big creator's customers, newest first, through the API, and with a segment
when the API has segments (`?segment=active`).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from coursedesk.accounts.models import ApiToken, Creator  # noqa: E402
from coursedesk.usecases.benchmark_data import BIG_CREATOR_EMAIL  # noqa: E402

REQUESTS = 50


def timed(client: Client, params: dict) -> list[float] | None:
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get("/api/v1/customers", params)
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            return None
    return times


def figure(name: str, times: list[float]) -> dict:
    ordered = sorted(times)
    p95 = round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 2)
    return {
        "figure": f"{name}: median (p95 {p95} ms)",
        "value": round(statistics.median(times) * 1000, 2),
        "unit": "ms",
        "p95": p95,
    }


def main() -> None:
    creator = Creator.objects.get(email=BIG_CREATOR_EMAIL)
    _, token = ApiToken.issue(creator=creator, name="benchmark list")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    figures = [figure("customers list (API), newest first, 50 a page", timed(client, {"limit": 50}))]
    with_segment = timed(client, {"limit": 50, "segment": "active"})
    if with_segment is None:
        figures.append(
            {
                "figure": "customers list (API) with a segment",
                "value": None,
                "unit": "ms",
                "note": "the API has no segments yet (?segment= is refused)",
            }
        )
    else:
        figures.append(figure("customers list (API), segment active", with_segment))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
