"""manage.py create_api_token <creator-email> — prints a token for the creator API."""

from django.core.management.base import BaseCommand, CommandError

from coursedesk.accounts.models import ApiToken, Creator


class Command(BaseCommand):
    help = "Creates an API token for a creator and prints it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="Command-line token")
        parser.add_argument(
            "--scope", choices=ApiToken.Scope.values, default=ApiToken.Scope.WRITE, help="read or write"
        )

    def handle(self, *args, email, name, scope, **options):
        creator = Creator.objects.filter(email__iexact=email.strip()).first()
        if creator is None:
            raise CommandError(f"No creator with the email {email}.")
        _, key = ApiToken.issue(creator=creator, name=name, scope=scope)
        self.stdout.write(key)
