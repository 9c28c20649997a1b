"""manage.py import_students <creator-email> <course-slug> <file.csv> — grant a course to many people."""

import csv
import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.dateparse import parse_date, parse_datetime
from tqdm import tqdm

from coursedesk.accounts.models import Creator
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.catalog.models import Course
from coursedesk.customers.services import customer_get_or_create, enrolment_grant


def parse_expiry(text: str):
    text = (text or "").strip()
    if not text:
        return None
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise ValueError(f"expires_at {text!r} is not a date (YYYY-MM-DD) or an ISO 8601 time")
        moment = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


class Command(BaseCommand):
    help = (
        "Grants a course to every person in a CSV with the columns email, first_name, last_name and "
        "optionally expires_at. Creates customers who are new. All rows or none: a bad row stops the "
        "import before anything is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("creator_email")
        parser.add_argument("course_slug")
        parser.add_argument("csv_file")
        parser.add_argument("--send-welcome-email", action="store_true")

    def handle(self, *args, creator_email, course_slug, csv_file, send_welcome_email, **options):
        creator = Creator.objects.filter(email__iexact=creator_email).first()
        if creator is None:
            raise CommandError(f"No creator with the email {creator_email}.")
        course = Course.objects.for_creator(creator).filter(slug=course_slug).first()
        if course is None:
            raise CommandError(f"{creator_email} has no course with the slug {course_slug}.")
        rows = self.read(csv_file)
        actor = Actor.operator("import_students")
        created = 0
        with transaction.atomic():
            for row in tqdm(rows, desc="Importing", unit="student", disable=len(rows) < 200):
                customer, is_new = customer_get_or_create(
                    creator=creator,
                    email=row["email"],
                    first_name=row["first_name"],
                    last_name=row["last_name"],
                    actor=actor,
                    source=AuditSource.IMPORT,
                )
                created += is_new
                enrolment_grant(
                    customer=customer,
                    course=course,
                    actor=actor,
                    source=AuditSource.IMPORT,
                    expires_at=row["expires_at"],
                    enrolment_source="import",
                )
                if send_welcome_email:
                    from coursedesk.mail.services import welcome_email_queue

                    welcome_email_queue(
                        customer=customer, course=course, actor=actor, source=AuditSource.IMPORT
                    )
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(rows)} students into {course.title} ({created} new customers)."
            )
        )

    def read(self, path: str) -> list[dict]:
        try:
            with open(path, newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                if not reader.fieldnames or "email" not in reader.fieldnames:
                    raise CommandError("The CSV needs a header row with at least an 'email' column.")
                rows, problems, seen = [], [], set()
                for line, raw in enumerate(reader, start=2):
                    email = (raw.get("email") or "").strip()
                    try:
                        validate_email(email)
                        expires_at = parse_expiry(raw.get("expires_at", ""))
                    except (ValidationError, ValueError) as error:
                        message = error.messages[0] if isinstance(error, ValidationError) else str(error)
                        problems.append(f"line {line}: {email or '(no email)'}: {message}")
                        continue
                    if email.lower() in seen:
                        problems.append(f"line {line}: {email} appears twice")
                        continue
                    seen.add(email.lower())
                    rows.append(
                        {
                            "email": email,
                            "first_name": (raw.get("first_name") or "").strip(),
                            "last_name": (raw.get("last_name") or "").strip(),
                            "expires_at": expires_at,
                        }
                    )
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from error
        if problems:
            raise CommandError("Nothing was imported. Fix these rows:\n" + "\n".join(problems[:50]))
        return rows
