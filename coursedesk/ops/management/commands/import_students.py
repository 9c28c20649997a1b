"""manage.py import_students <creator-email> <course-slug> <file.csv> — grant a course to many people."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from coursedesk.accounts.models import Creator
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.catalog.models import Course
from coursedesk.core.errors import DomainError
from coursedesk.usecases.imports import import_preview, import_row


class Command(BaseCommand):
    help = (
        "Grants a course to every person in a CSV with the columns email, first_name, last_name and "
        "optionally expires_at. Creates customers who are new; people who already have access are left "
        "as they are (and get no welcome email). All rows or none: a bad row stops the import before "
        "anything is written."
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
        try:
            with open(csv_file, newline="", encoding="utf-8-sig") as handle:
                text = handle.read()
        except OSError as error:
            raise CommandError(f"Cannot read {csv_file}: {error.strerror}") from error
        try:
            preview = import_preview(creator=creator, text=text)
        except DomainError as error:
            raise CommandError(error.message) from error
        if preview.errors:
            problems = [f"line {error['line']}: {error['message']}" for error in preview.errors[:50]]
            raise CommandError("Nothing was imported. Fix these rows:\n" + "\n".join(problems))
        rows = preview.rows
        actor = Actor.operator("import_students")
        with transaction.atomic():
            for row in tqdm(rows, desc="Importing", unit="student", disable=len(rows) < 200):
                import_row(
                    creator=creator,
                    course=course,
                    row=row,
                    send_welcome_email=send_welcome_email,
                    actor=actor,
                    source=AuditSource.IMPORT,
                )
        created = preview.new_customers
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(rows)} students into {course.title} ({created} new customers)."
            )
        )
