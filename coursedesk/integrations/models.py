"""Public events (from audit events), the event feed's order, outbound webhook endpoints, and each
delivery of an event to an endpoint with every attempt."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from coursedesk.core import clock
from coursedesk.core.crypto import EncryptedTextField
from coursedesk.core.models import CreatorScopedQuerySet


class PublicEventQuerySet(CreatorScopedQuerySet):
    creator_path = "creator"

    def in_feed(self):
        """Events given their place in the feed (test events never are)."""
        return self.filter(position__isnull=False)


class PublicEvent(models.Model):
    """What a consumer is told happened: a type, a time and the object as the API shows it.

    Written by the audit event's transaction (integrations.events), so it exists exactly when the
    audit event does; `data` is the object at that moment. `position` orders the feed: it is given
    after the commit, in commit order (events.events_sequence), so a reader paging with `after`
    never skips an event that committed late with a lower id.
    """

    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    audit_event = models.OneToOneField(
        "audit.AuditEvent", on_delete=models.PROTECT, null=True, blank=True, related_name="public_event"
    )
    type = models.CharField(max_length=60)
    created_at = models.DateTimeField(default=clock.now)
    data = models.JSONField(default=dict)
    position = models.BigIntegerField(null=True, blank=True)
    is_test = models.BooleanField(default=False)

    objects = PublicEventQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["creator", "position"], name="public_event_position_unique")
        ]
        indexes = [
            models.Index(
                fields=["creator", "id"],
                condition=Q(position__isnull=True, is_test=False),
                name="public_event_unsequenced",
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.pk}"


class EventStream(models.Model):
    """The last feed position given out for a creator; its row lock puts positions in commit order."""

    creator = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    last_position = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"events of {self.creator_id} up to {self.last_position}"


class WebhookEndpointQuerySet(CreatorScopedQuerySet):
    creator_path = "creator"


class WebhookEndpoint(models.Model):
    """A URL of the creator's that receives the event types it asked for, signed with its secret."""

    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list, help_text="The public event types it receives.")
    description = models.CharField(max_length=200, blank=True)
    enabled = models.BooleanField(default=True)
    secret = EncryptedTextField()
    # After a rotation the old secret also signs for 24 hours, so consumers can switch over.
    previous_secret = EncryptedTextField(blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    # The first failed attempt since the last success: 3 days of failures disable the endpoint.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.url

    def signing_secrets(self, at) -> list[str]:
        """The secrets that sign now: the current one, and the previous one during its 24 hours."""
        secrets = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and at < self.previous_secret_expires_at:
            secrets.append(self.previous_secret)
        return secrets


class WebhookDeliveryQuerySet(CreatorScopedQuerySet):
    creator_path = "endpoint__creator"


class WebhookDelivery(models.Model):
    """One event for one endpoint. Retried on a schedule until a 2xx answer; the event keeps its id
    (the webhook-id header) across every attempt, so consumers deduplicate by it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(PublicEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Attempts since it was last (re)delivered: the retry schedule starts again with a redelivery.
    round_attempts = models.PositiveSmallIntegerField(default=0)
    # When the next attempt is due; while an attempt runs, when it counts as lost and is retried.
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=clock.now)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once")]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_delivery_due"
            ),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery: what came back, how long it took, the first 2 KB of the body."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_rows")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField(default=clock.now)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number_once")
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"
