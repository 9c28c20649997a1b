"""manage.py recount_students_csv — counts every student's money and progress cells of the students
CSV again and repairs the rows PostgreSQL keeps for the export (billing/csv_summary.py).

Run it nightly (cron or a systemd timer), after recount_courses: triggers keep the rows whatever
writes payments, refunds, receipts, subscriptions or lesson progress, so a difference it reports
points at a trigger turned off (a restore with triggers disabled, a replica role) or at a bug. On
SQLite nothing is kept and it has nothing to do."""

from django.core.management.base import BaseCommand

from coursedesk.billing.csv_summary import csv_summary_repair


class Command(BaseCommand):
    help = "Counts the students CSV's kept cells again (PostgreSQL), repairs them and reports any difference."

    def handle(self, *args, **options):
        pairs = csv_summary_repair()
        for customer_id, course_id in pairs:
            self.stdout.write(
                f"Course {course_id}, customer {customer_id}: the kept cells differed from a count; repaired."
            )
        if pairs:
            self.stdout.write(
                f"Students CSV cells recounted: {len(pairs)} pair{'s' if len(pairs) != 1 else ''} differed."
            )
        else:
            self.stdout.write("Students CSV cells hold: no difference.")
