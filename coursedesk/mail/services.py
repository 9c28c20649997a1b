"""Queuing emails: a row in the outbox now, sending later in a background task.

Also the course welcome email: editing it, rendering it for a customer, sending a test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction

from coursedesk.audit.services import Actor, audit_record, change
from coursedesk.audit.types import AuditEventType, AuditSource
from coursedesk.catalog.models import Course
from coursedesk.core import clock
from coursedesk.core.errors import InvalidValue
from coursedesk.customers.selectors import enrolment_required
from coursedesk.mail.models import EmailSuppression, OutboundEmail
from coursedesk.mail.rendering import (
    PLACEHOLDERS,
    placeholder_values,
    substitute,
    substitute_html,
    unknown_placeholders,
)
from coursedesk.mail.tasks import send_outbound_email

SUBJECT_MAX = 200
_LINE_BREAKS = re.compile(r"[\r\n\t\x0b\x0c\x85\u2028\u2029]+")


def one_line(text: str, limit: int = 300) -> str:
    """A header value: no line breaks (no header injection), trimmed to the column's length."""
    return " ".join(_LINE_BREAKS.sub(" ", text or "").split())[:limit]


def email_queue(
    *,
    creator,
    kind: str,
    to: str,
    subject: str,
    text_body: str,
    html_body: str = "",
    customer=None,
    course=None,
    actor: Actor,
    source: AuditSource,
) -> OutboundEmail:
    """Writes the outbox row and its `email.queued` event; the send task runs only after the
    surrounding transaction commits.

    An address that hard-bounced or complained (an active EmailSuppression) is not sent to: the row
    is stored as `suppressed` with the reason, and its event is `email.suppressed`.
    """
    with transaction.atomic(savepoint=False):  # nothing in it is refused: only a failed write fails it
        suppression = EmailSuppression.objects.for_creator(creator).active().for_address(to).first()
        email = OutboundEmail.objects.create(
            creator=creator,
            customer=customer,
            course=course,
            kind=kind,
            queued_by=actor.label,
            to=to,
            subject=one_line(subject),
            text_body=text_body,
            html_body=html_body,
            **(
                {"status": OutboundEmail.Status.SUPPRESSED, "last_error": suppression.explanation()}
                if suppression is not None
                else {}
            ),
        )
        audit_record(
            creator=creator,
            customer=customer,
            type=AuditEventType.EMAIL_SUPPRESSED if suppression is not None else AuditEventType.EMAIL_QUEUED,
            actor=actor,
            source=source,
            subject=email,
            data={
                "kind": email.kind,
                "to": email.to,
                "subject": email.subject,
                **({"course": course.title} if course is not None else {}),
                **({"reason": suppression.explanation()} if suppression is not None else {}),
            },
        )
    if suppression is None:
        transaction.on_commit(lambda: send_outbound_email.enqueue(email.pk))
    return email


def _sql_lower_agrees(address: str) -> bool:
    """Whether SQL's LOWER(TRIM(address)) is Python's `address.strip().lower()`: SQLite's LOWER folds
    ASCII only, so a letter outside ASCII must already be lower case (as in most such addresses)."""
    return address == address.strip() and all(ch.isascii() or ch.lower() == ch for ch in address)


def email_suppression_known(customer, suppression: EmailSuppression | None) -> None:
    """Records on `customer` the active suppression of its address that a query read with it (by
    comparing the address in SQL), so that `email_suppression_active` asks nothing more."""
    if suppression is not None or _sql_lower_agrees(customer.email):
        customer.__dict__["email_suppression_read"] = suppression


def email_suppression_active(customer) -> EmailSuppression | None:
    """Why emails to the customer's current address are not sent, if they are not."""
    if "email_suppression_read" in customer.__dict__:
        return customer.__dict__["email_suppression_read"]
    suppressions = EmailSuppression.objects.filter(creator_id=customer.creator_id)  # no creator row read
    return suppressions.active().for_address(customer.email).first()


def email_suppression_clear(*, creator, address: str, actor: Actor, source: str, customer=None) -> bool:
    """ "Try again": emails to `address` are sent again. The next one may bounce and suppress the
    address anew. False when the address was not suppressed (nothing changed)."""
    with transaction.atomic():
        suppression = (
            EmailSuppression.objects.for_creator(creator)
            .active()
            .for_address(address)
            .select_for_update()
            .first()
        )
        if suppression is None:
            return False
        suppression.cleared_at = clock.now()
        suppression.cleared_by = actor.label
        suppression.save(update_fields=["cleared_at", "cleared_by"])
        audit_record(
            creator=creator,
            customer=customer,
            type=AuditEventType.EMAIL_SUPPRESSION_CLEARED,
            actor=actor,
            source=source,
            subject=suppression,
            data={
                "to": suppression.address,
                "reason": suppression.get_reason_display(),
                "detail": suppression.detail,
                "suppressed_at": clock.iso(suppression.created_at),
            },
        )
    return True


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text_body: str
    html_body: str


def welcome_email_render(
    *, course, customer, subject: str | None = None, body: str | None = None
) -> RenderedEmail:
    """The welcome email for this customer: the course's saved text, or the given draft."""
    values = placeholder_values(customer=customer, course=course)
    subject = course.welcome_email_subject if subject is None else subject
    body = course.welcome_email_body if body is None else body
    return RenderedEmail(
        subject=one_line(substitute(subject, values)),
        text_body=substitute(body, values),
        html_body=substitute_html(body, values),
    )


def welcome_email_queue(*, customer, course, actor: Actor, source: str, enrolment=None) -> OutboundEmail:
    """The course's current welcome email, to the customer's current address; only for a course the
    customer is enrolled in (`not_enrolled` otherwise). A caller that has just granted the course
    passes that `enrolment`, which is then not read again."""
    if enrolment is None or (enrolment.customer_id, enrolment.course_id) != (customer.pk, course.pk):
        enrolment_required(customer=customer, course=course)
    rendered = welcome_email_render(course=course, customer=customer)
    return email_queue(
        creator=course.creator,
        customer=customer,
        course=course,
        kind=OutboundEmail.Kind.WELCOME,
        to=customer.email,
        subject=rendered.subject,
        text_body=rendered.text_body,
        html_body=rendered.html_body,
        actor=actor,
        source=source,
    )


def _clean_welcome(subject: str, body: str) -> tuple[str, str]:
    subject = one_line(subject, limit=10_000)
    body = (body or "").replace("\r\n", "\n").strip()
    if not subject:
        raise InvalidValue("The subject cannot be empty.", code="subject_empty")
    if len(subject) > SUBJECT_MAX:
        raise InvalidValue(f"Keep the subject under {SUBJECT_MAX} characters.", code="subject_too_long")
    if not body:
        raise InvalidValue("The email cannot be empty.", code="body_empty")
    unknown = unknown_placeholders(subject + "\n" + body)
    if unknown:
        names = ", ".join("{{ " + name + " }}" for name in unknown)
        known = ", ".join("{{ " + name + " }}" for name in PLACEHOLDERS)
        raise InvalidValue(
            f"Unknown placeholder: {names}. The placeholders are {known}.", code="unknown_placeholder"
        )
    return subject, body


def welcome_email_update(*, course, subject: str, body: str, actor: Actor, source: str):
    """Saves the course's welcome email; the change is audited with the old and new text."""
    subject, body = _clean_welcome(subject, body)
    with transaction.atomic():
        course = Course.objects.select_for_update().get(pk=course.pk)
        changes = {}
        if course.welcome_email_subject != subject:
            changes["welcome_email_subject"] = change(course.welcome_email_subject, subject)
        if course.welcome_email_body != body:
            changes["welcome_email_body"] = change(course.welcome_email_body, body)
        if not changes:
            return course
        course.welcome_email_subject = subject
        course.welcome_email_body = body
        course.save(update_fields=["welcome_email_subject", "welcome_email_body", "updated_at"])
        audit_record(
            creator=course.creator,
            type=AuditEventType.COURSE_WELCOME_EMAIL_UPDATED,
            actor=actor,
            source=source,
            subject=course,
            data={"course": course.title, **changes},
        )
    return course


def welcome_email_test_send(
    *,
    course,
    to: str,
    customer,
    subject: str | None = None,
    body: str | None = None,
    actor: Actor,
    source: str,
) -> OutboundEmail:
    """Sends the welcome email (saved text or a draft), with this customer's data, to the creator."""
    if subject is not None or body is not None:
        subject, body = _clean_welcome(
            course.welcome_email_subject if subject is None else subject,
            course.welcome_email_body if body is None else body,
        )
    rendered = welcome_email_render(course=course, customer=customer, subject=subject, body=body)
    return email_queue(
        creator=course.creator,
        course=course,
        kind=OutboundEmail.Kind.TEST,
        to=to,
        subject=f"[Test] {rendered.subject}",
        text_body=rendered.text_body,
        html_body=rendered.html_body,
        actor=actor,
        source=source,
    )
