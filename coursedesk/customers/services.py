"""State changes of customers and enrolments. Each is atomic, checked and audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from coursedesk.audit.services import Actor, audit_record, change
from coursedesk.audit.types import AuditEventType, AuditSource
from coursedesk.core import clock
from coursedesk.core.errors import DomainError, InvalidValue
from coursedesk.core.text import CONTROL_CHARACTERS_MESSAGE, has_control_characters, normalize_email
from coursedesk.customers.models import (
    CourseStudentCount,
    Customer,
    CustomerNote,
    CustomerTag,
    Enrolment,
    EnrolmentCountStatus,
    EnrolmentStatus,
    Tag,
)


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
    if expires_at is not None and not clock.in_range(expires_at):
        raise InvalidValue(
            f"The expiration is out of range. {clock.RANGE_MESSAGE}", code="invalid_expires_at"
        )


def name_check(*names: str | None) -> None:
    """Names go into email headers and greetings: one line each, no control characters."""
    if any(name is not None and has_control_characters(name) for name in names):
        raise InvalidValue(
            f"A name cannot hold control characters. {CONTROL_CHARACTERS_MESSAGE}", code="invalid_name"
        )


def customer_values_check(*, email: str, first_name: str = "", last_name: str = "") -> str:
    """Refuses what a new customer cannot be made with (an invalid email, a name with control
    characters) before anything is written; the email as it would be stored."""
    name_check(first_name, last_name)
    return _validate_email(email)


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
    name_check(first_name, last_name)
    email = _validate_email(email)
    if Customer.objects.for_creator(creator).with_email(email).exists():
        raise DomainError(f"A customer with the email {email} already exists.", code="email_taken")
    return _customer_insert(
        creator=creator,
        email=email,
        first_name=first_name,
        last_name=last_name,
        password=password,
        actor=actor,
        source=source,
    )


def _customer_insert(
    *, creator, email: str, first_name: str, last_name: str, password: str | None, actor: Actor, source: str
) -> Customer:
    """The insert and its audit event; an email taken meanwhile (the unique index) is `email_taken`."""
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
    name_check(first_name, last_name)
    email = _validate_email(email)
    try:
        # Just looked up: the unique index, not a second lookup, refuses one made meanwhile.
        return _customer_insert(
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
    customer_is_new: bool = False,
) -> Enrolment:
    """Gives `customer` access to `course`.

    A new enrolment starts now with `expires_at`. An existing revoked one is restored exactly as
    it was before the revoke (its expiration untouched); an existing one that is not revoked (active
    or expired) is left alone. `customer_is_new`: the customer was made in this transaction, so it
    has no enrolment and no progress to read (an import of thousands makes thousands).
    """
    expiration_check(expires_at)
    if course.creator_id != customer.creator_id:
        raise DomainError("This course belongs to another creator.", code="not_found", status=404)
    with transaction.atomic(savepoint=False):  # nothing in it is refused: only a failed write fails it
        enrolment = (
            None
            if customer_is_new
            else Enrolment.objects.select_for_update().filter(customer=customer, course=course).first()
        )
        if enrolment is None:
            enrolment = Enrolment.objects.create(
                customer=customer,
                course=course,
                expires_at=expires_at,
                payment_page=payment_page,
                source=enrolment_source,
                granted_at=clock.now(),
            )
            if customer_is_new:
                enrolment.progress_percent = 0  # what its public event shows, without counting
            course_counts_move(course_id=course.pk, before=None, after=EnrolmentCountStatus.of(enrolment))
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
        counted_before = EnrolmentCountStatus.of(enrolment)
        enrolment.revoked_at = None
        enrolment.save(update_fields=["revoked_at"])
        course_counts_move(
            course_id=course.pk, before=counted_before, after=EnrolmentCountStatus.of(enrolment)
        )
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
        enrolment = (
            Enrolment.objects.select_for_update(of=("self",))
            .select_related("course__creator", "customer")
            .get(pk=enrolment.pk)
        )
        if enrolment.revoked_at is not None:
            raise DomainError("Access to this course is already revoked.", code="already_revoked")
        old_status = enrolment.status
        counted_before = EnrolmentCountStatus.of(enrolment)
        enrolment.revoked_at = clock.now()
        enrolment.save(update_fields=["revoked_at"])
        course_counts_move(
            course_id=enrolment.course_id, before=counted_before, after=EnrolmentCountStatus.REVOKED.value
        )
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


def _expiration_store(enrolment: Enrolment, expires_at: dt.datetime | None) -> None:
    """Stores a new expiration of a locked enrolment: the new one is announced when it passes
    (`expiry_recorded_at` cleared) and the course's counters follow the status it gives."""
    counted_before = EnrolmentCountStatus.of(enrolment)
    enrolment.expires_at = expires_at
    enrolment.expiry_recorded_at = None
    enrolment.save(update_fields=["expires_at", "expiry_recorded_at"])
    course_counts_move(
        course_id=enrolment.course_id, before=counted_before, after=EnrolmentCountStatus.of(enrolment)
    )


def enrolment_expiration_set(
    *, enrolment: Enrolment, expires_at: dt.datetime | None, actor: Actor, source: str
) -> Enrolment:
    """Sets a new expiration, or none (lifetime). The old value stays in the timeline."""
    expiration_check(expires_at)
    with transaction.atomic():
        enrolment = (
            Enrolment.objects.select_for_update(of=("self",))
            .select_related("course__creator", "customer")
            .get(pk=enrolment.pk)
        )
        if enrolment.expires_at == expires_at:
            return enrolment
        old = enrolment.expires_at
        old_status = enrolment.status
        _expiration_store(enrolment, expires_at)
        _enrolment_audit(
            enrolment=enrolment,
            type=AuditEventType.ENROLMENT_EXPIRATION_CHANGED,
            actor=actor,
            source=source,
            expires_at=change(clock.iso(old), clock.iso(expires_at)),
            status=change(old_status, enrolment.status),
        )
    return enrolment


def enrolment_renew(*, enrolment: Enrolment, days: int, actor: Actor, source: str) -> Enrolment:
    """Extends access by `days` from the current expiration, or from now when it has already passed
    (a renewal bought at checkout). An enrolment without an expiration (lifetime) is left alone."""
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise InvalidValue("A renewal adds at least one day.", code="invalid_days")
    with transaction.atomic():
        enrolment = (
            Enrolment.objects.select_for_update(of=("self",))
            .select_related("course__creator", "customer")
            .get(pk=enrolment.pk)
        )
        if enrolment.expires_at is None:
            return enrolment
        old, old_status = enrolment.expires_at, enrolment.status
        renewed_until = max(old, clock.now()) + dt.timedelta(days=days)
        expiration_check(renewed_until)
        _expiration_store(enrolment, renewed_until)
        _enrolment_audit(
            enrolment=enrolment,
            type=AuditEventType.ENROLMENT_RENEWED,
            actor=actor,
            source=source,
            days=days,
            expires_at=change(clock.iso(old), clock.iso(enrolment.expires_at)),
            status=change(old_status, enrolment.status),
        )
    return enrolment


def course_counts_move(*, course_id: int, before: str | None, after: str | None) -> None:
    """Moves one enrolment between its course's counters (`before` None: a new one), inside the
    caller's transaction. An UPDATE with column arithmetic, so concurrent moves never lose one; the
    course's row is made on its first enrolment."""
    if before == after:
        return
    changes = {}
    if before is not None:
        changes[before] = F(before) - 1
    if after is not None:
        changes[after] = F(after) + 1
    with transaction.atomic(savepoint=False):  # only a failed write can fail it
        if not CourseStudentCount.objects.filter(course_id=course_id).update(**changes):
            CourseStudentCount.objects.get_or_create(course_id=course_id)
            CourseStudentCount.objects.filter(course_id=course_id).update(**changes)


@dataclass(frozen=True)
class CountDrift:
    """A course whose counters did not match its enrolments, and what they were set to."""

    course_id: int
    counted: dict[str, int]
    found: dict[str, int]


def _counted_by_status(enrolments) -> dict[int, dict[str, int]]:
    """Enrolments per course and `EnrolmentCountStatus`, counted from the rows."""
    unrevoked = Q(revoked_at__isnull=True)
    rows = (
        enrolments.order_by()
        .values("course_id")
        .annotate(
            active=Count("pk", filter=unrevoked & Q(expiry_recorded_at__isnull=True)),
            revoked=Count("pk", filter=~unrevoked),
            expired=Count("pk", filter=unrevoked & Q(expiry_recorded_at__isnull=False)),
        )
    )
    return {row.pop("course_id"): row for row in rows}


def course_counts_recount(*, course_ids=None) -> list[CountDrift]:
    """Counts each course's enrolments again and repairs its counters where they drifted (data
    loaded around the services, a bug); returns the drifts. Each course under its counter's row
    lock, so a concurrent enrolment change waits for the recount or is counted by it."""
    if course_ids is None:  # every course with enrolments or counters; others count zero anyway
        course_ids = sorted(
            {
                *Enrolment.objects.order_by().values_list("course_id", flat=True).distinct(),
                *CourseStudentCount.objects.values_list("course_id", flat=True),
            }
        )
    drifts = []
    statuses = [status.value for status in EnrolmentCountStatus]
    for course_id in course_ids:
        with transaction.atomic():
            counter, _ = CourseStudentCount.objects.get_or_create(course_id=course_id)
            counter = CourseStudentCount.objects.select_for_update().get(pk=counter.pk)
            found = _counted_by_status(Enrolment.objects.filter(course_id=course_id)).get(
                course_id, dict.fromkeys(statuses, 0)
            )
            counted = {status: getattr(counter, status) for status in statuses}
            if counted != found:
                CourseStudentCount.objects.filter(pk=counter.pk).update(**found)
                drifts.append(CountDrift(course_id=course_id, counted=counted, found=found))
    return drifts


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
            enrolment = (
                Enrolment.objects.select_for_update(of=("self",))
                .select_related("course", "customer")
                .get(pk=pk)
            )
            expired = enrolment.status_at(now) == EnrolmentStatus.EXPIRED.value
            if not expired or enrolment.expiry_recorded_at is not None:
                continue  # changed since it was found
            enrolment.expiry_recorded_at = now
            enrolment.save(update_fields=["expiry_recorded_at"])
            course_counts_move(
                course_id=enrolment.course_id,
                before=EnrolmentCountStatus.ACTIVE.value,
                after=EnrolmentCountStatus.EXPIRED.value,
            )
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


def enrolment_expiration_repair(*, enrolment_id: int, actor: Actor, source: str) -> Enrolment | None:
    """Brings an expiration stored out of range (before expiration_check refused it) back into range,
    without reading it (PostgreSQL keeps years Python cannot read): past the range it becomes lifetime
    access, before it the first accepted moment (still expired). Audited; None when it was in range."""
    with transaction.atomic():
        rows = Enrolment.objects.select_for_update().filter(pk=enrolment_id)
        list(rows.values_list("pk", flat=True))  # the row lock
        if rows.filter(expires_at__gte=clock.LATEST).exists():
            old, new = "after 2199", None
        elif rows.filter(expires_at__lt=clock.EARLIEST).exists():
            old, new = "before 1970", clock.EARLIEST
        else:
            return None
        rows.update(expires_at=new, expiry_recorded_at=None)
        enrolment = Enrolment.objects.select_related("course", "customer").get(pk=enrolment_id)
        _enrolment_audit(
            enrolment=enrolment,
            type=AuditEventType.ENROLMENT_EXPIRATION_CHANGED,
            actor=actor,
            source=source,
            expires_at=change(old, clock.iso(new)),
        )
    return enrolment


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
    name_check(first_name, last_name)
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


# --- Notes and tags ------------------------------------------------------------------------------

MAX_TAGS = 20


def note_add(*, customer: Customer, body: str, actor: Actor, source: str) -> CustomerNote:
    """Adds a note to the customer, signed by `actor` and dated now; the timeline records it."""
    body = (body or "").strip()
    if not body:
        raise InvalidValue("Write something in the note.", code="invalid_note")
    if len(body) > CustomerNote.MAX_LENGTH:
        raise InvalidValue(
            f"A note holds at most {CustomerNote.MAX_LENGTH:,} characters; this one has {len(body):,}.",
            code="invalid_note",
        )
    if has_control_characters(body, multiline=True):
        raise InvalidValue(
            "A note cannot hold control characters (line breaks and tabs are fine).", code="invalid_note"
        )
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        note = CustomerNote.objects.create(
            customer=customer,
            body=body,
            author_kind=actor.kind,
            author_label=actor.label,
            author_creator_id=actor.creator_id,
        )
        audit_record(
            creator=customer.creator,
            customer=customer,
            type=AuditEventType.CUSTOMER_NOTE_ADDED,
            actor=actor,
            source=source,
            subject=note,
            data={"note_id": note.pk},
        )
    return note


def tag_clean(name: str) -> str:
    """A tag as stored: trimmed, inner spaces single; refused when empty, too long or odd."""
    name = " ".join((name or "").split())
    if not name:
        raise InvalidValue("A tag cannot be empty.", code="invalid_tag")
    if len(name) > Tag.MAX_LENGTH:
        raise InvalidValue(
            f"A tag holds at most {Tag.MAX_LENGTH} characters: “{name[:50]}” is longer.", code="invalid_tag"
        )
    if has_control_characters(name) or "," in name:
        raise InvalidValue(f"A tag cannot hold a comma or a control character: “{name}”.", code="invalid_tag")
    return name


def tags_clean(names) -> list[str]:
    """The tags, cleaned, each once whatever its case (the first spelling wins)."""
    cleaned: dict[str, str] = {}
    for name in names:
        name = tag_clean(name)
        cleaned.setdefault(name.lower(), name)
    if len(cleaned) > MAX_TAGS:
        raise InvalidValue(f"A customer can have at most {MAX_TAGS} tags.", code="invalid_tag")
    return list(cleaned.values())


def _tag_get_or_create(*, creator, name: str) -> Tag:
    existing = Tag.objects.for_creator(creator).named(name).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Tag.objects.create(creator=creator, name=name)
    except IntegrityError:  # made meanwhile by a concurrent call
        return Tag.objects.for_creator(creator).named(name).get()


def _customer_lock(customer: Customer) -> Customer:
    """The customer's row, locked, with its creator (whose tags and audit events these are)."""
    return Customer.objects.select_for_update(of=("self",)).select_related("creator").get(pk=customer.pk)


def _tag_names_store(*, customer: Customer, new: list[str], actor: Actor, source: str) -> Customer:
    """Saves the locked customer's tag names (its CustomerTag rows already in step) and audits the
    change."""
    old = list(customer.tag_names)
    customer.tag_names = new
    customer.save(update_fields=["tag_names"])
    audit_record(
        creator=customer.creator,
        customer=customer,
        type=AuditEventType.CUSTOMER_TAGS_CHANGED,
        actor=actor,
        source=source,
        subject=customer,
        data={"tags": change(", ".join(old) or None, ", ".join(new) or None)},
    )
    return customer


def customer_tags_set(*, customer: Customer, tags, actor: Actor, source: str) -> Customer:
    """Gives the customer exactly `tags` (an existing tag of the creator keeps its spelling); the
    timeline records the old and new tags when they differ."""
    wanted = tags_clean(tags)
    with transaction.atomic(savepoint=False):  # nothing in it is refused: only a failed write fails it
        customer = _customer_lock(customer)
        tags_wanted = [_tag_get_or_create(creator=customer.creator, name=name) for name in wanted]
        new = sorted({tag.name for tag in tags_wanted}, key=str.lower)
        if [name.lower() for name in customer.tag_names] == [name.lower() for name in new]:
            return customer
        CustomerTag.objects.filter(customer=customer).exclude(tag__in=tags_wanted).delete()
        CustomerTag.objects.bulk_create(
            [CustomerTag(customer=customer, tag=tag) for tag in tags_wanted], ignore_conflicts=True
        )
        return _tag_names_store(customer=customer, new=new, actor=actor, source=source)


def customer_tag_add(*, customer: Customer, tag: str, actor: Actor, source: str) -> Customer:
    """Adds one tag; a customer who has it already is refused (`tag_present`). Only that tag is
    looked up and linked, so a bulk action over many customers costs a few queries each."""
    name = tag_clean(tag)
    with transaction.atomic():
        customer = _customer_lock(customer)
        if name.lower() in {existing.lower() for existing in customer.tag_names}:
            raise DomainError(f"This customer is already tagged “{name}”.", code="tag_present")
        if len(customer.tag_names) >= MAX_TAGS:
            raise InvalidValue(f"A customer can have at most {MAX_TAGS} tags.", code="invalid_tag")
        added = _tag_get_or_create(creator=customer.creator, name=name)
        CustomerTag.objects.bulk_create([CustomerTag(customer=customer, tag=added)], ignore_conflicts=True)
        new = sorted([*customer.tag_names, added.name], key=str.lower)
        return _tag_names_store(customer=customer, new=new, actor=actor, source=source)


def customer_tag_remove(*, customer: Customer, tag: str, actor: Actor, source: str) -> Customer:
    """Removes one tag; a customer without it is refused (`tag_absent`)."""
    name = tag_clean(tag)
    with transaction.atomic():
        customer = _customer_lock(customer)
        kept = [existing for existing in customer.tag_names if existing.lower() != name.lower()]
        if len(kept) == len(customer.tag_names):
            raise DomainError(f"This customer is not tagged “{name}”.", code="tag_absent")
        CustomerTag.objects.filter(
            customer=customer, tag__in=Tag.objects.for_creator(customer.creator).named(name)
        ).delete()
        return _tag_names_store(customer=customer, new=kept, actor=actor, source=source)
