"""manage.py seed_benchmark --customers N — benchmark data with a fixed seed (see benchmark_data)."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from coursedesk.usecases.benchmark_data import BIG_CREATOR_EMAIL, CREATOR_PASSWORD, SEED, BenchmarkSeeder


class Command(BaseCommand):
    help = "Fills an empty database with N customers (and 2·N enrolments, 3·N payments) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=SEED)
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, customers, seed, no_progress, **options):
        if customers < 1000:
            raise CommandError("--customers must be at least 1000")
        seeder = BenchmarkSeeder(customers=customers, seed=seed)
        with tqdm(
            total=seeder.total_rows,
            unit="rows",
            unit_scale=True,
            disable=no_progress,
            desc="seeding",
            file=self.stderr._out,
        ) as bar:
            seeder.progress = bar.update
            seeder.loader.progress = bar.update
            try:
                report = seeder.run()
            except ValueError as error:
                raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {report.customers:,} customers, {report.enrolments:,} enrolments, "
                f"{report.payments:,} payments, {report.refunds:,} refunds, {report.receipts:,} receipts, "
                f"{report.subscriptions:,} "
                f"subscriptions, {report.audit_events:,} audit events for {report.creators} creators "
                f"in {report.seconds:.1f} s."
            )
        )
        self.stdout.write(f"Big creator: {BIG_CREATOR_EMAIL} / {CREATOR_PASSWORD}")
