"""Student-side state changes: reset links, new passwords, sign-ins. Each is atomic and audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from coursedesk.audit.services import Actor, audit_record
from coursedesk.audit.types import AuditEventType
from coursedesk.catalog.links import absolute, course_links
from coursedesk.core import clock
from coursedesk.core.errors import DomainError, InvalidValue
from coursedesk.customers.models import Customer, PasswordResetToken
from coursedesk.mail.models import OutboundEmail
from coursedesk.mail.services import email_queue

RESET_LINK_VALIDITY = dt.timedelta(hours=24)


def token_hash(token: str) -> str:
    """Reset links are stored as their SHA-256 only: a database leak gives no usable link."""
    return hashlib.sha256(token.encode()).hexdigest()


def password_reset_url(course, token: str) -> str:
    return absolute(
        reverse("classroom:password_reset_confirm", kwargs={"course_slug": course.slug, "token": token})
    )


def password_reset_send(*, customer: Customer, course, actor: Actor, source: str) -> OutboundEmail:
    """Creates a link valid for 24 hours and usable once, and queues the email that carries it.

    Earlier links stay valid until they expire or a new password is set through any of them.
    """
    if course.creator_id != customer.creator_id:
        raise DomainError("This customer does not belong to this course's creator.", code="wrong_creator")
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.erased_at is not None:
            raise DomainError("This customer was erased; no email can be sent.", code="customer_erased")
        token = secrets.token_urlsafe(32)
        now = clock.now()
        reset = PasswordResetToken.objects.create(
            customer=customer,
            course=course,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + RESET_LINK_VALIDITY,
        )
        context = {
            "customer": customer,
            "course": course,
            "creator_name": course.creator.name,
            "reset_url": password_reset_url(course, token),
            "new_link_url": course_links(course)["password_reset_url"],
            "hours": int(RESET_LINK_VALIDITY.total_seconds() // 3600),
        }
        email = email_queue(
            creator=course.creator,
            customer=customer,
            course=course,
            kind=OutboundEmail.Kind.PASSWORD_RESET,
            to=customer.email,
            subject=f"Set a new password for {course.title}".replace("\n", " "),
            text_body=render_to_string("mail/password_reset.txt", context),
            html_body=render_to_string("mail/password_reset.html", context),
            actor=actor,
            source=source,
        )
        audit_record(
            creator=course.creator,
            customer=customer,
            type=AuditEventType.CUSTOMER_PASSWORD_RESET_REQUESTED,
            actor=actor,
            source=source,
            subject=customer,
            data={
                "course": course.title,
                "to": customer.email,
                "expires_at": reset.expires_at.isoformat(),
                "email_id": email.pk,
            },
        )
    return email


class ResetLinkProblem(DomainError):
    """The link cannot be used: `code` is unknown, used or expired."""


def password_reset_token_check(*, course, token: str) -> PasswordResetToken:
    """The reset token behind a link of this course, if it can still be used; else ResetLinkProblem."""
    reset = (
        PasswordResetToken.objects.select_related("customer")
        .filter(token_hash=token_hash(token), course=course, customer__erased_at__isnull=True)
        .first()
    )
    if reset is None:
        raise ResetLinkProblem("This link to set a new password is not valid.", code="unknown")
    if reset.used_at is not None:
        raise ResetLinkProblem("This link was already used to set a new password.", code="used")
    if clock.now() >= reset.expires_at:
        raise ResetLinkProblem(
            "This link has expired: links to set a new password work for 24 hours.", code="expired"
        )
    return reset


def password_reset_complete(*, course, token: str, password: str, source: str = "student") -> Customer:
    """Sets the new password through a reset link, once. Every other open link stops working too."""
    with transaction.atomic():
        reset = password_reset_token_check(course=course, token=token)
        reset = PasswordResetToken.objects.select_for_update().get(pk=reset.pk)
        if reset.used_at is not None:  # a concurrent request won the race
            raise ResetLinkProblem("This link was already used to set a new password.", code="used")
        customer = Customer.objects.select_for_update().get(pk=reset.customer_id)
        try:
            validate_password(password)
        except ValidationError as error:
            raise InvalidValue(" ".join(error.messages), code="weak_password") from error
        now = clock.now()
        customer.set_password(password)
        customer.save(update_fields=["password"])
        reset.used_at = now
        reset.save(update_fields=["used_at"])
        PasswordResetToken.objects.filter(customer=customer, used_at__isnull=True).update(used_at=now)
        audit_record(
            creator=course.creator,
            customer=customer,
            type=AuditEventType.CUSTOMER_PASSWORD_RESET,
            actor=Actor.customer(customer),
            source=source,
            subject=customer,
            data={"course": course.title},
        )
    return customer


def customer_login_record(*, customer: Customer, course, source: str = "student") -> Customer:
    """Records a successful sign-in: last_login_at and the audit event."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        customer.last_login_at = clock.now()
        customer.save(update_fields=["last_login_at"])
        audit_record(
            creator=customer.creator,
            customer=customer,
            type=AuditEventType.CUSTOMER_SIGNED_IN,
            actor=Actor.customer(customer),
            source=source,
            subject=customer,
            data={"course": course.title},
        )
    return customer
