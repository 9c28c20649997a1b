"""What the operations layer keeps: the leases of background workers."""

from django.db import models

from coursedesk.core import clock


class WorkerLease(models.Model):
    """A running `run_worker` process. It renews its lease every few seconds while it lives; a task
    whose worker's lease ran out is handed to another worker (`coursedesk.ops.leases`)."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(default=clock.now)
    renewed_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"{self.worker_id} on {self.host} (pid {self.pid})"
