"""What one customer of a bulk job costs in queries: each is still its own audited service call, but
what the customers of a batch share (the job, its course and creator, the webhook endpoints, the
feed's sequencing) is read or done once per batch. Measured as the difference between a batch of
10 and a batch of 30 customers, so the per-batch queries drop out."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.customers.models import CourseStudentCount, Customer
from coursedesk.integrations.models import PublicEvent
from coursedesk.usecases import bulk
from coursedesk.usecases.imports import import_preview, import_start
from tests.factories import make_enrolment

SMALL, LARGE = 10, 30


def queries_per_customer(job) -> tuple[float, int]:
    """(queries per customer, queries of the batch besides its customers) over two batches, after
    a first batch of one customer (the first ever makes the course's counters, or the tag)."""
    assert bulk.bulk_action_step(job_id=job.pk, limit=1)
    counts = {}
    for size in (SMALL, LARGE):
        with CaptureQueriesContext(connection) as captured:
            assert bulk.bulk_action_step(job_id=job.pk, limit=size)
        counts[size] = len(captured)
    per_customer = (counts[LARGE] - counts[SMALL]) / (LARGE - SMALL)
    return per_customer, round(counts[SMALL] - SMALL * per_customer)


def run_import(creator, course, emails, capture):
    text = "email,first_name,last_name\n" + "".join(f"{email},Sam,Student\n" for email in emails)
    with capture(execute=False):
        return import_start(
            creator=creator,
            course=course,
            preview=import_preview(creator=creator, text=text),
            send_welcome_email=False,
            actor=Actor.creator(creator),
            source="import",
        )


def start(creator, request, capture):
    ids = bulk.selection_ids(creator=creator, segment="all")
    with capture(execute=False):
        return bulk.bulk_action_start(
            creator=creator, request=request, ids=ids, actor=Actor.creator(creator), source="api"
        )


def test_an_imported_new_customer_costs_at_most_12_queries(
    creator, course, frozen_now, django_capture_on_commit_callbacks
):
    emails = [f"new{n}@example.com" for n in range(1 + SMALL + LARGE)]
    job = run_import(creator, course, emails, django_capture_on_commit_callbacks)

    per_row, per_batch = queries_per_customer(job)

    # the customer looked up, then made in a savepoint (its unique email), audited and announced; the
    # enrolment made, counted, audited and announced; the row's own savepoint
    assert per_row <= 12
    assert per_batch <= 8
    assert AuditEvent.objects.filter(type="customer.created").count() == 1 + SMALL + LARGE
    assert AuditEvent.objects.filter(type="enrolment.granted").count() == 1 + SMALL + LARGE
    assert PublicEvent.objects.count() == 2 * (1 + SMALL + LARGE)
    assert CourseStudentCount.objects.get(course=course).active == 1 + SMALL + LARGE


def test_an_imported_row_of_a_student_who_has_access_costs_at_most_4_queries(
    creator, course, frozen_now, django_capture_on_commit_callbacks
):
    emails = [f"old{n}@example.com" for n in range(1 + SMALL + LARGE)]
    for email in emails:
        make_enrolment(Customer.objects.create(creator=creator, email=email), course)
    job = run_import(creator, course, emails, django_capture_on_commit_callbacks)

    per_row, per_batch = queries_per_customer(job)

    assert per_row <= 4
    assert per_batch <= 8
    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("kind", "enrolled", "at_most"),
    [
        ("add_tag", False, 9),  # the tag's lookup, its link, the customer's row, the audit event
        ("revoke", True, 10),  # the enrolment locked, revoked, counted, audited and announced
        ("grant", False, 9),  # the enrolment looked up, made, counted, audited and announced
    ],
)
def test_a_bulk_action_costs_a_few_queries_per_customer(
    creator, course, frozen_now, kind, enrolled, at_most, django_capture_on_commit_callbacks
):
    for n in range(1 + SMALL + LARGE):
        customer = Customer.objects.create(creator=creator, email=f"c{n}@example.com")
        if enrolled:
            make_enrolment(customer, course)
    request = bulk.bulk_request(kind=kind, course=None if kind == "add_tag" else course, tag="spring")
    job = start(creator, request, django_capture_on_commit_callbacks)

    per_customer, per_batch = queries_per_customer(job)

    assert per_customer <= at_most
    assert per_batch <= 8
    job.refresh_from_db()
    assert (job.done, job.failed) == (1 + SMALL + LARGE, 0)
