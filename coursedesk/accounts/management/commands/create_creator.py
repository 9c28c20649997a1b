"""manage.py create_creator <email> [--password P] [--name N]"""

import secrets

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from coursedesk.accounts.models import Creator


class Command(BaseCommand):
    help = "Creates a creator account. Without --password, a strong one is generated and printed."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--password", help="At least 8 characters, not a common password.")
        parser.add_argument("--name", default="", help="Name shown to students.")
        parser.add_argument("--staff", action="store_true", help="Also an operator (admin access).")

    def handle(self, *args, email, password, name, staff, **options):
        email = email.strip().lower()
        if Creator.objects.filter(email__iexact=email).exists():
            raise CommandError(f"A creator with the email {email} already exists.")
        generated = password is None
        if generated:
            password = secrets.token_urlsafe(12)
        candidate = Creator(email=email, display_name=name)
        try:
            candidate.full_clean(exclude=["password"])
            password_validation.validate_password(password, candidate)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        creator = Creator.objects.create_user(
            email=email, password=password, display_name=name, is_staff=staff, is_superuser=staff
        )
        self.stdout.write(self.style.SUCCESS(f"Created creator {creator.email}"))
        if generated:
            self.stdout.write(f"Password: {password}")
