"""Processes stored webhook events again: the failed ones, or one by its id."""

from django.core.management.base import BaseCommand, CommandError

from coursedesk.billing.models import WebhookEvent
from coursedesk.billing.webhooks import webhook_event_process, webhook_events_replay


class Command(BaseCommand):
    help = "Replay stored Stripe webhook events: --failed for every failed one, or --event <id>."

    def add_arguments(self, parser):
        parser.add_argument("--failed", action="store_true", help="Replay every failed event.")
        parser.add_argument("--event", help="Replay one event by Stripe's event id (evt_…).")

    def handle(self, *args, failed: bool, event: str | None, **options):
        if not failed and not event:
            raise CommandError("Say which events: --failed, or --event <id>.")
        if event:
            stored = WebhookEvent.objects.filter(event_id=event).first()
            if stored is None:
                raise CommandError(f"No stored event {event}.")
            events = [webhook_event_process(event=stored)]
        else:
            events = webhook_events_replay(failed_only=True)
        for stored in events:
            line = f"{stored.event_id} {stored.type}: {stored.status}"
            if stored.error:
                line += f" ({stored.error})"
            self.stdout.write(line)
        still_failed = sum(1 for stored in events if stored.status == WebhookEvent.Status.FAILED)
        self.stdout.write(f"Replayed {len(events)} events; {still_failed} still failed.")
