"""manage.py run_worker — the background worker: django-tasks' `db_worker` holding a lease.

It takes every option of `db_worker`. While it runs, a thread renews its lease and hands back to the
queue any task whose worker died (see coursedesk/ops/leases.py): a killed worker's task runs again
on another worker within about TASK_LEASE_SECONDS.
"""

from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from coursedesk.ops.leases import LeaseKeeper, abandoned_tasks_recover, lease_release, lease_take


class Command(DatabaseWorkerCommand):
    help = (
        "Run the background worker (emails, jobs). It holds a lease: if it dies mid-task, any other "
        "worker runs that task again within TASK_LEASE_SECONDS."
    )

    def handle(self, *args, worker_id: str, **options):
        # db_worker's default id is drawn once per import; each process needs its own.
        if not worker_id or worker_id == self._default_worker_id():
            worker_id = get_random_string(32)
        lease_take(worker_id)
        recovered = abandoned_tasks_recover()
        if recovered and options.get("verbosity", 1):
            self.stdout.write(f"Handed {recovered} abandoned task(s) back to the queue.")
        keeper = LeaseKeeper(worker_id)
        keeper.start()
        try:
            super().handle(*args, worker_id=worker_id, **options)
        finally:
            keeper.stop()
            lease_release(worker_id)

    def _default_worker_id(self) -> str:
        parser = self.create_parser("manage.py", "run_worker")
        return parser.get_default("worker_id")
