"""Charges the sandbox subscriptions that are due (Stripe renews its own)."""

from django.core.management.base import BaseCommand

from coursedesk.billing.renewals import renewals_run


class Command(BaseCommand):
    help = "Charge due test-mode (sandbox) subscriptions once. The scheduler runs this every minute."

    def handle(self, *args, **options):
        report = renewals_run()
        self.stdout.write(f"Renewals: {report}.")
        for subscription_id, error in report.errors:
            self.stderr.write(f"Subscription {subscription_id}: {error}")
