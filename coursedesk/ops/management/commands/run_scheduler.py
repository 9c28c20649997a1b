"""Runs the periodic jobs (renewals, overdue emails) every minute until stopped."""

import datetime as dt
import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from coursedesk.billing.renewals import renewals_run
from coursedesk.mail.tasks import send_due_emails

# Emails the worker has not sent this long after queuing count as lost and are sent from here.
LOST_EMAIL_AFTER = dt.timedelta(minutes=5)


class Command(BaseCommand):
    help = (
        "Run renewals, and send emails whose retry is due or whose task was lost, every INTERVAL "
        "seconds (default 60) until stopped with Ctrl-C or SIGTERM."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=60.0)
        parser.add_argument("--once", action="store_true", help="Run the jobs once and exit.")

    def handle(self, *args, interval: float, once: bool, **options):
        stop = threading.Event()
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"Scheduler started: renewals and overdue emails every {interval:g} s.")
        while True:
            try:
                report = renewals_run()
                if report.charged or report.failed or report.errors:
                    self.stdout.write(f"Renewals: {report}.")
            except Exception as error:  # keep the loop alive; the next minute tries again
                self.stderr.write(f"Renewals stopped early: {error}")
            try:
                sent = send_due_emails(fresh_for=LOST_EMAIL_AFTER)
                if sent:
                    self.stdout.write(f"Overdue emails: {sent}.")
            except Exception as error:
                self.stderr.write(f"Sending overdue emails stopped early: {error}")
            if once or stop.wait(interval):
                break
            close_old_connections()  # a long-running process must not keep a dead connection
        self.stdout.write("Scheduler stopped.")
