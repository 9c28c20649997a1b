"""Giving a course to a person by email, without payment: the desk's "Give access to a course", the
API's POST /courses/{id}/enrolments and the `import_students` command all call `course_access_give`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import Customer, Enrolment
from coursedesk.customers.services import (
    customer_get_or_create,
    customer_values_check,
    enrolment_grant,
    expiration_check,
)
from coursedesk.mail.services import welcome_email_queue


@dataclass(frozen=True)
class AccessGiven:
    customer: Customer
    enrolment: Enrolment
    customer_created: bool
    # False when they already had an enrolment that is not revoked: nothing changed.
    given_now: bool


def course_access_give(
    *,
    creator,
    course,
    email: str,
    first_name: str = "",
    last_name: str = "",
    expires_at: dt.datetime | None = None,
    send_welcome_email: bool = True,
    actor: Actor,
    source: str,
    customer: Customer | None = None,
) -> AccessGiven:
    """Gives `course` to the person with `email`, creating the customer when the email is new.

    - No enrolment yet: a new one starts now and ends at `expires_at` (None: lifetime).
    - A revoked enrolment: restored exactly as before the revoke (`expires_at` is not applied).
    - An enrolment that is not revoked (active, or expired: change its expiration to extend it):
      nothing changes.
    The welcome email goes, when `send_welcome_email`, exactly when access is given now (the first
    two cases), never to someone who already had access. All or nothing: a refused value (an
    invalid email, an expiration without a time zone) leaves no customer, enrolment or email behind.

    A caller that already holds the creator's customer with this email (a bulk action over chosen
    customers) passes it as `customer`, and it is not looked up again.
    """
    if course.creator_id != creator.pk:
        raise DomainError("This course belongs to another creator.", code="not_found", status=404)
    expiration_check(expires_at)
    if customer is None:
        customer_values_check(email=email, first_name=first_name, last_name=last_name)
    elif customer.creator_id != creator.pk or customer.email != email:
        raise DomainError("This customer belongs to another creator.", code="not_found", status=404)
    how = Enrolment.Source.IMPORT if source == AuditSource.IMPORT else Enrolment.Source.MANUAL
    # Every refusal comes before it, so it needs no savepoint of its own: inside a caller's
    # transaction only a failed write can fail it, and that fails the caller's transaction too.
    with transaction.atomic(savepoint=False):
        customer_created = False
        if customer is None:
            customer, customer_created = customer_get_or_create(
                creator=creator,
                email=email,
                first_name=first_name,
                last_name=last_name,
                actor=actor,
                source=source,
            )
        # A customer made just now has no enrolment yet: nothing to look up. One who has access
        # keeps it as it is (what enrolment_grant would do), without a second read.
        enrolment = (
            None
            if customer_created
            else Enrolment.objects.select_for_update()
            .filter(customer=customer, course=course, revoked_at__isnull=True)
            .first()
        )
        had_access = enrolment is not None
        if not had_access:
            enrolment = enrolment_grant(
                customer=customer,
                course=course,
                expires_at=expires_at,
                enrolment_source=how,
                actor=actor,
                source=source,
                customer_is_new=customer_created,
            )
        if send_welcome_email and not had_access:
            welcome_email_queue(
                customer=customer, course=course, enrolment=enrolment, actor=actor, source=source
            )
    return AccessGiven(
        customer=customer, enrolment=enrolment, customer_created=customer_created, given_now=not had_access
    )
