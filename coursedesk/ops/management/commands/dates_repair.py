"""manage.py dates_repair — brings dates stored out of range back into range (see ops/checks.py)."""

from django.core.management.base import BaseCommand

from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.customers.models import Enrolment
from coursedesk.customers.services import enrolment_expiration_repair
from coursedesk.ops.checks import out_of_range


class Command(BaseCommand):
    help = (
        "Finds enrolments whose expiration lies outside 1970 to 2199 (stored before CourseDesk "
        "refused such dates) and repairs each: later than 2199 becomes lifetime access, earlier than "
        "1970 becomes 1970-01-01 (still expired). Each repair is in the customer's timeline."
    )

    def add_arguments(self, parser):
        parser.add_argument("--operator", default="operator", help="Who ran it, for the timeline.")

    def handle(self, *args, operator, **options):
        ids = list(out_of_range(Enrolment, "expires_at").values_list("pk", flat=True))
        for enrolment_id in ids:
            enrolment_expiration_repair(
                enrolment_id=enrolment_id, actor=Actor.operator(operator), source=AuditSource.COMMAND
            )
        self.stdout.write(self.style.SUCCESS(f"{len(ids)} enrolment expiration(s) repaired."))
