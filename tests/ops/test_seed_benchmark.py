"""seed_benchmark: the benchmark data has the promised shape, and the same seed gives the same rows."""

from __future__ import annotations

import io
from itertools import islice
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.core.validators import validate_email
from django.db.models import Count

from coursedesk.accounts.models import Creator
from coursedesk.audit.models import AuditEvent
from coursedesk.billing.models import Payment, Refund
from coursedesk.catalog.models import Course
from coursedesk.core.text import customer_search_text
from coursedesk.customers.models import Customer, Enrolment
from coursedesk.customers.selectors import customer_search
from coursedesk.usecases.benchmark_data import (
    BIG_CREATOR_EMAIL,
    CREATOR_PASSWORD,
    STUDENT_PASSWORD,
    BenchmarkSeeder,
)

pytestmark = pytest.mark.django_db(transaction=True)


def seed(customers: int = 2000) -> str:
    out = io.StringIO()
    call_command("seed_benchmark", "--customers", str(customers), "--no-progress", stdout=out, stderr=out)
    return out.getvalue()


def test_shape_of_the_benchmark_data():
    output = seed(2000)

    big = Creator.objects.get(email=BIG_CREATOR_EMAIL)
    assert Creator.objects.count() == 200
    assert Course.objects.filter(creator=big).count() == 100
    assert Customer.objects.count() == 2000
    assert Customer.objects.filter(creator=big).count() == 400
    assert Enrolment.objects.count() == 4000
    assert Enrolment.objects.filter(course__creator=big).count() == 1200
    assert Payment.objects.count() == 6000
    assert Refund.objects.count() == 120
    assert AuditEvent.objects.filter(creator=big).count() == 400
    assert "Seeded 2,000 customers, 4,000 enrolments, 6,000 payments" in output
    # Every customer of the big creator is in the first course (the big CSV) and two others.
    first_course = Course.objects.filter(creator=big).order_by("pk").first()
    assert Enrolment.objects.filter(course=first_course).count() == 400
    assert set(
        Enrolment.objects.filter(course__creator=big)
        .values("customer")
        .annotate(n=Count("course", distinct=True))
        .values_list("n", flat=True)
    ) == {3}


def test_every_payment_taken_and_every_refund_has_its_receipt_numbered_per_creator():
    from django.db.models import Max

    from coursedesk.billing.models import Receipt, ReceiptCounter

    output = seed(2000)

    taken = Payment.objects.filter(status="succeeded").count()
    refunded = Refund.objects.filter(status="succeeded").count()
    assert Receipt.objects.filter(kind="payment").count() == taken
    assert Receipt.objects.filter(kind="refund").count() == refunded
    assert f"{taken + refunded:,} receipts" in output
    big = Creator.objects.get(email=BIG_CREATOR_EMAIL)
    numbers = list(Receipt.objects.filter(creator=big).order_by("number").values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    # numbered in the order the money moved, and the counter continues after the last one
    issued = list(Receipt.objects.filter(creator=big).order_by("number").values_list("issued_at", flat=True))
    assert issued == sorted(issued)
    assert dict(ReceiptCounter.objects.values_list("creator_id", "last_number")) == dict(
        Receipt.objects.values("creator_id").annotate(last=Max("number")).values_list("creator_id", "last")
    )


def test_rows_are_usable_by_the_application():
    seed(2000)

    customer = Customer.objects.order_by("pk").first()
    assert customer.search_text == customer_search_text(
        customer.first_name, customer.last_name, customer.email
    )
    assert customer.check_password(STUDENT_PASSWORD)
    assert Creator.objects.get(email=BIG_CREATOR_EMAIL).check_password(CREATOR_PASSWORD)
    assert {e.status for e in Enrolment.objects.all()[:500]} == {"active", "revoked", "expired"}
    # Every address is one the application would take ("Jørgensen" is written "jorgensen"), so the
    # benchmark's exact-email searches are searches of real addresses.
    emails = list(Customer.objects.values_list("email", flat=True))
    assert all(email.isascii() for email in emails)
    for email in emails[:200]:
        validate_email(email)
    # The search index covers the loaded rows, and rows added afterwards.
    found = customer_search(creator=customer.creator, query=customer.email.split("@")[0])
    assert list(found) == [customer]
    # New rows after the load get fresh ids (sequences moved past the loaded ones).
    added = Customer.objects.create(creator=customer.creator, email="after@example.com")
    assert added.pk > 2000
    assert list(customer_search(creator=customer.creator, query="after@example")) == [added]


def test_the_students_csv_cells_are_kept_for_the_loaded_rows():
    from django.db import connection

    from coursedesk.billing.csv_summary import csv_summary_differences
    from coursedesk.billing.models import CsvSummary

    seed(2000)

    if connection.vendor == "postgresql":  # loaded with the triggers off, then counted in one pass
        assert CsvSummary.objects.count() > 1000
        assert csv_summary_differences() == []
    else:  # SQLite keeps nothing: its export joins the tables
        assert not CsvSummary.objects.exists()


def test_same_seed_same_rows():
    creators = [SimpleNamespace(pk=n) for n in range(1, 201)]

    def first_rows(seed_value):
        seeder = BenchmarkSeeder(customers=1000, seed=seed_value)
        seeder.customer_creator = []
        rows = list(islice(seeder._customers(creators), 50))
        return [row[:5] + row[6:] for row in rows]  # the password hash has its own random salt

    assert first_rows(7) == first_rows(7)
    assert first_rows(7) != first_rows(8)


def test_too_few_customers_is_refused():
    with pytest.raises(CommandError, match="at least 1000"):
        seed(10)
    assert Customer.objects.count() == 0


def test_refuses_a_database_that_has_customers(customer):
    with pytest.raises(CommandError, match="empty database"):
        seed(1000)
