"""Runs the periodic jobs (renewals) every minute until stopped."""

import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from coursedesk.billing.renewals import renewals_run


class Command(BaseCommand):
    help = "Run renewals every INTERVAL seconds (default 60) until stopped with Ctrl-C or SIGTERM."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=60.0)
        parser.add_argument("--once", action="store_true", help="Run the jobs once and exit.")

    def handle(self, *args, interval: float, once: bool, **options):
        stop = threading.Event()
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"Scheduler started: renewals every {interval:g} s.")
        while True:
            try:
                report = renewals_run()
                if report.charged or report.failed or report.errors:
                    self.stdout.write(f"Renewals: {report}.")
            except Exception as error:  # keep the loop alive; the next minute tries again
                self.stderr.write(f"Renewals stopped early: {error}")
            if once or stop.wait(interval):
                break
            close_old_connections()  # a long-running process must not keep a dead connection
        self.stdout.write("Scheduler stopped.")
