"""State changes of customers and enrolments. Each is atomic, checked and audited."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from coursedesk.audit.services import Actor, audit_record, change
from coursedesk.audit.types import AuditEventType, AuditSource
from coursedesk.core import clock
from coursedesk.core.errors import DomainError, InvalidValue
from coursedesk.core.text import normalize_email
from coursedesk.customers.models import Customer, Enrolment, EnrolmentStatus


def _validate_email(email: str) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError as error:
        raise InvalidValue(f"“{email}” is not a valid email address.", code="invalid_email") from error
    return email


def password_check(password: str, *, customer: Customer | None = None) -> None:
    """A customer's new password passes Django's password validators (AUTH_PASSWORD_VALIDATORS),
    wherever it is set: by the creator, through a reset link, at checkout."""
    try:
        validate_password(password, user=customer)
    except ValidationError as error:
        raise InvalidValue(" ".join(error.messages), code="weak_password") from error


def expiration_check(expires_at: dt.datetime | None) -> None:
    """An expiration is a moment in time: without a time zone it would mean a different moment on
    every server."""
    if expires_at is not None and timezone.is_naive(expires_at):
        raise InvalidValue(
            "The expiration needs a time zone, e.g. 2027-01-01T00:00:00Z.", code="invalid_expires_at"
        )


def customer_create(
    *,
    creator,
    email: str,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    actor: Actor,
    source: str,
) -> Customer:
    """Creates a customer of `creator`. An email already used at this creator is refused."""
    email = _validate_email(email)
    if Customer.objects.for_creator(creator).with_email(email).exists():
        raise DomainError(f"A customer with the email {email} already exists.", code="email_taken")
    customer = Customer(
        creator=creator, email=email, first_name=first_name.strip(), last_name=last_name.strip()
    )
    customer.set_password(password)  # None gives an unusable password until they set one.
    try:
        with transaction.atomic():
            customer.save()
            audit_record(
                creator=creator,
                customer=customer,
                type=AuditEventType.CUSTOMER_CREATED,
                actor=actor,
                source=source,
                subject=customer,
                data={"email": email, "first_name": customer.first_name, "last_name": customer.last_name},
            )
    except IntegrityError as error:  # a concurrent create with the same email won the race
        raise DomainError(f"A customer with the email {email} already exists.", code="email_taken") from error
    return customer


def customer_get_or_create(
    *,
    creator,
    email: str,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    actor: Actor,
    source: str,
) -> tuple[Customer, bool]:
    """Finds the creator's customer by email (case-insensitively) or creates one."""
    existing = Customer.objects.for_creator(creator).with_email(normalize_email(email)).first()
    if existing is not None:
        return existing, False
    try:
        return customer_create(
            creator=creator,
            email=email,
            first_name=first_name,
            last_name=last_name,
            password=password,
            actor=actor,
            source=source,
        ), True
    except DomainError as error:
        if error.code != "email_taken":
            raise
        return Customer.objects.for_creator(creator).with_email(email).get(), False


def _enrolment_audit(
    *, enrolment: Enrolment, type: AuditEventType, actor: Actor, source: str, **data
) -> None:
    """An enrolment's audit event: its course (title and id) and what the caller adds."""
    course = enrolment.course
    audit_record(
        creator=course.creator,
        customer=enrolment.customer,
        type=type,
        actor=actor,
        source=source,
        subject=enrolment,
        data={"course": course.title, "course_id": course.pk, **data},
    )


def enrolment_grant(
    *,
    customer: Customer,
    course,
    actor: Actor,
    source: str,
    expires_at: dt.datetime | None = None,
    payment_page=None,
    enrolment_source: str = Enrolment.Source.MANUAL,
) -> Enrolment:
    """Gives `customer` access to `course`.

    A new enrolment starts now with `expires_at`. An existing revoked one is restored exactly as
    it was before the revoke (its expiration untouched); an existing one that is not revoked (active
    or expired) is left alone.
    """
    expiration_check(expires_at)
    if course.creator_id != customer.creator_id:
        raise DomainError("This course belongs to another creator.", code="not_found", status=404)
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update().filter(customer=customer, course=course).first()
        if enrolment is None:
            enrolment = Enrolment.objects.create(
                customer=customer,
                course=course,
                expires_at=expires_at,
                payment_page=payment_page,
                source=enrolment_source,
                granted_at=clock.now(),
            )
            _enrolment_audit(
                enrolment=enrolment,
                type=AuditEventType.ENROLMENT_GRANTED,
                actor=actor,
                source=source,
                expires_at=clock.iso(expires_at),
                how=enrolment_source,
            )
            return enrolment
        if enrolment.revoked_at is None:
            return enrolment
        enrolment.course, enrolment.customer = course, customer  # the rows it was found by
        old_status = enrolment.status
        enrolment.revoked_at = None
        enrolment.save(update_fields=["revoked_at"])
        _enrolment_audit(
            enrolment=enrolment,
            type=AuditEventType.ENROLMENT_RESTORED,
            actor=actor,
            source=source,
            status=change(old_status, enrolment.status),
        )
        return enrolment


def enrolment_revoke(*, enrolment: Enrolment, actor: Actor, source: str, reason: str = "") -> Enrolment:
    """Takes access away at once. Payments and subscriptions are untouched."""
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update().select_related("course").get(pk=enrolment.pk)
        if enrolment.revoked_at is not None:
            raise DomainError("Access to this course is already revoked.", code="already_revoked")
        old_status = enrolment.status
        enrolment.revoked_at = clock.now()
        enrolment.save(update_fields=["revoked_at"])
        _enrolment_audit(
            enrolment=enrolment,
            type=AuditEventType.ENROLMENT_REVOKED,
            actor=actor,
            source=source,
            status=change(old_status, EnrolmentStatus.REVOKED.value),
            **({"reason": reason} if reason else {}),
        )
    return enrolment


def enrolment_restore(*, enrolment: Enrolment, actor: Actor, source: str) -> Enrolment:
    """Grants access again after a revoke, exactly as before (expiration unchanged)."""
    if enrolment.revoked_at is None:
        raise DomainError("This customer already has access to the course.", code="not_revoked")
    return enrolment_grant(customer=enrolment.customer, course=enrolment.course, actor=actor, source=source)


def enrolment_expiration_set(
    *, enrolment: Enrolment, expires_at: dt.datetime | None, actor: Actor, source: str
) -> Enrolment:
    """Sets a new expiration, or none (lifetime). The old value stays in the timeline."""
    expiration_check(expires_at)
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update().select_related("course").get(pk=enrolment.pk)
        if enrolment.expires_at == expires_at:
            return enrolment
        old = enrolment.expires_at
        old_status = enrolment.status
        enrolment.expires_at = expires_at
        enrolment.expiry_recorded_at = None  # a new expiration is announced when it passes
        enrolment.save(update_fields=["expires_at", "expiry_recorded_at"])
        _enrolment_audit(
            enrolment=enrolment,
            type=AuditEventType.ENROLMENT_EXPIRATION_CHANGED,
            actor=actor,
            source=source,
            expires_at=change(clock.iso(old), clock.iso(expires_at)),
            status=change(old_status, enrolment.status),
        )
    return enrolment


EXPIRY_BATCH = 500


def enrolments_expired_record(*, limit: int = EXPIRY_BATCH) -> int:
    """Records `enrolment.expired` once for each enrolment whose expiration has passed (and is not
    revoked), oldest expiration first; returns how many. The scheduler runs it every minute, so the
    timeline and the public events say when access ended, though nobody acted."""
    now = clock.now()
    due = list(
        Enrolment.objects.filter(
            revoked_at__isnull=True, expiry_recorded_at__isnull=True, expires_at__lte=now
        )
        .order_by("expires_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    recorded = 0
    for pk in due:
        with transaction.atomic():
            enrolment = Enrolment.objects.select_for_update().select_related("course", "customer").get(pk=pk)
            expired = enrolment.status_at(now) == EnrolmentStatus.EXPIRED.value
            if not expired or enrolment.expiry_recorded_at is not None:
                continue  # changed since it was found
            enrolment.expiry_recorded_at = now
            enrolment.save(update_fields=["expiry_recorded_at"])
            _enrolment_audit(
                enrolment=enrolment,
                type=AuditEventType.ENROLMENT_EXPIRED,
                actor=Actor.system(),
                source=AuditSource.SCHEDULER,
                expires_at=clock.iso(enrolment.expires_at),
                status=change(EnrolmentStatus.ACTIVE.value, EnrolmentStatus.EXPIRED.value),
            )
            recorded += 1
    return recorded


def _email_free(*, customer: Customer, email: str) -> str:
    email = _validate_email(email)
    taken = Customer.objects.for_creator(customer.creator).with_email(email).exclude(pk=customer.pk).exists()
    if taken:
        raise DomainError(
            f"Another customer already uses {email}. Each email belongs to one customer.", code="email_taken"
        )
    return email


def customer_update_check(
    *, customer: Customer, email: str | None = None, password: str | None = None
) -> None:
    """The refusal `customer_update` would give for this email or password, asked before a page
    confirms; the update asks again under the row lock."""
    if email is not None and email.strip() != customer.email:
        _email_free(customer=customer, email=email)
    if password is not None:
        password_check(password, customer=customer)


def customer_update(
    *,
    customer: Customer,
    actor: Actor,
    source: str,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    password: str | None = None,
) -> Customer:
    """Changes any of name, email and password; `None` leaves a field as it is.

    The email stays unique per creator (case-insensitively). The audit event has old and new
    values of what changed; a new password is recorded as changed, never its value.
    """
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        changes: dict[str, dict] = {}
        if first_name is not None and first_name.strip() != customer.first_name:
            changes["first_name"] = change(customer.first_name, first_name.strip())
            customer.first_name = first_name.strip()
        if last_name is not None and last_name.strip() != customer.last_name:
            changes["last_name"] = change(customer.last_name, last_name.strip())
            customer.last_name = last_name.strip()
        if email is not None and email.strip() != customer.email:
            email = _email_free(customer=customer, email=email)
            changes["email"] = change(customer.email, email)
            customer.email = email
        if password is not None:
            password_check(password, customer=customer)
            customer.set_password(password)
            changes["password"] = {"changed": True}
        if not changes:
            return customer
        try:
            with transaction.atomic():
                customer.save(update_fields=["first_name", "last_name", "email", "password"])
        except IntegrityError as error:  # a concurrent write took the email first
            raise DomainError(
                f"Another customer already uses {email}. Each email belongs to one customer.",
                code="email_taken",
            ) from error
        audit_record(
            creator=customer.creator,
            customer=customer,
            type=AuditEventType.CUSTOMER_UPDATED,
            actor=actor,
            source=source,
            subject=customer,
            data=changes,
        )
    return customer


def customer_login_record(*, customer: Customer, course, source: str = AuditSource.STUDENT) -> Customer:
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


def customer_erasure_request(*, customer: Customer, actor: Actor, source: str, reason: str = "") -> Customer:
    """Records the customer's request to erase their personal data, for an operator to confirm with
    `erase_customer`. Nothing is erased here, and a second request is refused."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.erased_at is not None:
            raise DomainError("This customer's personal data was erased already.", code="already_erased")
        if customer.erasure_requested_at is not None:
            raise DomainError(
                "Erasure was requested already; an operator confirms it.", code="erasure_already_requested"
            )
        customer.erasure_requested_at = clock.now()
        customer.save(update_fields=["erasure_requested_at"])
        audit_record(
            creator=customer.creator,
            customer=customer,
            type=AuditEventType.CUSTOMER_ERASURE_REQUESTED,
            actor=actor,
            source=source,
            subject=customer,
            data={
                "requested_at": clock.iso(customer.erasure_requested_at),
                **({"reason": reason} if reason else {}),
            },
        )
    return customer
