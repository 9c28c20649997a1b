"""Prometheus metrics: request latency (django-prometheus), and what the business and the cluster do.

- `coursedesk_events_total{type}` counts the audit events a process commits: refunds
  (`payment.refunded`, `payment.refund_failed`), revocations, payments… A web node exports what its
  own processes counted (with several gunicorn workers, PROMETHEUS_MULTIPROC_DIR adds them up);
  Prometheus sums the nodes. Events of the task workers (`email.sent`) are not exported from there:
  the outbox gauges below say how email is doing, whichever process sent it.
- Gauges read from the shared database, Redis and the replica when scraped (at most every
  GAUGES_FRESH_FOR seconds per process), the same on every node: queued emails and the oldest one's
  age, emails that failed for good, the task queue's depth, Stripe webhook events that failed,
  replica up and lag.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min
from django.db.models.signals import post_save
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from prometheus_client import REGISTRY, CollectorRegistry, Counter, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

from coursedesk.audit.models import AuditEvent
from coursedesk.billing.models import WebhookEvent
from coursedesk.core import clock, replica
from coursedesk.mail.models import OutboundEmail

logger = logging.getLogger(__name__)
GAUGES_FRESH_FOR = 15.0

events_total = Counter("coursedesk_events", "Audit events committed, by type.", ["type"])


def _count_event(sender, instance, created, **kwargs):
    if created:
        event_type = str(instance.type)
        transaction.on_commit(lambda: events_total.labels(type=event_type).inc(), using=kwargs.get("using"))


def _queue_depth() -> dict[str, int]:
    if settings.TASKS_BACKEND == "rq":
        import django_rq  # noqa: PLC0415 - an installed app only with TASKS_BACKEND=rq

        depth = {}
        for name in settings.RQ_QUEUES:
            queue = django_rq.get_queue(name)
            depth[name] = queue.count + queue.scheduled_job_registry.count
        return depth
    if settings.TASKS_BACKEND == "database":
        rows = (
            DBTaskResult.objects.filter(status=TaskResultStatus.READY)
            .values("queue_name")
            .annotate(n=Count("id"))
        )
        return {row["queue_name"]: row["n"] for row in rows}
    return {}


def _gauge_values() -> list[tuple[str, str, dict[str, str], float]]:
    values = []
    queued = OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED).aggregate(
        oldest=Min("created_at")
    )
    count = OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED).count()
    values.append(("coursedesk_emails_queued", "Emails waiting to be sent.", {}, count))
    oldest = queued["oldest"]
    age = (clock.now() - oldest).total_seconds() if oldest else 0.0
    values.append(("coursedesk_emails_oldest_queued_seconds", "Age of the oldest queued email.", {}, age))
    failed_emails = OutboundEmail.objects.filter(status=OutboundEmail.Status.FAILED).count()
    values.append(
        ("coursedesk_emails_failed", "Emails that failed for good (all attempts).", {}, failed_emails)
    )
    failed = WebhookEvent.objects.filter(status=WebhookEvent.Status.FAILED).count()
    values.append(
        ("coursedesk_webhook_events_failed", "Stripe webhook events whose processing failed.", {}, failed)
    )
    try:
        for queue, depth in _queue_depth().items():
            values.append(
                ("coursedesk_task_queue_depth", "Background tasks waiting.", {"queue": queue}, depth)
            )
        values.append(("coursedesk_task_queue_up", "The task queue answers.", {}, 1))
    except Exception as error:
        logger.warning("task queue unreachable for metrics: %s", error)
        values.append(("coursedesk_task_queue_up", "The task queue answers.", {}, 0))
    if replica.replica_configured():
        status = replica.replica_status(refresh=True)
        values.append(("coursedesk_replica_up", "The read replica answers.", {}, 0 if status is None else 1))
        if status is not None:
            values.append(
                ("coursedesk_replica_lag_seconds", "Replay delay of the replica.", {}, status.lag_seconds)
            )
    return values


GAUGE_NAMES = (
    "coursedesk_emails_queued",
    "coursedesk_emails_oldest_queued_seconds",
    "coursedesk_emails_failed",
    "coursedesk_webhook_events_failed",
    "coursedesk_task_queue_depth",
    "coursedesk_task_queue_up",
    "coursedesk_replica_up",
    "coursedesk_replica_lag_seconds",
)


class ClusterCollector:
    """Gauges read from the database, the queue and the replica when Prometheus scrapes."""

    def __init__(self):
        self._lock = threading.Lock()
        self._cached: tuple[float, list] | None = None

    def collect(self):
        with self._lock:
            if self._cached is None or time.monotonic() - self._cached[0] > GAUGES_FRESH_FOR:
                try:
                    self._cached = (time.monotonic(), _gauge_values())
                except Exception as error:  # a scrape never fails because a gauge could not be read
                    logger.warning("metrics gauges unavailable: %s", error)
                    self._cached = (time.monotonic(), [])
            values = self._cached[1]
        families: dict[str, GaugeMetricFamily] = {}
        for name, documentation, labels, value in values:
            if name not in families:
                families[name] = GaugeMetricFamily(name, documentation, labels=sorted(labels))
            families[name].add_metric([labels[key] for key in sorted(labels)], value)
        yield from families.values()

    def describe(self):
        # Without this the registry would call collect() (database queries) when registering.
        for name in GAUGE_NAMES:
            yield GaugeMetricFamily(name, name)

    def forget(self):
        with self._lock:
            self._cached = None


cluster_collector = ClusterCollector()
_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    post_save.connect(_count_event, sender=AuditEvent, dispatch_uid="coursedesk-events-total")
    REGISTRY.register(cluster_collector)
    _installed = True


def metrics_text() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(cluster_collector)
        return generate_latest(registry)
    return generate_latest(REGISTRY)
