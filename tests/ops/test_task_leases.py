"""Task leases: a task whose worker died runs again on another worker; a live worker's task is left
alone however long it runs."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from coursedesk.audit.services import Actor
from coursedesk.core import clock
from coursedesk.mail.services import email_queue
from coursedesk.ops.leases import abandoned_tasks_recover, lease_take
from coursedesk.ops.models import WorkerLease

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database_tasks(settings, transactional_db):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    settings.TASK_LEASE_SECONDS = 30
    settings.TASK_UNLEASED_LIMIT_SECONDS = 900


def _queue_email(creator, customer):
    return email_queue(
        creator=creator,
        kind="receipt",
        to=customer.email,
        subject="Receipt",
        text_body="Thanks",
        customer=customer,
        actor=Actor.system(),
        source="checkout",
    )


def _claimed_by(worker_id: str, *, started_ago: float):
    """The only queued task, as a worker that claimed it `started_ago` seconds ago left it."""
    from django_tasks_db.models import DBTaskResult

    task = DBTaskResult.objects.get(status="READY")
    task.claim(worker_id)
    DBTaskResult.objects.filter(pk=task.pk).update(started_at=clock.now() - dt.timedelta(seconds=started_ago))
    return task


def _lease(worker_id: str, *, renewed_ago: float) -> None:
    lease_take(worker_id)
    WorkerLease.objects.filter(pk=worker_id).update(
        renewed_at=clock.now() - dt.timedelta(seconds=renewed_ago)
    )


def _status(task) -> str:
    task.refresh_from_db()
    return task.status


def test_a_dead_workers_email_is_sent_by_the_next_worker(database_tasks, creator, customer, mailbox):
    # given a worker claimed the email's task and then stopped renewing its lease 31 s ago
    email = _queue_email(creator, customer)
    task = _claimed_by("dead-worker", started_ago=40)
    _lease("dead-worker", renewed_ago=31)

    # when another worker starts
    call_command("run_worker", batch=True, startup_delay=False, interval=0, verbosity=0)

    # then it ran the task again: the email is sent once, and the task names both workers
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 1)
    assert [m["To"] for m in mailbox.messages] == [customer.email]
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    assert task.worker_ids[0] == "dead-worker" and len(task.worker_ids) == 2
    # and the finished worker gave its own lease back
    assert list(WorkerLease.objects.values_list("worker_id", flat=True)) == ["dead-worker"]


def test_a_live_workers_long_task_is_left_alone(database_tasks, creator, customer):
    # given a worker has been running a task for ten minutes and renewed its lease 2 s ago
    _queue_email(creator, customer)
    task = _claimed_by("busy-worker", started_ago=600)
    _lease("busy-worker", renewed_ago=2)

    # when another worker looks for abandoned tasks, nothing is handed back
    assert abandoned_tasks_recover() == 0
    assert _status(task) == "RUNNING"

    # and once the lease is 30 s old (the worker died), the task goes back to the queue
    WorkerLease.objects.filter(pk="busy-worker").update(renewed_at=clock.now() - dt.timedelta(seconds=30.5))
    assert abandoned_tasks_recover() == 1
    assert _status(task) == "READY"
    # and a second look finds nothing more to do
    assert abandoned_tasks_recover() == 0


def test_a_task_of_a_worker_without_a_lease_waits_for_the_longer_limit(database_tasks, creator, customer):
    # given a plain db_worker (no lease) claimed a task ten minutes ago
    _queue_email(creator, customer)
    task = _claimed_by("plain-db-worker", started_ago=600)

    # then it is left alone until it has run for TASK_UNLEASED_LIMIT_SECONDS (15 minutes)
    assert abandoned_tasks_recover() == 0
    assert _status(task) == "RUNNING"
    assert abandoned_tasks_recover(now=clock.now() + dt.timedelta(seconds=301)) == 1
    assert _status(task) == "READY"


def test_a_task_that_finished_meanwhile_is_not_handed_back(database_tasks, creator, customer):
    from django_tasks_db.models import DBTaskResult

    # given a dead worker's task, which another recovery already handed back and a worker ran
    _queue_email(creator, customer)
    task = _claimed_by("dead-worker", started_ago=60)
    _lease("dead-worker", renewed_ago=60)
    DBTaskResult.objects.filter(pk=task.pk).update(status="SUCCESSFUL")

    # then a late recovery finds nothing running, and the task stays done
    assert abandoned_tasks_recover() == 0
    assert _status(task) == "SUCCESSFUL"


def test_the_scheduler_also_hands_back_abandoned_tasks(database_tasks, creator, customer):
    # given a dead worker's task
    _queue_email(creator, customer)
    task = _claimed_by("dead-worker", started_ago=60)
    _lease("dead-worker", renewed_ago=60)

    # when the scheduler ticks once
    call_command("run_scheduler", once=True, stdout=io.StringIO())

    # then the task is back in the queue
    assert _status(task) in {"READY", "SUCCESSFUL"}


# --- A real worker process, killed in the middle of sending ------------------------------------


class HoldingSmtp:
    """An SMTP server whose first DATA waits until released and then drops the message: the worker
    sending it is killed meanwhile. Later messages are accepted and kept."""

    def __init__(self):
        self.holding = threading.Event()
        self.holding.set()
        self.held = threading.Event()
        self.accepted: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        if self.holding.is_set():
            self.held.set()
            while self.holding.is_set():
                await asyncio.sleep(0.05)
            return "421 Service closing"
        self.accepted.append(envelope.content)
        return "250 Message accepted for delivery"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a second process shares only a server database"
)
def test_killing_a_worker_process_mid_send_hands_its_email_to_another_worker(
    database_tasks, settings, transactional_db, creator, customer
):
    from aiosmtpd.controller import Controller

    from tests.peers.smtp import _free_port

    sink, port = HoldingSmtp(), _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
            f"/{database['NAME']}"
        ),
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "TASKS_BACKEND": "database",
        "TASK_LEASE_SECONDS": "2",
        "TASK_LEASE_RENEW_SECONDS": "0.5",
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 10
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.TASK_LEASE_SECONDS = 2
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--no-startup-delay", "--interval", "0.2", "-v", "0"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        # given a worker process is in the middle of sending an email
        email = _queue_email(creator, customer)
        assert sink.held.wait(60), "the worker never started sending"

        # when it is killed (no clean shutdown, its lease simply stops being renewed)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
        sink.holding.clear()

        # then, once the lease ran out, the next worker sends the email, once
        time.sleep(2.2)
        call_command("run_worker", batch=True, startup_delay=False, interval=0, verbosity=0)
        email.refresh_from_db()
        assert (email.status, email.attempts) == ("sent", 1)
        assert len(sink.accepted) == 1
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        sink.holding.clear()
        controller.stop()
