"""Runs the periodic jobs every minute until stopped: renewals, overdue emails, expirations that
passed, expiry reminders, webhook deliveries that are due, feed positions of events whose
after-commit call was lost, tasks whose worker died (ops/leases.py), and sessions past their
expiry. An operator command, so it may call every layer.

Every node may run it: a PostgreSQL advisory lock (core/leader.py) lets exactly one act per tick.
"""

import datetime as dt
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from coursedesk.accounts.sessions import sessions_expired_delete
from coursedesk.billing.expiry import expiry_reminders_send
from coursedesk.billing.renewals import renewals_run
from coursedesk.core.leader import SchedulerLock
from coursedesk.customers.services import enrolments_expired_record
from coursedesk.integrations.deliveries import webhook_deliveries_due
from coursedesk.integrations.events import events_sequence_waiting
from coursedesk.mail.tasks import send_due_emails
from coursedesk.ops.leases import abandoned_tasks_recover


class Command(BaseCommand):
    help = (
        "Run renewals, send emails whose retry is due or whose task was lost, record expirations, and "
        "deliver due webhooks, every INTERVAL seconds (default 60) until stopped with Ctrl-C or SIGTERM."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=60.0)
        parser.add_argument("--once", action="store_true", help="Run the jobs once and exit.")

    def handle(self, *args, interval: float, once: bool, **options):
        stop = threading.Event()
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
        # Emails the worker has not sent this long after queuing count as lost and are sent from here.
        lost_email_after = dt.timedelta(seconds=settings.EMAIL_LOST_AFTER)
        lock = SchedulerLock()
        self.stdout.write(f"Scheduler started: renewals and overdue emails every {interval:g} s.")
        acting = None
        while True:
            acting_now = lock.acting()
            if acting_now != acting and lock.shared:
                self.stdout.write(
                    f"Scheduler {lock.name} acts."
                    if acting_now
                    else f"Scheduler {lock.name} stands by: another scheduler acts."
                )
            acting = acting_now
            if acting:
                self._run_jobs(lost_email_after)
            if once or stop.wait(interval):
                break
            close_old_connections()  # a long-running process must not keep a dead connection
        lock.close()
        self.stdout.write("Scheduler stopped.")

    def _run_jobs(self, lost_email_after: dt.timedelta) -> None:
        try:
            report = renewals_run()
            if report.charged or report.failed or report.errors:
                self.stdout.write(f"Renewals: {report}.")
        except Exception as error:  # keep the loop alive; the next minute tries again
            self.stderr.write(f"Renewals stopped early: {error}")
        try:
            sent = send_due_emails(fresh_for=lost_email_after)
            if sent:
                self.stdout.write(f"Overdue emails: {sent}.")
        except Exception as error:
            self.stderr.write(f"Sending overdue emails stopped early: {error}")
        jobs = (
            ("Expired enrolments recorded", "Recording expirations", enrolments_expired_record),
            ("Expiry reminders sent", "Sending expiry reminders", expiry_reminders_send),
            ("Events placed in the feed", "Placing events in the feed", events_sequence_waiting),
            ("Webhook deliveries", "Delivering webhooks", webhook_deliveries_due),
            ("Expired sessions deleted", "Deleting expired sessions", sessions_expired_delete),
        )
        if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
            jobs += (("Abandoned tasks handed back", "Recovering abandoned tasks", abandoned_tasks_recover),)
        for done, doing, job in jobs:
            try:
                outcome = job()
                if outcome:
                    self.stdout.write(f"{done}: {outcome}.")
            except Exception as error:  # keep the loop alive; the next minute tries again
                self.stderr.write(f"{doing} stopped early: {error}")
