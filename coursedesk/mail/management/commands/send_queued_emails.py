"""Sends every queued email that is due: retries and rows whose background task was lost.

Run it from cron (e.g. every 5 minutes) next to the task worker; it never sends an email twice.
"""

from django.core.management.base import BaseCommand

from coursedesk.mail.tasks import send_due_emails


class Command(BaseCommand):
    help = "Send queued emails that are due (retries and emails whose task was lost)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500, help="At most this many emails per run.")

    def handle(self, *args, limit: int, **options):
        outcomes = send_due_emails(limit=limit)
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
        self.stdout.write(summary or "Nothing due.")
