"""manage.py recount_courses — counts every course's enrolments again and repairs drifted counters.

Run it nightly (cron or a systemd timer): the enrolment services keep the counters exact, so any
drift it reports points at rows written around them."""

from django.core.management.base import BaseCommand

from coursedesk.customers.services import course_counts_recount


class Command(BaseCommand):
    help = (
        "Counts each course's enrolments by status again, repairs the Teach counters and reports any drift."
    )

    def handle(self, *args, **options):
        drifts = course_counts_recount()
        for drift in drifts:
            self.stdout.write(
                f"Course {drift.course_id}: counters were {_counts(drift.counted)}, "
                f"the enrolments are {_counts(drift.found)}; repaired."
            )
        self.stdout.write(
            f"Courses recounted: {len(drifts)} drifted." if drifts else "Counters hold: no drift."
        )


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{number} {status}" for status, number in counts.items())
