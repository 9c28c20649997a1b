"""The audit export: the creator's events in a date range, oldest first, as CSV or JSON Lines,
streamed and neutralised against spreadsheet formulas."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from coursedesk.audit.services import Actor, audit_record
from coursedesk.audit.types import AuditEventType, AuditSource
from coursedesk.core import clock
from tests.factories import make_customer


@pytest.fixture
def history(creator, other_creator, frozen_now):
    """Three days of events of the creator (one with a hostile name), and one of another creator."""
    hostile = make_customer(creator, email="eve@example.com", first_name="=HYPERLINK(1)", last_name="@x")
    events = []
    for day in range(3):
        events.append(
            audit_record(
                creator=creator,
                customer=hostile,
                type=AuditEventType.CUSTOMER_UPDATED,
                actor=Actor.creator(creator),
                source=AuditSource.DESK,
                subject=hostile,
                data={"first_name": {"old": "Eve", "new": "=HYPERLINK(1)"}, "day": day},
            )
        )
        clock.advance(dt.timedelta(days=1))
    rival = make_customer(other_creator, email="rival@example.com")
    audit_record(
        creator=other_creator,
        customer=rival,
        type=AuditEventType.CUSTOMER_CREATED,
        actor=Actor.system(),
        source=AuditSource.DESK,
        subject=rival,
    )
    return hostile, events


def _body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def test_csv_export_of_a_date_range(api, history):
    hostile, events = history

    response = api.get("/audit-log.csv", **{"from": "2026-11-22", "to": "2026-11-23"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="audit-log-2026-11-22-to-2026-11-23.csv"'
    text = _body(response)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["ID", "Occurred at (UTC)", "Type", "What happened"]
    assert [row[0] for row in rows[1:]] == [str(events[1].pk), str(events[2].pk)]
    assert rows[1] == [
        str(events[1].pk),
        "2026-11-22T10:00:00Z",
        "customer.updated",
        "Details changed",
        "creator",
        "maya@example.com",
        "desk",
        str(hostile.pk),
        "eve@example.com",
        "customer",
        str(hostile.pk),
        '{"day": 1, "first_name": {"new": "=HYPERLINK(1)", "old": "Eve"}}',
    ]


def test_csv_cells_that_a_spreadsheet_would_evaluate_are_neutralised(api, creator, frozen_now):
    hostile = make_customer(creator, email="=cmd@example.com")
    audit_record(
        creator=creator,
        customer=hostile,
        type=AuditEventType.CUSTOMER_CREATED,
        actor=Actor.buyer("+1-555@example.com"),
        source=AuditSource.CHECKOUT,
        subject=hostile,
        data={"email": "=cmd@example.com"},
    )

    rows = list(csv.reader(io.StringIO(_body(api.get("/audit-log.csv")).lstrip("\ufeff"))))

    assert rows[1][5] == "'+1-555@example.com"
    assert rows[1][8] == "'=cmd@example.com"


def test_json_lines_export(api, history):
    hostile, events = history

    response = api.get("/audit-log.jsonl", **{"from": "2026-11-21", "to": "2026-11-21"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/jsonl; charset=utf-8"
    [line] = _body(response).splitlines()
    assert json.loads(line) == {
        "id": str(events[0].pk),
        "occurred_at": "2026-11-21T10:00:00Z",
        "type": "customer.updated",
        "summary": "Details changed",
        "actor": {"kind": "creator", "label": "maya@example.com"},
        "source": "desk",
        "customer_id": str(hostile.pk),
        "customer_email": "eve@example.com",
        "subject_type": "customer",
        "subject_id": str(hostile.pk),
        "data": {"first_name": {"old": "Eve", "new": "'=HYPERLINK(1)"}, "day": 0},
    }


@pytest.mark.parametrize("params", [{}, {"from": "0001-01-01", "to": "9999-12-31"}])
def test_without_dates_every_event_up_to_today_and_only_the_creators(api, history, params):
    _, events = history

    text = _body(api.get("/audit-log.csv", **params)).lstrip("\ufeff")

    assert [row[0] for row in list(csv.reader(io.StringIO(text)))[1:]] == [str(e.pk) for e in events]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"from": "2026-11-23", "to": "2026-11-22"}, 409, "invalid_date_range"),
        ({"from": "yesterday"}, 422, "invalid_value"),
        ({"to": "2026-02-30"}, 422, "invalid_date"),
        ({"since": "2026-11-22"}, 400, "unknown_parameter"),
    ],
)
def test_invalid_ranges_are_refused(api, history, params, status, code):
    response = api.get("/audit-log.csv", **params)

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
