"""Customers (students) of one creator, and their enrolments (access to a course)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Lower

from coursedesk.core import clock
from coursedesk.core.models import CreatorScopedQuerySet
from coursedesk.core.text import customer_search_text


class CustomerQuerySet(CreatorScopedQuerySet):
    creator_path = "creator"

    def with_email(self, email: str):
        """Exact, case-insensitive email match; served by the unique index."""
        return self.annotate(email_lower=Lower("email")).filter(email_lower=email.strip().lower())


class Customer(models.Model):
    """A person who bought or was given a course of one creator.

    The same email at two creators is two unrelated customers.
    """

    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="customers")
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=254)
    password = models.CharField(max_length=255, blank=True, help_text="An Argon2 hash.")
    # Folded "first last email", kept in step by the services that write customers.
    search_text = models.TextField(blank=True, editable=False)
    gateway_customer_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    last_login_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    # The creator passed on the customer's request to erase their personal data; an operator
    # confirms it with `erase_customer` (creators never delete customers: records of money stay).
    erasure_requested_at = models.DateTimeField(null=True, blank=True)
    # The creator's labels for this customer, sorted, as the tag services keep them in step with
    # `CustomerTag` (which the list filters on): the profile and search read them with the row.
    tag_names = models.JSONField(default=list, blank=True, editable=False)
    # Merging duplicates: the survivor keeps each merged duplicate's address here (sign-in and search
    # find it); the duplicate is kept, marked merged, pointing at the survivor.
    email_aliases = models.JSONField(default=list, blank=True, editable=False)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_customers"
    )
    merged_at = models.DateTimeField(null=True, blank=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(F("creator"), Lower("email"), name="customer_email_unique_per_creator")
        ]
        indexes = [models.Index(fields=["creator", "-created_at"], name="customer_newest")]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>" if self.full_name else self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def set_password(self, raw_password: str | None) -> None:
        self.password = make_password(raw_password)

    def check_password(self, raw_password: str) -> bool:
        if not self.password:
            return False
        return check_password(raw_password, self.password)

    def refresh_search_text(self) -> None:
        self.search_text = customer_search_text(
            self.first_name, self.last_name, self.email, *self.tag_names, *self.email_aliases
        )

    def save(self, *args, **kwargs):
        self.refresh_search_text()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)


class TagQuerySet(CreatorScopedQuerySet):
    creator_path = "creator"

    def named(self, name: str):
        return self.annotate(name_lower=Lower("name")).filter(name_lower=name.strip().lower())


class Tag(models.Model):
    """A creator's label for customers ("vip", "cohort 3"); one per name, whatever its case."""

    MAX_LENGTH = 40

    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=MAX_LENGTH)
    created_at = models.DateTimeField(default=clock.now)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(F("creator"), Lower("name"), name="tag_name_unique_per_creator")
        ]

    def __str__(self) -> str:
        return self.name


class CustomerTag(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="customer_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="customer_tags")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tag", "customer"], name="customer_tag_once")]
        indexes = [models.Index(fields=["customer"], name="customer_tag_customer")]

    def __str__(self) -> str:
        return f"{self.tag_id} on {self.customer_id}"


class CustomerNoteQuerySet(CreatorScopedQuerySet):
    creator_path = "customer__creator"


class CustomerNote(models.Model):
    """What someone of the creator's team wrote about a customer, signed and timestamped; notes are
    kept as written (a correction is a new note)."""

    MAX_LENGTH = 5000

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="notes")
    body = models.TextField(max_length=MAX_LENGTH)
    # Who wrote it, as the audit trail names people (the actor of the service call).
    author_kind = models.CharField(max_length=20)
    author_label = models.CharField(max_length=255)
    author_creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    objects = CustomerNoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="note_customer_newest")]

    def __str__(self) -> str:
        return f"note {self.pk} on {self.customer_id} by {self.author_label}"


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


def enrolment_status_rules(at: dt.datetime) -> list[tuple[str, Q]]:
    """An enrolment's status at `at` (SPEC §4), the one definition: the first rule that holds gives
    the status, and when none holds it is active. `Enrolment.status_at` reads these rules in Python
    and `EnrolmentQuerySet` turns them into SQL, so the two cannot disagree."""
    return [
        (EnrolmentStatus.REVOKED.value, Q(revoked_at__isnull=False)),
        (EnrolmentStatus.EXPIRED.value, Q(expires_at__lte=at)),
    ]


# The lookups the rules use, read in Python. A value of None never compares, as in SQL.
_PYTHON_LOOKUPS = {
    "isnull": lambda value, wanted: (value is None) == wanted,
    "lte": lambda value, bound: value is not None and value <= bound,
}


def _rule_holds(enrolment, rule: Q) -> bool:
    """Whether `rule` (an AND of `field__lookup=value` terms) holds for the enrolment's own values."""
    for term, wanted in rule.children:
        field, lookup = term.split("__")
        if not _PYTHON_LOOKUPS[lookup](getattr(enrolment, field), wanted):
            return False
    return True


def enrolment_status_q(status: str, at: dt.datetime) -> Q:
    """The rows whose status at `at` is `status`: its own rule, and none of the rules before it."""
    condition = Q()
    for rule_status, rule in enrolment_status_rules(at):
        if rule_status == status:
            return condition & rule
        condition &= ~rule
    return condition  # active: no rule holds


class EnrolmentQuerySet(CreatorScopedQuerySet):
    creator_path = "course__creator"

    def with_status_at(self, status: str, at: dt.datetime | None = None):
        return self.filter(enrolment_status_q(status, at or clock.now()))

    def active(self, at: dt.datetime | None = None):
        return self.with_status_at(EnrolmentStatus.ACTIVE, at)

    def revoked(self):
        return self.with_status_at(EnrolmentStatus.REVOKED)

    def expired(self, at: dt.datetime | None = None):
        return self.with_status_at(EnrolmentStatus.EXPIRED, at)

    def with_status(self, at: dt.datetime | None = None):
        """Annotates `status_now` (active / revoked / expired) in SQL, same rule as `.status`."""
        rules = enrolment_status_rules(at or clock.now())
        return self.annotate(
            status_now=Case(
                *(When(rule, then=Value(status)) for status, rule in rules),
                default=Value(EnrolmentStatus.ACTIVE.value),
                output_field=models.CharField(),
            )
        )


class Enrolment(models.Model):
    """A customer's access to a course. Its status is derived from the times, never stored."""

    class Source(models.TextChoices):
        CHECKOUT = "checkout", "Purchase"
        MANUAL = "manual", "Granted by the creator"
        IMPORT = "import", "Imported"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="enrolments")
    course = models.ForeignKey("catalog.Course", on_delete=models.PROTECT, related_name="enrolments")
    payment_page = models.ForeignKey(
        "catalog.PaymentPage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enrolments",
    )
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MANUAL)
    granted_at = models.DateTimeField(default=clock.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # When `enrolment.expired` was recorded for the current expiration (enrolments_expired_record);
    # a new expiration clears it, so each expiration is announced once.
    expiry_recorded_at = models.DateTimeField(null=True, blank=True)
    # The expiration an expiry reminder was sent for: one reminder per enrolment and expiry date (a
    # new date is a new reminder).
    expiry_reminded_for = models.DateTimeField(null=True, blank=True)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "course"], name="enrolment_one_per_course")
        ]
        indexes = [
            # The Teach page counts active students per course from this partial index.
            models.Index(
                fields=["course", "expires_at"],
                condition=Q(revoked_at__isnull=True),
                name="enrolment_unrevoked",
            ),
            # The expiry sweep finds what expired and was not announced yet; announced rows leave it.
            models.Index(
                fields=["expires_at"],
                condition=Q(
                    revoked_at__isnull=True, expiry_recorded_at__isnull=True, expires_at__isnull=False
                ),
                name="enrolment_expiry_unrecorded",
            ),
            # The Teach counts find, per course, the expirations that passed and the sweep has not
            # recorded yet (a minute's worth at most while the scheduler runs).
            models.Index(
                fields=["course", "expires_at"],
                condition=Q(
                    revoked_at__isnull=True, expiry_recorded_at__isnull=True, expires_at__isnull=False
                ),
                name="enrolment_course_unrecorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} in {self.course}"

    def status_at(self, at: dt.datetime) -> str:
        for status, rule in enrolment_status_rules(at):
            if _rule_holds(self, rule):
                return status
        return EnrolmentStatus.ACTIVE.value

    @property
    def status(self) -> str:
        return self.status_at(clock.now())

    @property
    def is_active(self) -> bool:
        return self.status == EnrolmentStatus.ACTIVE.value


class EnrolmentCountStatus(models.TextChoices):
    """Where an enrolment counts in its course's counters, read from its stored columns only (so a
    service knows it before and after a change without the clock): revoked; expired once the
    sweep recorded its expiration; else active, which still holds expirations passed and not yet
    recorded (the Teach counts move those to expired when they read)."""

    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"

    @classmethod
    def of(cls, enrolment) -> str:
        if enrolment.revoked_at is not None:
            return cls.REVOKED.value
        if enrolment.expiry_recorded_at is not None:
            return cls.EXPIRED.value
        return cls.ACTIVE.value


class CourseStudentCount(models.Model):
    """A course's enrolments by `EnrolmentCountStatus`, changed by the enrolment services in the
    same transaction as the enrolment, so the Teach page reads counts instead of counting rows.
    `course_counts_recount` repairs any drift."""

    course = models.OneToOneField(
        "catalog.Course", on_delete=models.CASCADE, primary_key=True, related_name="student_count"
    )
    active = models.BigIntegerField(default=0)
    revoked = models.BigIntegerField(default=0)
    expired = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.course_id}: {self.active} active, {self.revoked} revoked, {self.expired} expired"


class PasswordResetToken(models.Model):
    """A student's reset link: only its hash is stored; valid for 24 hours, usable once."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="reset_tokens")
    course = models.ForeignKey("catalog.Course", on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"reset link for {self.customer_id} created {self.created_at:%Y-%m-%d %H:%M}"


class LessonProgress(models.Model):
    """A lesson a student marked complete; unmarking deletes the row. A course's progress is the
    share of its lessons that have one."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="lesson_progress")
    lesson = models.ForeignKey("catalog.Lesson", on_delete=models.CASCADE, related_name="progress")
    completed_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["completed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "lesson"], name="lesson_progress_once"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} completed lesson {self.lesson_id}"


class BulkActionQuerySet(CreatorScopedQuerySet):
    creator_path = "creator"


class BulkAction(models.Model):
    """One action applied to many customers in the background (`usecases.bulk`). The selection is
    fixed when the job is made; `position` counts the customers handled, moved in the same
    transaction as each customer's change, so a stopped or interrupted job resumes where it was
    and does nobody twice."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        STOPPED = "stopped", "Stopped"
        DONE = "done", "Done"

    MAX_ERRORS = 500  # refusals kept with their reasons; beyond, only counted

    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bulk_actions"
    )
    action = models.CharField(max_length=30)
    course = models.ForeignKey(
        "catalog.Course", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    params = models.JSONField(default=dict, blank=True)
    customer_ids = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    # Who asked for it: every customer's change is recorded as theirs.
    actor_kind = models.CharField(max_length=20)
    actor_label = models.CharField(max_length=255)
    actor_creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=20)
    created_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = BulkActionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} on {self.total} customers ({self.status})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else self.position * 100 // self.total
