"""What email providers report after sending: delivered, opened, bounced, marked as spam.

django-anymail receives each provider's tracking webhook at /anymail/<provider>/tracking/, verifies
it the way that provider signs it (basic auth, an HMAC or a public-key signature; see README), and
sends one normalised event per report through its `tracking` signal. `on_tracking` only adapts that
event to `email_tracking_record`, which holds the rules.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from anymail.signals import EventType, RejectReason, tracking
from django.db import IntegrityError, transaction

from coursedesk.audit.services import Actor, audit_record
from coursedesk.audit.types import AuditEventType, AuditSource
from coursedesk.core import clock
from coursedesk.mail.models import EmailSuppression, OutboundEmail
from coursedesk.mail.tasks import TRACKING_KEY

logger = logging.getLogger(__name__)
Status = OutboundEmail.Status


@dataclass(frozen=True)
class DeliveryReport:
    """One provider report about one sent email, in CourseDesk's words."""

    provider: str
    status: str  # delivered, opened, bounced or complained
    email_id: str = ""  # our outbox id, from the metadata the email was sent with
    message_id: str = ""  # the provider's id for the message
    recipient: str = ""
    detail: str = ""
    permanent: bool = False  # a hard bounce or a complaint: the address is undeliverable


def _soft_bounce(event) -> bool:
    """Bounces a provider marks as temporary (anymail reports both kinds as bounced)."""
    raw = event.esp_event if hasattr(event.esp_event, "get") else {}
    return raw.get("Type") == "SoftBounce" or raw.get("type") == "blocked"  # Postmark, SendGrid


def report_from_event(event, provider: str) -> DeliveryReport | None:
    """anymail's normalised event as a DeliveryReport; None for reports the outbox does not track
    (queued, deferred, clicks, unsubscribes…)."""
    if event.event_type == EventType.COMPLAINED:
        status, permanent = Status.COMPLAINED, True
    elif event.event_type == EventType.BOUNCED:
        status, permanent = Status.BOUNCED, not _soft_bounce(event)
    elif event.event_type == EventType.REJECTED and event.reject_reason in (
        RejectReason.BOUNCED,
        RejectReason.INVALID,
    ):
        # The provider itself refuses the address (it bounced before, or cannot exist).
        status, permanent = Status.BOUNCED, True
    elif event.event_type == EventType.DELIVERED:
        status, permanent = Status.DELIVERED, False
    elif event.event_type in (EventType.OPENED, EventType.CLICKED):
        status, permanent = Status.OPENED, False
    else:
        return None
    metadata = event.metadata if isinstance(event.metadata, dict) else {}
    detail = " ".join(part for part in (event.description, event.mta_response) if part)
    return DeliveryReport(
        provider=provider,
        status=status,
        email_id=str(metadata.get(TRACKING_KEY) or ""),
        message_id=str(event.message_id or ""),
        recipient=event.recipient or "",
        detail=detail.strip()[:2000],
        permanent=permanent,
    )


def _reported_email(report: DeliveryReport):
    emails = OutboundEmail.objects.select_for_update(of=("self",)).select_related("creator", "customer")
    email = None
    if report.email_id.isdigit():
        email = emails.filter(pk=int(report.email_id)).first()
    if email is None and report.message_id:
        email = emails.filter(provider_message_id=report.message_id).first()
    if email is not None and report.recipient and report.recipient.lower() != email.to.lower():
        return None  # a report about another address cannot be about this email
    return email


def email_tracking_record(*, report: DeliveryReport) -> OutboundEmail | None:
    """Moves the reported email's status forward (never back: reports arrive out of order), keeps
    the provider's words, records bounces and complaints on the timeline, and suppresses the
    address after a hard bounce or a complaint. A report about an unknown email changes nothing."""
    with transaction.atomic():
        email = _reported_email(report)
        if email is None:
            logger.info("%s report about an unknown email (%s)", report.provider, report.message_id)
            return None
        order = OutboundEmail.TRACKING_ORDER
        if email.status not in order or order[report.status] <= order[email.status]:
            return email  # not sent by us, already further along, or a repeated report
        email.status = report.status
        email.delivery_detail = report.detail
        email.delivery_reported_at = clock.now()
        email.save(update_fields=["status", "delivery_detail", "delivery_reported_at"])
        if report.status not in (Status.BOUNCED, Status.COMPLAINED):
            return email
        suppressed = report.permanent and _suppress(email, report)
        audit_record(
            creator=email.creator,
            customer=email.customer,
            type=AuditEventType.EMAIL_BOUNCED
            if report.status == Status.BOUNCED
            else AuditEventType.EMAIL_COMPLAINED,
            actor=Actor.system(),
            source=AuditSource.EMAIL_PROVIDER,
            subject=email,
            data={
                "kind": email.kind,
                "to": email.to,
                "subject": email.subject,
                "provider": report.provider,
                "reason": report.detail,
                "permanent": report.permanent,
                "suppressed": suppressed,
            },
        )
    return email


def _suppress(email: OutboundEmail, report: DeliveryReport) -> bool:
    """Marks the address undeliverable for the email's creator; False if it already was."""
    address = email.to.strip().lower()
    if EmailSuppression.objects.for_creator(email.creator).active().for_address(address).exists():
        return False
    try:
        with transaction.atomic():
            EmailSuppression.objects.create(
                creator=email.creator,
                address=address,
                reason=(
                    EmailSuppression.Reason.COMPLAINED
                    if report.status == Status.COMPLAINED
                    else EmailSuppression.Reason.BOUNCED
                ),
                detail=report.detail,
                email=email,
            )
    except IntegrityError:  # a report about another email to the address suppressed it just now
        return False
    return True


def on_tracking(sender, event, esp_name, **kwargs):
    """anymail's `tracking` signal (connected in MailConfig.ready): the adapter to the service."""
    report = report_from_event(event, esp_name)
    if report is not None:
        email_tracking_record(report=report)


def connect() -> None:
    tracking.connect(on_tracking, dispatch_uid="coursedesk.mail.tracking")
