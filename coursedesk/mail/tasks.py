"""Background sending of outbox rows, with retries and backoff."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django_tasks import task

from coursedesk.core import clock
from coursedesk.mail.models import OutboundEmail

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def backoff(attempts: int) -> dt.timedelta:
    """1, 4, 16, 64 minutes between tries."""
    return dt.timedelta(minutes=4 ** (attempts - 1))


@task()
def send_outbound_email(email_id: int) -> str:
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.status != OutboundEmail.Status.QUEUED:
            return "skipped"
        email.attempts += 1
        message = EmailMultiAlternatives(
            subject=email.subject, body=email.text_body, to=[email.to],
            from_email=settings.DEFAULT_FROM_EMAIL,
            reply_to=[email.course.contact_email] if email.course_id else None,
        )
        if email.html_body:
            message.attach_alternative(email.html_body, "text/html")
        try:
            message.send()
        except Exception as error:
            email.last_error = f"{type(error).__name__}: {error}"[:2000]
            if email.attempts >= MAX_ATTEMPTS:
                email.status = OutboundEmail.Status.FAILED
                email.next_attempt_at = None
            else:
                email.next_attempt_at = clock.now() + backoff(email.attempts)
            email.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            logger.warning("sending email %s failed (attempt %s): %s", email.pk, email.attempts, error)
            if email.status == OutboundEmail.Status.QUEUED:
                retry_at = email.next_attempt_at
                transaction.on_commit(
                    lambda: send_outbound_email.using(run_after=retry_at).enqueue(email_id)
                )
            return "failed"
        email.status = OutboundEmail.Status.SENT
        email.sent_at = clock.now()
        email.last_error = ""
        email.next_attempt_at = None
        email.save(update_fields=["attempts", "status", "sent_at", "last_error", "next_attempt_at"])
        return "sent"
