"""Task leases: a worker that dies in the middle of a task does not hold that task for ever.

django-tasks' database backend marks a task RUNNING when a worker claims it and never looks at it
again; a worker killed with SIGKILL, or a machine that lost power, leaves it RUNNING and no other
worker would take it. Every `run_worker` process therefore holds a lease (a `WorkerLease` row) that
a thread renews every `TASK_LEASE_RENEW_SECONDS` while the process lives, however long its task
runs. Any worker, at start and at every renewal, hands back to the queue each RUNNING task whose
worker's lease has not been renewed for `TASK_LEASE_SECONDS`; the next free worker runs it again.

Running a task twice is safe by design: each task re-reads its row under a lock and does nothing
when the work is already done (an email that is already sent is skipped).

A task claimed by a worker that never held a lease (the plain `db_worker` command) is handed back
only once it has been running for `TASK_UNLEASED_LIMIT_SECONDS`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from coursedesk.core import clock
from coursedesk.ops.models import WorkerLease

logger = logging.getLogger(__name__)
RECOVERED_PER_PASS = 200


def lease_seconds() -> float:
    return float(settings.TASK_LEASE_SECONDS)


def lease_take(worker_id: str) -> WorkerLease:
    now = clock.now()
    lease, _ = WorkerLease.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": now,
            "renewed_at": now,
        },
    )
    return lease


def lease_renew(worker_id: str) -> None:
    updated = WorkerLease.objects.filter(worker_id=worker_id).update(renewed_at=clock.now())
    if not updated:  # removed by an operator or a cleanup: take it again
        lease_take(worker_id)


def lease_release(worker_id: str) -> None:
    WorkerLease.objects.filter(worker_id=worker_id).delete()


def abandoned_tasks_recover(*, now: dt.datetime | None = None) -> int:
    """Hands every task whose worker is gone back to the queue; returns how many.

    Each task is handed back with a compare-and-set on its status and start time, so two workers
    recovering at once, or a task that finishes meanwhile, never make it run three times.
    """
    now = now or clock.now()
    lease_limit = now - dt.timedelta(seconds=lease_seconds())
    unleased_limit = now - dt.timedelta(seconds=float(settings.TASK_UNLEASED_LIMIT_SECONDS))
    running = list(
        DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=lease_limit)
        .order_by("started_at")
        .values("id", "worker_ids", "started_at")[:RECOVERED_PER_PASS]
    )
    if not running:
        return 0
    worker_ids = {row["worker_ids"][-1] for row in running if row["worker_ids"]}
    renewed = dict(
        WorkerLease.objects.filter(worker_id__in=worker_ids).values_list("worker_id", "renewed_at")
    )
    recovered = 0
    for row in running:
        worker_id = row["worker_ids"][-1] if row["worker_ids"] else None
        if worker_id in renewed:
            abandoned = renewed[worker_id] < lease_limit
        else:
            abandoned = row["started_at"] < unleased_limit
        if not abandoned:
            continue
        handed_back = DBTaskResult.objects.filter(
            pk=row["id"], status=TaskResultStatus.RUNNING, started_at=row["started_at"]
        ).update(status=TaskResultStatus.READY, started_at=None)
        if handed_back:
            recovered += 1
            logger.warning(
                "task %s was running on worker %s, whose lease ran out: handed back to the queue",
                row["id"],
                worker_id or "unknown",
            )
    # Leases of workers gone for a day are of no more use.
    WorkerLease.objects.filter(renewed_at__lt=now - dt.timedelta(days=1)).delete()
    return recovered


class LeaseKeeper(threading.Thread):
    """Renews this worker's lease and recovers abandoned tasks until stopped."""

    def __init__(self, worker_id: str):
        super().__init__(name=f"lease-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.stopped = threading.Event()

    def run(self) -> None:
        interval = float(settings.TASK_LEASE_RENEW_SECONDS)
        try:
            while not self.stopped.wait(interval):
                try:
                    close_old_connections()
                    lease_renew(self.worker_id)
                    abandoned_tasks_recover()
                except DatabaseError as error:  # a busy or restarting database: try at the next tick
                    logger.warning("could not renew the lease of worker %s: %s", self.worker_id, error)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=float(settings.TASK_LEASE_RENEW_SECONDS) + 5)
