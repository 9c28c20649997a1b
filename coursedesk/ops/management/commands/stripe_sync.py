"""Brings one creator's records in step with Stripe, repairing what a lost webhook left out."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from coursedesk.accounts.models import Creator
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.billing.gateways.base import GatewayError
from coursedesk.billing.stripe_sync import stripe_sync
from coursedesk.core import clock
from coursedesk.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Fetch a creator's refunds and subscriptions from Stripe and record, through the usual services, "
        "what CourseDesk lacks (a refund or a cancel whose webhook was lost). Prints what it changed; "
        "a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("creator_email", help="The creator's sign-in email.")
        parser.add_argument(
            "--since",
            help="Only payments taken on or after this day (YYYY-MM-DD); open subscriptions always.",
        )

    def handle(self, *args, creator_email: str, since: str | None, **options):
        creator = Creator.objects.filter(email__iexact=creator_email.strip()).first()
        if creator is None:
            raise CommandError(f"No creator signs in as {creator_email}.")
        start = None
        if since:
            try:
                start = clock.start_of_day(dt.date.fromisoformat(since))
            except ValueError:
                raise CommandError("Write --since as YYYY-MM-DD, e.g. 2026-11-01.") from None
        try:
            report = stripe_sync(
                creator=creator, since=start, actor=Actor.gateway("stripe"), source=AuditSource.STRIPE_SYNC
            )
        except (GatewayError, DomainError) as error:
            raise CommandError(f"Stripe could not be read: {getattr(error, 'message', error)}") from error
        for change in report.changes:
            self.stdout.write(change)
        for problem in report.problems:
            self.stderr.write(problem)
        checked = f"{report.checked_payments} payments and {report.checked_subscriptions} open subscriptions"
        unread = f"; {len(report.problems)} could not be read" if report.problems else ""
        self.stdout.write(f"Checked {checked}; {len(report.changes)} changes{unread}.")
