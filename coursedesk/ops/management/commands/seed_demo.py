"""manage.py seed_demo — the demo creator, courses and customers; running it again changes nothing."""

from django.core.management.base import BaseCommand

from coursedesk.usecases.demo import DEMO_EMAIL, DEMO_PASSWORD, STUDENT_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Creates the demo creator with three courses and about 60 customers (once)."

    def handle(self, *args, **options):
        creator, created = seed_demo()
        if created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo data created: {creator.customers.count()} customers, "
                    f"{creator.courses.count()} courses."
                )
            )
        else:
            self.stdout.write("Demo data is already there; nothing changed.")
        self.stdout.write(f"Demo creator: {DEMO_EMAIL} / {DEMO_PASSWORD}")
        self.stdout.write(f"Demo students sign in with their email and: {STUDENT_PASSWORD}")
