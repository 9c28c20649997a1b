"""Reads of the outbox and the welcome email editor, shared by pages and the API."""

from __future__ import annotations

from coursedesk.customers.models import Customer
from coursedesk.mail.models import OutboundEmail


def creator_outbox(*, creator, status: str | None = None):
    emails = OutboundEmail.objects.for_creator(creator).select_related("customer", "course")
    if status:
        emails = emails.filter(status=status)
    return emails


def course_preview_customers(*, course, limit: int = 25):
    """Real customers to preview the welcome email with: the course's most recent students."""
    return (
        Customer.objects.for_creator(course.creator)
        .filter(enrolments__course=course, erased_at__isnull=True)
        .order_by("-enrolments__granted_at", "-pk")[:limit]
    )
