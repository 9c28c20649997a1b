"""CourseDesk on several machines, all on loopback: the six promises of the multi-machine deployment.

The tests run in file order on one topology (conftest.py); the later ones break parts of it.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import re
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.cluster.conftest import DEMO_EMAIL, DEMO_PASSWORD, SCHEDULER_INTERVAL, Http
from tests.cluster.topology import node_healthy, wait_for

pytestmark = pytest.mark.cluster


def _first(rows):
    assert rows, "no such row in the demo data"
    return rows[0]


# --- 1. The API contract and a browser walk, through the balancer ----------------------------------


def test_the_api_contract_walk_through_the_balancer(cluster, api):
    assert Http(cluster.balancer_url).get("/api/v1/customers").status == 401

    courses = api.get("/api/v1/courses")
    assert courses.status == 200
    course = courses.json()["results"][0]
    assert set(course) >= {"id", "title", "slug", "published", "counts"}
    links = api.get(f"/api/v1/courses/{course['id']}/links")
    assert links.status == 200
    assert set(links.json()) >= {
        "login_url",
        "password_reset_url",
        "billing_url",
        "cancel_url",
        "checkout_urls",
    }
    assert links.json()["login_url"].startswith(cluster.balancer_url)
    csv = api.get(f"/api/v1/courses/{course['id']}/students.csv")
    assert (csv.status, csv.headers["Content-Type"].split(";")[0]) == (200, "text/csv")
    assert csv.text.lstrip("\ufeff").splitlines()[0].startswith("First name,Last name,Email")

    listing = api.get("/api/v1/customers", limit=5)
    assert listing.status == 200
    assert len(listing.json()["results"]) == 5 and listing.json()["next"]
    second_page = api.get("/api/v1/customers", limit=5, cursor=listing.json()["next"])
    assert second_page.status == 200
    assert {c["id"] for c in second_page.json()["results"]}.isdisjoint(
        c["id"] for c in listing.json()["results"]
    )

    # A customer with an active subscription and a refundable payment, found as an integration would.
    customer_id, subscription_id, payment_id, enrolment_id, course_id = _first(
        cluster.primary.query(
            """
            SELECT c.id, s.id, p.id, e.id, e.course_id
            FROM customers_customer c
            JOIN billing_subscription s ON s.customer_id = c.id AND s.status = 'active'
            JOIN billing_payment p ON p.customer_id = c.id AND p.status = 'succeeded'
              AND NOT EXISTS (SELECT 1 FROM billing_refund r WHERE r.payment_id = p.id)
            JOIN customers_enrolment e ON e.customer_id = c.id AND e.revoked_at IS NULL
            ORDER BY c.id LIMIT 1
            """
        )
    )
    found = api.get("/api/v1/customers", q=_customer_email(cluster, customer_id)[:6])
    assert str(customer_id) in [c["id"] for c in found.json()["results"]]
    profile = api.get(f"/api/v1/customers/{customer_id}")
    assert profile.status == 200
    assert set(profile.json()) >= {"enrolments", "payments", "subscriptions", "emails"}

    patched = api.request("PATCH", f"/api/v1/customers/{customer_id}", {"first_name": "Renamed"})
    assert (patched.status, patched.json()["first_name"]) == (200, "Renamed")
    deleted = api.request("DELETE", f"/api/v1/customers/{customer_id}")
    assert (deleted.status, deleted.json()["error"]["code"]) == (405, "customer_delete_not_allowed")
    timeline = api.get(f"/api/v1/customers/{customer_id}/timeline")
    assert timeline.status == 200 and timeline.json()["results"][0]["type"] == "customer.updated"

    assert (
        api.post(f"/api/v1/customers/{customer_id}/welcome-email", {"course_id": str(course_id)}).status
        == 202
    )
    assert (
        api.post(f"/api/v1/customers/{customer_id}/password-reset", {"course_id": str(course_id)}).status
        == 202
    )

    revoked = api.post(f"/api/v1/enrolments/{enrolment_id}/revoke")
    assert (revoked.status, revoked.json()["status"]) == (200, "revoked")
    granted = api.post(f"/api/v1/enrolments/{enrolment_id}/grant")
    assert (granted.status, granted.json()["status"]) == (200, "active")
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).replace(microsecond=0).isoformat()
    expiring = api.request("PATCH", f"/api/v1/enrolments/{enrolment_id}", {"expires_at": until})
    assert expiring.status == 200 and expiring.json()["expires_at"] is not None
    assert api.request("PATCH", f"/api/v1/enrolments/{enrolment_id}", {"expires_at": None}).status == 200

    refund = api.post(f"/api/v1/payments/{payment_id}/refunds", {"amount": 100, "reason": "cluster walk"})
    assert (refund.status, refund.json()["amount"]) == (201, 100)

    resume_on = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    paused = api.post(f"/api/v1/subscriptions/{subscription_id}/pause", {"resume_on": resume_on})
    assert (paused.status, paused.json()["status"]) == (200, "paused")
    resumed = api.post(f"/api/v1/subscriptions/{subscription_id}/resume")
    assert (resumed.status, resumed.json()["status"]) == (200, "active")
    canceled = api.post(f"/api/v1/subscriptions/{subscription_id}/cancel")
    assert (canceled.status, canceled.json()["status"]) == (200, "canceled")

    new_student = api.post(
        f"/api/v1/courses/{course['id']}/enrolments",
        {
            "email": "walk@cluster.test",
            "first_name": "Walk",
            "last_name": "Through",
            "send_welcome_email": False,
        },
    )
    assert (new_student.status, new_student.json()["status"]) == (201, "active")
    activity = api.get("/api/v1/activity")
    assert activity.status == 200 and activity.json()["results"][0]["type"] == "enrolment.granted"
    assert api.get("/api/v1/customers/999999999").status == 404

    # Both web nodes served the walk.
    for node in ("web1", "web2"):
        assert '"path": "/api/v1/' in cluster.processes[node].output(), f"{node} served no API request"


def _customer_email(cluster, customer_id) -> str:
    return cluster.primary.query("SELECT email FROM customers_customer WHERE id = %s", [customer_id])[0][0]


def test_a_browser_walk_of_the_desk_through_the_balancer(cluster, browser):
    from playwright.sync_api import expect

    customer_id, first_name, last_name, title = _first(
        cluster.primary.query(
            """
            SELECT c.id, c.first_name, c.last_name, k.title FROM customers_customer c
            JOIN customers_enrolment e ON e.customer_id = c.id AND e.revoked_at IS NULL
            JOIN catalog_course k ON k.id = e.course_id
            WHERE c.first_name <> '' AND c.last_name <> '' AND c.first_name <> 'Renamed'
            ORDER BY c.id DESC LIMIT 1
            """
        )
    )
    context = browser.new_context(base_url=cluster.balancer_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    errors = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(DEMO_EMAIL)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/desk/"))
        page.get_by_label("Find a customer").fill(last_name)
        page.locator("#search-results").get_by_role("link", name=f"{first_name} {last_name}").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"{first_name} {last_name}")
        row = page.locator("tr[id^=enrolment-]").filter(has_text=title)
        row.get_by_role("link", name="Revoke access").click()
        page.locator("#dialog").get_by_role("button", name="Revoke access").click()
        expect(row).to_contain_text("Revoked")
        page.get_by_role("link", name="Teach").first.click()
        expect(page.get_by_role("main")).to_contain_text(title)
    finally:
        context.close()
    assert errors == []
    assert cluster.primary.query(
        "SELECT count(*) FROM customers_enrolment e JOIN catalog_course k ON k.id = e.course_id "
        "WHERE e.customer_id = %s AND k.title = %s AND e.revoked_at IS NOT NULL",
        [customer_id, title],
    ) == [(1,)]


# --- 2. Heavy reads on the replica; read-your-own-writes with replay paused -----------------------


STATEMENT_CALLS = """
SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
WHERE query ILIKE %s AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


def _calls(server, pattern: str) -> int:
    return int(server.query(STATEMENT_CALLS, [pattern])[0][0])


def _reset_statements(cluster) -> None:
    for server in (cluster.primary, cluster.replica):
        server.query("SELECT pg_stat_statements_reset()")


def test_search_csv_and_teach_read_the_replica(cluster, api):
    desk = Http(cluster.balancer_url)
    desk.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    cluster.replica.wait_until_replayed(cluster.primary)  # the sign-in wrote; reads wait for it
    # The schedulers read enrolments on the primary every 2 s (expirations, reminders), as they
    # must: they are held still while the pages are read, so the primary's count is the pages' own.
    schedulers = [cluster.processes[name].pid for name in ("scheduler1", "scheduler2")]
    for pid in schedulers:
        os.killpg(pid, signal.SIGSTOP)
    try:
        _reset_statements(cluster)
        assert api.get("/api/v1/customers", q="example").status == 200
        assert desk.get("/desk/", q="example").status == 200
        assert desk.get("/desk/teach/").status == 200
        course_id = cluster.primary.query("SELECT id FROM catalog_course ORDER BY id LIMIT 1")[0][0]
        assert api.get(f"/api/v1/courses/{course_id}/students.csv").status == 200
        assert api.get("/api/v1/activity").status == 200
        on_primary = {
            table: cluster.primary.query(
                "SELECT calls, left(query, 200) FROM pg_stat_statements WHERE query ILIKE %s "
                "AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
                [f'%FROM "{table}"%'],
            )
            for table in ("customers_enrolment", "audit_auditevent")
        }
    finally:
        for pid in schedulers:
            os.killpg(pid, signal.SIGCONT)

    customer_reads = '%FROM "customers_customer"%'
    enrolment_reads = '%FROM "customers_enrolment"%'
    assert _calls(cluster.replica, customer_reads) > 0
    assert _calls(cluster.replica, enrolment_reads) > 0
    assert _calls(cluster.replica, '%FROM "audit_auditevent"%') > 0
    # The primary answered none of those reads (it still serves sign-in and sessions).
    assert on_primary == {"customers_enrolment": [], "audit_auditevent": []}


def test_a_creator_sees_their_revoke_at_once_with_replay_paused(cluster, api):
    cluster.replica.wait_until_replayed(cluster.primary)
    enrolment_id, customer_id, course_id = _first(
        cluster.primary.query(
            "SELECT e.id, e.customer_id, e.course_id FROM customers_enrolment e "
            "WHERE e.revoked_at IS NULL ORDER BY e.id LIMIT 1"
        )
    )
    cluster.replica.query("SELECT pg_wal_replay_pause()")
    try:
        wait_for(
            lambda: cluster.replica.query("SELECT pg_get_wal_replay_pause_state()")[0][0] == "paused",
            timeout=10,
            what="replay to pause",
        )
        assert api.post(f"/api/v1/enrolments/{enrolment_id}/revoke").status == 200
        # The replica has not seen it...
        assert cluster.replica.query(
            "SELECT revoked_at IS NULL FROM customers_enrolment WHERE id = %s", [enrolment_id]
        ) == [(True,)]
        event_id = cluster.primary.query(
            "SELECT max(id) FROM audit_auditevent WHERE type = 'enrolment.revoked' AND customer_id = %s",
            [customer_id],
        )[0][0]
        assert cluster.replica.query("SELECT count(*) FROM audit_auditevent WHERE id = %s", [event_id]) == [
            (0,)
        ]
        # ...but the creator's next reads do: the activity feed and the course's students.
        activity = api.get("/api/v1/activity").json()["results"]
        assert str(event_id) in [event["id"] for event in activity]
        csv = api.get(f"/api/v1/courses/{course_id}/students.csv").text
        email_address = _customer_email(cluster, customer_id)
        line = next(row for row in csv.splitlines() if email_address in row)
        assert ",Revoked," in line
    finally:
        cluster.replica.query("SELECT pg_wal_replay_resume()")
    cluster.replica.wait_until_replayed(cluster.primary)


# --- 3. A web node dies mid-burst ----------------------------------------------------------------


def test_killing_a_web_node_mid_burst(cluster, api):
    results: list[tuple[float, float, int]] = []  # started, ended, status (0: no whole answer)
    stop = threading.Event()
    noticed: list[float] = []

    def burst():
        client = Http(cluster.balancer_url, token=cluster.token)
        deadline = time.monotonic() + 30  # bounded in time as well as by the stop signal
        while not stop.is_set() and time.monotonic() < deadline:
            started = time.monotonic()
            try:
                status = client.get("/api/v1/customers", q="ex", limit=5).status
            except (OSError, http.client.HTTPException):  # refused, reset, or cut off mid-answer
                status = 0
            results.append((started, time.monotonic(), status))

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(burst) for _ in range(4)]
        time.sleep(2)
        killed_at = time.monotonic()
        cluster.processes["web1"].kill()
        wait_for(lambda: cluster.balancer_servers()["web1"] != "UP", timeout=10, what="haproxy to drop web1")
        noticed.append(time.monotonic())
        time.sleep(3)
        stop.set()
        for future in futures:
            future.result()

    assert cluster.balancer_servers() == {"web1": "DOWN", "web2": "UP"}
    after_notice = [status for started, _, status in results if started >= noticed[0]]
    around_kill = [status for started, _, status in results if killed_at <= started < noticed[0]]
    assert len(after_notice) > 10
    assert set(after_notice) == {200}
    # Retries of requests that never got an answer make even the moments before the check clean.
    assert set(around_kill) <= {200}
    # Only a request the killed node was answering at that instant can fail (its answer cut off after
    # the headers: no balancer can finish it), at most one per client.
    failed = [(started, ended) for started, ended, status in results if status != 200]
    assert all(started < killed_at <= ended for started, ended in failed), failed
    assert len(failed) <= 4

    cluster.start_web("web1")
    wait_for(lambda: cluster.balancer_servers()["web1"] == "UP", timeout=15, what="web1 back in the balancer")


# --- 4. A worker dies mid-job ---------------------------------------------------------------------


def test_killing_a_worker_mid_job_sends_every_email_exactly_once(cluster, api, sink):
    rows = cluster.primary.query(
        "SELECT e.customer_id, e.course_id FROM customers_enrolment e ORDER BY e.id DESC LIMIT 6"
    )
    before = {row[0] for row in cluster.primary.query("SELECT id FROM mail_outboundemail")}
    sink.holding.set()
    try:
        for customer_id, course_id in rows:
            answer = api.post(f"/api/v1/customers/{customer_id}/welcome-email", {"course_id": str(course_id)})
            assert answer.status == 202
        # Both workers are in the middle of a job: connected to SMTP, nothing handed over.
        wait_for(lambda: sink.held == 2, timeout=30, what="both workers to be sending")
        cluster.processes["worker1"].kill()
    finally:
        sink.holding.clear()
    queued = [
        row[0]
        for row in cluster.primary.query("SELECT id FROM mail_outboundemail ORDER BY id")
        if row[0] not in before
    ]
    assert len(queued) == len(rows)

    def all_sent():
        statuses = cluster.primary.query(
            "SELECT status, count(*) FROM mail_outboundemail WHERE id = ANY(%s) GROUP BY status", [queued]
        )
        return statuses == [("sent", len(queued))]

    # The killed worker's email is sent by the scheduler once it counts as lost (EMAIL_LOST_AFTER).
    wait_for(all_sent, timeout=90, interval=0.5, what="every queued email to be sent")
    received = sink.by_outbox_id()
    assert {str(pk): received.get(str(pk)) for pk in queued} == {str(pk): 1 for pk in queued}
    assert cluster.primary.query(
        "SELECT attempts, count(*) FROM mail_outboundemail WHERE id = ANY(%s) GROUP BY attempts", [queued]
    ) == [(1, len(queued))]
    cluster.start_worker("worker1")


# --- 4b. Faults in the middle of a burst of refunds and grants ----------------------------------

REFUNDABLE = """
SELECT p.id, p.amount FROM billing_payment p
WHERE p.status = 'succeeded' AND p.amount >= 1000
  AND NOT EXISTS (SELECT 1 FROM billing_refund r WHERE r.payment_id = p.id)
ORDER BY p.id DESC LIMIT 6
"""
TERMINATE_CONNECTIONS = """
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
"""


def _gunicorn_workers(master_pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:
            children.append(int(stat.parent.name))
    return children


def test_a_burst_of_refunds_and_grants_survives_a_killed_web_worker_and_cut_database_connections(
    cluster, api, sink
):
    payments = cluster.primary.query(REFUNDABLE)
    assert len(payments) == 6, "the demo data holds paid payments without refunds"
    (course_id,) = _first(cluster.primary.query("SELECT id FROM catalog_course ORDER BY id LIMIT 1"))
    (first_email,) = _first(cluster.primary.query("SELECT coalesce(max(id), 0) FROM mail_outboundemail"))
    (first_event,) = _first(cluster.primary.query("SELECT coalesce(max(id), 0) FROM audit_auditevent"))
    answers: list[tuple[str, int, dict | None]] = []
    lock = threading.Lock()

    def call(kind: str, path: str, body: dict) -> None:
        client = Http(cluster.balancer_url, token=cluster.token)
        try:
            response = client.post(path, body)
            status, payload = response.status, (response.json() if response.status == 201 else None)
        except OSError:
            status, payload = 0, None  # no answer at all: the request may or may not have happened
        with lock:
            answers.append((kind, status, payload))

    # Each payment gets three refunds of 40% at once (at most two fit) and ten students are granted a
    # course; a web worker is killed and every database connection is cut while they run.
    work = [
        ("refund", f"/api/v1/payments/{payment_id}/refunds", {"amount": amount * 2 // 5, "reason": "burst"})
        for payment_id, amount in payments
        for _ in range(3)
    ] + [
        (
            "grant",
            f"/api/v1/courses/{course_id}/enrolments",
            {"email": f"burst{n}@example.com", "first_name": "Burst", "last_name": f"N{n}",
             "send_welcome_email": True},
        )
        for n in range(10)
    ]  # fmt: skip
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(call, *item) for item in work[: len(work) // 2]]
        time.sleep(0.3)
        for pid in _gunicorn_workers(cluster.processes["web2"].pid):
            os.kill(pid, signal.SIGKILL)
        cluster.primary.query(TERMINATE_CONNECTIONS)
        futures += [pool.submit(call, *item) for item in work[len(work) // 2 :]]
        time.sleep(0.3)
        cluster.primary.query(TERMINATE_CONNECTIONS)
        for future in futures:
            future.result()
    assert len(answers) == len(work)

    # No payment is refunded past what was paid.
    for payment_id, amount in payments:
        (refunded,) = _first(
            cluster.primary.query(
                "SELECT coalesce(sum(amount), 0) FROM billing_refund "
                "WHERE payment_id = %s AND status IN ('pending', 'succeeded')",
                [payment_id],
            )
        )
        assert refunded <= amount, (payment_id, refunded, amount)
    # Every refund stored has exactly one audit event, and every refund answered 201 is stored.
    refunds = cluster.primary.query(
        "SELECT r.id, count(e.id) FROM billing_refund r LEFT JOIN audit_auditevent e "
        "ON e.id > %s AND e.type = 'payment.refunded' AND (e.data->>'refund_id')::int = r.id "
        "WHERE r.payment_id = ANY(%s) AND r.status = 'succeeded' GROUP BY r.id",
        [first_event, [payment_id for payment_id, _ in payments]],
    )
    assert refunds and {count for _, count in refunds} == {1}
    stored = {refund_id for refund_id, _ in refunds}
    answered = {int(payload["id"]) for kind, status, payload in answers if kind == "refund" and status == 201}
    assert answered <= stored
    # Every grant answered 201 has its enrolment and its audit event.
    granted = [payload for kind, status, payload in answers if kind == "grant" and status == 201]
    for enrolment in granted:
        assert cluster.primary.query(
            "SELECT count(*) FROM audit_auditevent WHERE id > %s AND subject_type = 'enrolment' "
            "AND subject_id = %s",
            [first_event, str(enrolment["id"])],
        ) != [(0,)], enrolment

    # Every email queued by the burst is sent or failed with its attempts; none is lost.
    def settled():
        return cluster.primary.query(
            "SELECT count(*) FROM mail_outboundemail WHERE id > %s AND status = 'queued'", [first_email]
        ) == [(0,)]

    wait_for(settled, timeout=120, interval=0.5, what="every email of the burst to be sent or failed")
    outcomes = cluster.primary.query(
        "SELECT status, min(attempts) FROM mail_outboundemail WHERE id > %s GROUP BY status", [first_email]
    )
    assert outcomes and {status for status, _ in outcomes} <= {"sent", "failed"}
    assert min(attempts for _, attempts in outcomes) >= 1
    wait_for(lambda: node_healthy(cluster.ports["web2"]), timeout=30, what="web2's new worker to answer")


# --- 5. The acting scheduler dies ------------------------------------------------------------------


ACTING = """
SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)
WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'coursedesk-scheduler %%'
"""


def _acting_scheduler(cluster) -> str | None:
    rows = cluster.primary.query(ACTING)
    if not rows:
        return None
    pid = int(rows[0][0].rsplit(":", 1)[1])
    return next(name for name, process in cluster.processes.items() if process.pid == pid)


def test_killing_the_acting_scheduler_hands_over_within_a_tick(cluster):
    acting = wait_for(lambda: _acting_scheduler(cluster), timeout=20, what="a scheduler to act")
    other = "scheduler2" if acting == "scheduler1" else "scheduler1"
    assert "stands by" in cluster.processes[other].output()

    due = [
        row[0]
        for row in cluster.primary.query(
            "UPDATE billing_subscription SET next_payment_at = now() - interval '1 minute' "
            "WHERE id IN (SELECT id FROM billing_subscription WHERE status = 'active' "
            "AND gateway = 'sandbox' AND gateway_payment_method_id LIKE 'sbx_pm_ok%%' ORDER BY id LIMIT 8) "
            "RETURNING id"
        )
    ]
    assert len(due) >= 2
    since = cluster.primary.query("SELECT now()")[0][0]
    # Kill it as soon as it has started charging (or at once if it is between ticks).
    wait_for(
        lambda: (
            cluster.primary.query(
                "SELECT count(*) FROM billing_payment WHERE subscription_id = ANY(%s) AND paid_at >= %s",
                [due, since],
            )[0][0]
            > 0
        ),
        timeout=SCHEDULER_INTERVAL * 3,
        interval=0.02,
        what="the first renewal",
    )
    cluster.processes[acting].kill()
    killed_at = time.monotonic()
    wait_for(lambda: _acting_scheduler(cluster) == other, timeout=SCHEDULER_INTERVAL * 3, interval=0.05,
             what="the other scheduler to act")  # fmt: skip
    took = time.monotonic() - killed_at
    assert took <= SCHEDULER_INTERVAL + 1.0, f"the hand-over took {took:.1f} s"

    def charged():
        return cluster.primary.query(
            "SELECT count(DISTINCT subscription_id) FROM billing_payment WHERE subscription_id = ANY(%s) "
            "AND paid_at >= %s",
            [due, since],
        )[0][0] == len(due)

    wait_for(charged, timeout=SCHEDULER_INTERVAL * 5, what="every due renewal")
    time.sleep(SCHEDULER_INTERVAL * 1.5)  # another tick, which must charge nothing again
    payments = cluster.primary.query(
        "SELECT subscription_id, count(*) FROM billing_payment "
        "WHERE subscription_id = ANY(%s) AND paid_at >= %s GROUP BY subscription_id ORDER BY subscription_id",
        [due, since],
    )
    assert payments == [(pk, 1) for pk in sorted(due)]


# --- Connection pooling: PgBouncer in transaction mode ---------------------------------------------


def test_pgbouncer_in_transaction_mode_keeps_row_locks_but_not_a_sessions_advisory_lock(cluster):
    # The web nodes above run psycopg's pool; this is why the scheduler's lock needs a direct
    # connection (SCHEDULER_DATABASE_URL) when DATABASE_URL goes through PgBouncer.
    import psycopg

    port = cluster.start_pgbouncer(pool_size=1)

    def through_bouncer():
        return psycopg.connect(
            host="127.0.0.1",
            port=port,
            user="postgres",
            dbname="coursedesk",
            autocommit=True,
            prepare_threshold=None,
        )

    subscription_id = cluster.primary.query("SELECT min(id) FROM billing_subscription")[0][0]
    with through_bouncer() as first, through_bouncer() as second, cluster.primary.connect() as direct:
        # select_for_update: the lock lives as long as the transaction, which keeps its connection.
        with first.transaction():
            first.execute("SELECT id FROM billing_subscription WHERE id = %s FOR UPDATE", [subscription_id])
            with pytest.raises(psycopg.errors.LockNotAvailable):
                direct.execute(
                    "SELECT id FROM billing_subscription WHERE id = %s FOR UPDATE NOWAIT", [subscription_id]
                )
        direct.execute(
            "SELECT id FROM billing_subscription WHERE id = %s FOR UPDATE NOWAIT", [subscription_id]
        )

        # A session's advisory lock stays on the server connection, which the next client gets:
        # two schedulers would both believe they hold it...
        assert first.execute("SELECT pg_try_advisory_lock(991)").fetchone() == (True,)
        assert second.execute("SELECT pg_try_advisory_lock(991)").fetchone() == (True,)
    # ...and when they are gone it is still held, so no other scheduler could ever take over.
    with cluster.primary.connect() as direct:
        assert direct.execute("SELECT pg_try_advisory_lock(991)").fetchone() == (False,)
    cluster.processes.pop("pgbouncer").stop()


# --- 6. The replica stops --------------------------------------------------------------------------


def test_with_the_replica_stopped_the_desk_works_from_the_primary(cluster, api):
    cluster.replica.stop("immediate")
    desk = Http(cluster.balancer_url)
    desk.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    for path in ("/desk/", "/desk/?q=example", "/desk/teach/"):
        assert desk.get(path).status == 200, path
    assert api.get("/api/v1/customers", q="example").status == 200
    course_id = cluster.primary.query("SELECT id FROM catalog_course ORDER BY id LIMIT 1")[0][0]
    assert api.get(f"/api/v1/courses/{course_id}/students.csv").status == 200

    ready = Http(cluster.balancer_url).get("/readyz")
    assert (ready.status, ready.json()) == (200, {"status": "degraded", "failed": ["replica"]})
    # The monitoring, on a node itself, sees why.
    node = Http(f"http://127.0.0.1:{cluster.ports['web2']}", token=cluster.metrics_token)
    details = node.request("GET", "/readyz", headers={"Host": "localhost"}).json()["checks"]
    assert details["replica"] == {"ok": False, "error": "the replica does not answer; reads use the primary"}
    assert details["database"] == {"ok": True}
    assert details["queue"] == {"ok": True, "backend": "rq"}


def test_metrics_through_a_node_but_not_through_the_balancer(cluster):
    assert Http(cluster.balancer_url, token=cluster.metrics_token).get("/metrics").status == 404
    node = Http(f"http://127.0.0.1:{cluster.ports['web2']}", token=cluster.metrics_token)
    answer = node.request("GET", "/metrics", headers={"Host": "localhost"})
    assert answer.status == 200
    assert "coursedesk_replica_up 0.0" in answer.text
    assert 'coursedesk_events_total{type="enrolment.revoked"}' in answer.text
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in answer.text


def test_sign_in_throttling_is_shared_by_the_nodes(cluster):
    # Failures spread over both nodes (round robin) add up in Redis: the sixth try is refused
    # even with the right password.
    from coursedesk.core.throttle import MAX_FAILURES, THROTTLED_MESSAGE

    cluster.manage("create_creator", "throttle@cluster.test", "--password", "right-password-42")
    browser_like = Http(cluster.balancer_url)
    browser_like.get("/accounts/login/")
    for _ in range(MAX_FAILURES):
        answer = browser_like.post(
            "/accounts/login/", form={"username": "throttle@cluster.test", "password": "wrong-password"}
        )
        assert answer.status == 200
    answer = browser_like.post(
        "/accounts/login/", form={"username": "throttle@cluster.test", "password": "right-password-42"}
    )
    assert answer.status == 200
    assert THROTTLED_MESSAGE.split(".")[0] in answer.text
