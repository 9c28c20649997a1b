"""Queuing emails: a row in the outbox now, sending later in a background task."""

from __future__ import annotations

from django.db import transaction

from coursedesk.audit.services import Actor, audit_record
from coursedesk.mail.models import OutboundEmail
from coursedesk.mail.rendering import placeholder_values, substitute, substitute_html


def email_queue(
    *, creator, kind: str, to: str, subject: str, text_body: str, html_body: str = "",
    customer=None, course=None,
) -> OutboundEmail:
    """Writes the outbox row; the send task runs only after the surrounding transaction commits."""
    from coursedesk.mail.tasks import send_outbound_email

    email = OutboundEmail.objects.create(
        creator=creator, customer=customer, course=course, kind=kind, to=to,
        subject=subject, text_body=text_body, html_body=html_body,
    )
    transaction.on_commit(lambda: send_outbound_email.enqueue(email.pk))
    return email


def welcome_email_queue(*, customer, course, actor: Actor, source: str) -> OutboundEmail:
    """The course's current welcome email, to the customer's current address."""
    values = placeholder_values(customer=customer, course=course)
    with transaction.atomic():
        email = email_queue(
            creator=course.creator, customer=customer, course=course,
            kind=OutboundEmail.Kind.WELCOME, to=customer.email,
            subject=substitute(course.welcome_email_subject, values).replace("\n", " "),
            text_body=substitute(course.welcome_email_body, values),
            html_body=substitute_html(course.welcome_email_body, values),
        )
        audit_record(
            creator=course.creator, customer=customer, type="email.queued", actor=actor,
            source=source, subject=email,
            data={"kind": email.kind, "to": email.to, "subject": email.subject, "course": course.title},
        )
    return email
