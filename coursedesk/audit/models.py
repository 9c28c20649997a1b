"""The append-only timeline: who did what to whom, when, with old and new values."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from coursedesk.core import clock
from coursedesk.core.models import CreatorScopedQuerySet


class AuditEventIsAppendOnly(Exception):
    pass


class AuditEventQuerySet(CreatorScopedQuerySet):
    creator_path = "creator"

    def update(self, **kwargs):
        raise AuditEventIsAppendOnly("audit events cannot be changed")

    def delete(self):
        raise AuditEventIsAppendOnly("audit events cannot be deleted")

    def _redact_personal_data(self, *, replacements: dict[str, str]) -> int:
        """Only for an operator's erasure on request: blanks personal values in `data`.

        The rows stay (what happened and when); the person's name and email do not.
        """
        changed = 0
        for event in self:
            text = replace_personal_values(event.data, replacements)
            if text != event.data:
                models.QuerySet.update(AuditEvent.objects.filter(pk=event.pk), data=text)
                changed += 1
        return changed


def replace_personal_values(value, replacements):
    if isinstance(value, dict):
        return {key: replace_personal_values(item, replacements) for key, item in value.items()}
    if isinstance(value, list):
        return [replace_personal_values(item, replacements) for item in value]
    if isinstance(value, str):
        for old, new in replacements.items():
            if old and old.lower() in value.lower():
                return new
    return value


class AuditEvent(models.Model):
    class ActorKind(models.TextChoices):
        CREATOR = "creator", "Creator"
        CUSTOMER = "customer", "Customer"
        OPERATOR = "operator", "Operator"
        GATEWAY = "gateway", "Payment gateway"
        SYSTEM = "system", "CourseDesk"

    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="audit_events"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    type = models.CharField(max_length=60, help_text="e.g. enrolment.revoked, payment.refunded")
    occurred_at = models.DateTimeField(default=clock.now)
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    actor_label = models.CharField(max_length=255)
    actor_creator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(max_length=20, help_text="desk, api, student, checkout, webhook…")
    subject_type = models.CharField(max_length=40, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["creator", "-occurred_at", "-id"], name="audit_creator_newest"),
            models.Index(fields=["customer", "-occurred_at", "-id"], name="audit_customer_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.type} by {self.actor_label} at {self.occurred_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditEventIsAppendOnly("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditEventIsAppendOnly("audit events cannot be deleted")
