"""Importing students from a CSV (email, first_name, last_name, optional expires_at) into a course:
the desk's upload, the API's `POST /imports` and the `import_students` command share this.

First the preview: each row read and checked, the new and existing customers counted, each bad row
named by its line with a sentence. Then each row is given the course through `course_access_give`
(the usual audited service): a person who already has access is left as they are, so the same file
imported twice enrols nobody twice. The desk and the API run the rows as a background job (a
`BulkAction` of kind "import", resumable like every bulk action); the command runs them at once.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from coursedesk.audit.services import Actor
from coursedesk.core import clock
from coursedesk.core.errors import DomainError
from coursedesk.core.text import has_control_characters
from coursedesk.customers.models import BulkAction, Customer
from coursedesk.usecases.course_access import course_access_give

IMPORT = "import"
MAX_ROWS = 100_000


def parse_expiry(text: str):
    """A date means the start of that day, a time without an offset is in the current time zone:
    both as on the desk."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        try:
            day = parse_date(text)
        except ValueError:
            day = None
        if day is None:
            raise ValueError(f"expires_at “{text}” is not a date (YYYY-MM-DD) or an ISO 8601 time.")
        moment = clock.start_of_day(day)
    moment = timezone.make_aware(moment) if timezone.is_naive(moment) else moment
    if not clock.in_range(moment):
        raise ValueError(f"expires_at “{text}” is out of range. {clock.RANGE_MESSAGE}")
    return moment


@dataclass
class ImportPreview:
    rows: list[dict] = field(default_factory=list)  # the good rows, ready to import
    new_customers: int = 0
    existing_customers: int = 0
    errors: list[dict] = field(default_factory=list)  # {line, message}

    @property
    def total(self) -> int:
        return len(self.rows) + len(self.errors)


def import_preview(*, creator, text: str) -> ImportPreview:
    """Reads the CSV text and checks every row; writes nothing."""
    text = text.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "email" not in [name.strip() for name in reader.fieldnames]:
        raise DomainError(
            "The CSV needs a header row with at least an “email” column (then first_name, last_name and "
            "optionally expires_at).",
            code="invalid_csv",
            status=422,
        )
    reader.fieldnames = [name.strip() for name in reader.fieldnames]
    preview, seen = ImportPreview(), set()
    try:
        for line, raw in enumerate(reader, start=2):
            if len(preview.rows) + len(preview.errors) >= MAX_ROWS:
                raise DomainError(
                    f"An import holds at most {MAX_ROWS:,} rows.", code="too_many_rows", status=422
                )
            email = (raw.get("email") or "").strip()
            first, last = ((raw.get(key) or "").strip() for key in ("first_name", "last_name"))
            try:
                validate_email(email)
                if has_control_characters(first) or has_control_characters(last):
                    raise ValueError("A name cannot hold control characters.")
                if len(first) > 100 or len(last) > 100:
                    raise ValueError("A name holds at most 100 characters.")
                expires_at = parse_expiry(raw.get("expires_at") or "")
            except ValidationError:
                preview.errors.append(
                    {"line": line, "message": f"“{email or '(empty)'}” is not a valid email address."}
                )
                continue
            except ValueError as error:
                preview.errors.append({"line": line, "message": f"{email}: {error}"})
                continue
            if email.lower() in seen:
                preview.errors.append({"line": line, "message": f"{email} appears twice in the file."})
                continue
            seen.add(email.lower())
            preview.rows.append(
                {
                    "line": line,
                    "email": email,
                    "first_name": first,
                    "last_name": last,
                    "expires_at": clock.iso(expires_at),
                }
            )
    except csv.Error as error:
        raise DomainError(
            f"The file is not a CSV that can be read: {error}.", code="invalid_csv", status=422
        ) from error
    existing = set(
        Customer.objects.for_creator(creator)
        .annotate(email_lower=Lower("email"))
        .filter(email_lower__in=list(seen))
        .values_list("email_lower", flat=True)
    )
    preview.existing_customers = len(existing)
    preview.new_customers = len(seen) - len(existing)
    return preview


def import_row(*, creator, course, row: dict, send_welcome_email: bool, actor: Actor, source: str) -> bool:
    """Gives the course to one row's person; True when access was given now (False: they had it)."""
    expires = row.get("expires_at")
    given = course_access_give(
        creator=creator,
        course=course,
        email=row["email"],
        first_name=row.get("first_name", ""),
        last_name=row.get("last_name", ""),
        expires_at=parse_expiry(expires) if expires else None,
        send_welcome_email=send_welcome_email,
        actor=actor,
        source=source,
    )
    return given.given_now


def import_start(
    *, creator, course, preview: ImportPreview, send_welcome_email: bool, actor: Actor, source: str
) -> BulkAction:
    """Queues the preview's good rows as a background job (see `usecases.bulk`)."""
    from coursedesk.usecases.bulk import bulk_action_run  # noqa: PLC0415  (bulk runs imports too)

    if not preview.rows:
        raise DomainError("No row of this file can be imported.", code="empty_import", status=409)
    with transaction.atomic():
        job = BulkAction.objects.create(
            creator=creator,
            action=IMPORT,
            course=course,
            params={"rows": preview.rows, "send_welcome_email": send_welcome_email},
            total=len(preview.rows),
            actor_kind=actor.kind,
            actor_label=actor.label,
            actor_creator_id=actor.creator_id,
            source=source,
        )
        job_id = job.pk
        transaction.on_commit(lambda: bulk_action_run.enqueue(job_id))
    return job
