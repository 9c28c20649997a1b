"""The outbox: every email CourseDesk sends is a row with its delivery status."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from coursedesk.core import clock
from coursedesk.core.models import CreatorScopedQuerySet


class OutboundEmailQuerySet(CreatorScopedQuerySet):
    creator_path = "creator"


class OutboundEmail(models.Model):
    class Kind(models.TextChoices):
        WELCOME = "welcome", "Welcome"
        PASSWORD_RESET = "password_reset", "Password reset"
        RECEIPT = "receipt", "Receipt"
        REFUND_NOTICE = "refund_notice", "Refund notice"
        PAYMENT_FAILED = "payment_failed", "Payment failed"
        CARD_UPDATE_LINK = "card_update_link", "Card update link"
        EXPIRY_REMINDER = "expiry_reminder", "Expiry reminder"
        WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint_disabled", "Webhook endpoint disabled"
        TEAM_INVITATION = "team_invitation", "Team invitation"
        TEST = "test", "Test"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        # Reported later by the email provider's tracking webhooks (mail.tracking).
        DELIVERED = "delivered", "Delivered"
        OPENED = "opened", "Opened"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Marked as spam"
        # Never sent: the address bounced or complained before (EmailSuppression).
        SUPPRESSED = "suppressed", "Not sent (undeliverable)"

    # How far along an email is; a provider's report only ever moves it further (reports may arrive
    # out of order: an "opened" before its "delivered").
    TRACKING_ORDER = {
        Status.SENT: 1,
        Status.DELIVERED: 2,
        Status.OPENED: 3,
        Status.BOUNCED: 4,
        Status.COMPLAINED: 5,
    }

    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="outbound_emails"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="emails",
    )
    course = models.ForeignKey(
        "catalog.Course", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # Who had it sent: the creator or team member who acted, or CourseDesk, the customer, the gateway.
    queued_by = models.CharField(max_length=255, blank=True)
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=300)
    text_body = models.TextField()
    html_body = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The provider's id for the message (with an email provider), to match its tracking reports.
    provider_message_id = models.CharField(max_length=255, blank=True)
    # The provider's words for the latest report: a bounce's reason, the receiving server's answer.
    delivery_detail = models.TextField(blank=True)
    delivery_reported_at = models.DateTimeField(null=True, blank=True)

    objects = OutboundEmailQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="email_customer_newest"),
            models.Index(fields=["status", "next_attempt_at"], name="email_due"),
            models.Index(
                fields=["provider_message_id"],
                condition=~models.Q(provider_message_id=""),
                name="email_provider_message",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to} ({self.status})"


class EmailSuppressionQuerySet(CreatorScopedQuerySet):
    creator_path = "creator"

    def active(self):
        return self.filter(cleared_at__isnull=True)

    def for_address(self, address: str):
        return self.filter(address=(address or "").strip().lower())


class EmailSuppression(models.Model):
    """An address that hard-bounced or complained: emails to it are stored as suppressed, not sent,
    until someone on the desk chooses "Try again" (which clears it)."""

    class Reason(models.TextChoices):
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Marked as spam"

    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="email_suppressions"
    )
    address = models.CharField(max_length=254, help_text="Lower case.")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.TextField(blank=True, help_text="The provider's words, e.g. the bounce message.")
    email = models.ForeignKey(
        OutboundEmail, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.CharField(max_length=255, blank=True)

    objects = EmailSuppressionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "address"],
                condition=models.Q(cleared_at__isnull=True),
                name="email_suppression_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.get_reason_display()})"

    def explanation(self) -> str:
        """What the desk and a suppressed email say: why nothing is sent to this address."""
        what = "bounced" if self.reason == self.Reason.BOUNCED else "was marked as spam by its owner"
        text = f"Not sent: an email to {self.address} {what} on {self.created_at:%Y-%m-%d}"
        return f"{text} ({self.detail[:300]})." if self.detail else f"{text}."
