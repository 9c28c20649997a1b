"""Background sending of outbox rows, with retries and backoff.

One run of `send_outbound_email` makes one attempt. A failed attempt leaves the row queued with
`next_attempt_at` and enqueues the next run with `run_after` (database backend), until MAX_ATTEMPTS
have failed: then the row is failed. Backends that cannot defer (the immediate backend of the tests)
leave the retry to `send_due_emails`, which the `send_queued_emails` command runs; it also picks
up rows whose task was lost (a worker that died, a queue that was flushed).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django_tasks import task

from coursedesk.audit.services import Actor, audit_record
from coursedesk.audit.types import AuditEventType, AuditSource
from coursedesk.core import clock
from coursedesk.core.text import without_control_characters
from coursedesk.mail.models import OutboundEmail

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
TRACKING_KEY = "coursedesk_email_id"

# Reset links are secrets: once an email has left (or finally failed) its stored copy loses them.
_RESET_LINK = re.compile(r"(/password-reset/)[A-Za-z0-9_-]{16,}(/)")
REDACTED = "link-removed"


def backoff(attempts: int) -> dt.timedelta:
    """1, 4, 16, 64 minutes between tries."""
    return dt.timedelta(minutes=4 ** (attempts - 1))


def redact(text: str) -> str:
    return _RESET_LINK.sub(rf"\g<1>{REDACTED}\g<2>", text)


def _from_address(email: OutboundEmail) -> str:
    """The creator's name with the site's sending address, so students see who writes."""
    default_name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    name = email.creator.name if email.creator_id else default_name
    # A name stored before names were checked may hold a line break, which would make every email
    # fail with BadHeaderError: it is sent as one line.
    name = " ".join(without_control_characters(name).split())
    return formataddr((name or default_name, address))


def _message_domain() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "coursedesk.invalid"


def _message(email: OutboundEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text_body,
        to=[email.to],
        from_email=_from_address(email),
        reply_to=[email.course.contact_email] if email.course_id and email.course.contact_email else None,
        headers={
            "X-CourseDesk-Email": str(email.pk),
            "Auto-Submitted": "auto-generated",
            # One Message-ID per outbox row, whatever the attempt: should a worker die after the
            # server took the message but before the row was marked sent, the second copy carries
            # the same id, which mail servers and clients treat as the same message.
            "Message-ID": f"<outbox-{email.pk}@{_message_domain()}>",
        },
    )
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    # With an email provider (django-anymail), the provider hands this back in its tracking reports,
    # which is how a bounce finds its outbox row (mail.tracking). Other backends ignore it.
    message.metadata = {TRACKING_KEY: str(email.pk)}
    return message


def _provider_message_id(message) -> str:
    """The id an email provider gave the message (django-anymail's status), else empty."""
    message_id = getattr(getattr(message, "anymail_status", None), "message_id", None)
    return message_id[:255] if isinstance(message_id, str) else ""


def _audit(email: OutboundEmail, type: str, **data) -> None:
    audit_record(
        creator=email.creator,
        customer=email.customer,
        type=type,
        actor=Actor.system(),
        source=AuditSource.OUTBOX,
        subject=email,
        data={
            "kind": email.kind,
            "to": email.to,
            "subject": email.subject,
            "attempts": email.attempts,
            **data,
        },
    )


def _enqueue_retry(email_id: int, retry_at: dt.datetime) -> None:
    backend = send_outbound_email.get_backend()
    if backend.supports_defer:
        send_outbound_email.using(run_after=retry_at).enqueue(email_id)
    # Otherwise `send_due_emails` sends it when it is due.


def _finish(email: OutboundEmail, fields: list[str]) -> None:
    if email.kind == OutboundEmail.Kind.PASSWORD_RESET:
        email.text_body = redact(email.text_body)
        email.html_body = redact(email.html_body)
        fields += ["text_body", "html_body"]
    email.save(update_fields=fields)


@task()
def send_outbound_email(email_id: int) -> str:
    """One delivery attempt of one outbox row: 'sent', 'retrying', 'failed' or 'skipped'."""
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(of=("self",))
            .select_related("course", "creator", "customer")
            .filter(pk=email_id)
            .first()
        )
        if email is None or email.status != OutboundEmail.Status.QUEUED:
            return "skipped"  # sent or failed already: a duplicate task never sends twice
        if email.next_attempt_at is not None and email.next_attempt_at > clock.now():
            return "skipped"  # not due yet: the run scheduled for that time will send it
        email.attempts += 1
        message = _message(email)
        try:
            message.send()
        except Exception as error:
            email.last_error = f"{type(error).__name__}: {error}"[:2000]
            logger.warning("sending email %s failed (attempt %s): %s", email.pk, email.attempts, error)
            if email.attempts >= MAX_ATTEMPTS:
                email.status = OutboundEmail.Status.FAILED
                email.next_attempt_at = None
                _finish(email, ["attempts", "last_error", "status", "next_attempt_at"])
                _audit(email, AuditEventType.EMAIL_FAILED, error=email.last_error)
                return "failed"
            email.next_attempt_at = clock.now() + backoff(email.attempts)
            email.save(update_fields=["attempts", "last_error", "next_attempt_at"])
            retry_at = email.next_attempt_at
            transaction.on_commit(lambda: _enqueue_retry(email_id, retry_at))
            return "retrying"
        email.status = OutboundEmail.Status.SENT
        email.sent_at = clock.now()
        email.last_error = ""
        email.next_attempt_at = None
        email.provider_message_id = _provider_message_id(message)
        _finish(
            email, ["attempts", "status", "sent_at", "last_error", "next_attempt_at", "provider_message_id"]
        )
        _audit(email, AuditEventType.EMAIL_SENT)
        return "sent"


def send_due_emails(*, limit: int = 500, fresh_for: dt.timedelta | None = None) -> dict[str, int]:
    """Attempts every queued row that is due now (retries, lost tasks); returns counts by outcome.

    `fresh_for` leaves alone rows queued less than that long ago, which the worker is about to send.
    """
    now = clock.now()
    never_tried = Q(next_attempt_at__isnull=True)
    if fresh_for is not None:
        never_tried &= Q(created_at__lte=now - fresh_for)
    due = (
        OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED)
        .filter(never_tried | Q(next_attempt_at__lte=now))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    outcomes: dict[str, int] = {}
    for email_id in list(due):
        outcome = send_outbound_email.call(email_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
