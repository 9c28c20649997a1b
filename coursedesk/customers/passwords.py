"""Students' reset links and new passwords: a link is stored as its hash only, works for 24 hours
and once; setting a password through any link ends every other open link."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction

from coursedesk.audit.services import Actor, audit_record
from coursedesk.audit.types import AuditEventType, AuditSource
from coursedesk.core import clock
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import Customer, PasswordResetToken
from coursedesk.customers.services import password_check

RESET_LINK_VALIDITY = dt.timedelta(hours=24)


def token_hash(token: str) -> str:
    """Reset links are stored as their SHA-256 only: a database leak gives no usable link."""
    return hashlib.sha256(token.encode()).hexdigest()


def password_reset_token_create(*, customer: Customer, course) -> tuple[PasswordResetToken, str]:
    """A new reset token for `customer` on `course`, and the token itself (only its hash is kept).

    Earlier links stay valid until they expire or a new password is set through any of them.
    """
    token = secrets.token_urlsafe(32)
    now = clock.now()
    reset = PasswordResetToken.objects.create(
        customer=customer,
        course=course,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + RESET_LINK_VALIDITY,
    )
    return reset, token


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


def password_reset_complete(
    *, course, token: str, password: str, source: str = AuditSource.STUDENT
) -> Customer:
    """Sets the new password through a reset link, once. Every other open link stops working too."""
    with transaction.atomic():
        reset = password_reset_token_check(course=course, token=token)
        reset = PasswordResetToken.objects.select_for_update().get(pk=reset.pk)
        if reset.used_at is not None:  # a concurrent request won the race
            raise ResetLinkProblem("This link was already used to set a new password.", code="used")
        customer = Customer.objects.select_for_update().get(pk=reset.customer_id)
        password_check(password, customer=customer)
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
