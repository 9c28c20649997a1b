"""Bulk actions: the dry run, the job that calls the usual service per customer, refusals reported
not fatal, audit rows equal to the changes, and stop and resume without doing anyone twice."""

import datetime as dt

import pytest
from django.db import connection

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import BulkAction, Customer, Enrolment
from coursedesk.mail.models import OutboundEmail
from coursedesk.usecases import bulk
from tests.factories import make_customer, make_enrolment

# Over ten thousand customers (10,200) on PostgreSQL, the production database, and two thousand on
# SQLite, where the same code paths run. Each row is still its own audited service call, in batches
# of twenty per transaction: an imported new customer costs 12 queries, a row whose student has
# access 4, a tag 9 (test_bulk_queries). On an idle two-core machine at 10,200 the two tests take
# 133 s (the import, with its second pass) and 57 s (the tags); before, at 2,000, they took 260 s
# and 90 s on a loaded one.
SCALE = 10_200 if connection.vendor == "postgresql" else 2_000


@pytest.fixture
def students(creator, course, frozen_now):
    """Five customers enrolled in the course, the third already revoked; one more not enrolled."""
    people = []
    for n in range(5):
        customer = make_customer(creator, email=f"s{n}@example.com", first_name=f"S{n}", last_name="Student")
        Customer.objects.filter(pk=customer.pk).update(created_at=frozen_now - dt.timedelta(minutes=n))
        make_enrolment(customer, course, revoked_at=frozen_now if n == 2 else None)
        people.append(customer)
    return people


def start(creator, request, ids, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return bulk.bulk_action_start(
            creator=creator, request=request, ids=ids, actor=Actor.creator(creator), source="desk"
        )


def test_the_dry_run_counts_and_says_what_happens_to_three(creator, course, students):
    request = bulk.bulk_request(kind="revoke", course=course)
    ids = bulk.selection_ids(creator=creator, segment="all")

    dry = bulk.bulk_dry_run(creator=creator, request=request, ids=ids)

    assert dry.total == 5
    assert dry.sample == [
        "S0 Student (s0@example.com) loses access to Watercolor Foundations at once.",
        "S1 Student (s1@example.com) loses access to Watercolor Foundations at once.",
        "S2 Student (s2@example.com) has no access to Watercolor Foundations already: refused, "
        "nothing changes.",
    ]
    assert AuditEvent.objects.count() == 0


def test_revoke_a_segment_reports_the_refusal_and_audits_each_change(
    creator, course, students, django_capture_on_commit_callbacks
):
    request = bulk.bulk_request(kind="revoke", course=course)
    ids = bulk.selection_ids(creator=creator, segment="all")

    job = start(creator, request, ids, django_capture_on_commit_callbacks)

    job.refresh_from_db()
    assert (job.status, job.total, job.position, job.done, job.failed) == ("done", 5, 5, 4, 1)
    assert job.errors == [
        {
            "customer_id": str(students[2].pk),
            "code": "already_revoked",
            "message": "Access to this course is already revoked.",
        }
    ]
    assert Enrolment.objects.filter(revoked_at__isnull=True).count() == 0
    revoked = AuditEvent.objects.filter(type="enrolment.revoked")
    assert revoked.count() == job.done
    assert set(revoked.values_list("actor_label", "source")) == {("maya@example.com", "desk")}


def test_a_stopped_job_resumes_after_the_last_customer_and_does_nobody_twice(
    creator, course, students, django_capture_on_commit_callbacks
):
    request = bulk.bulk_request(kind="add_tag", tag="spring")
    ids = bulk.selection_ids(creator=creator, customer_ids=[str(c.pk) for c in students])
    with django_capture_on_commit_callbacks(execute=False):  # queued, not run yet
        job = bulk.bulk_action_start(
            creator=creator, request=request, ids=ids, actor=Actor.creator(creator), source="api"
        )

    # a worker handles two customers, then the job is stopped (as a killed worker would leave it)
    assert bulk.bulk_action_step(job_id=job.pk, limit=1)
    assert bulk.bulk_action_step(job_id=job.pk, limit=1)
    bulk.bulk_action_stop(job=job)
    assert bulk.bulk_action_step(job_id=job.pk) is False
    job.refresh_from_db()
    assert (job.status, job.position, job.done) == ("stopped", 2, 2)

    with django_capture_on_commit_callbacks(execute=True):
        bulk.bulk_action_resume(job=job)

    job.refresh_from_db()
    assert (job.status, job.position, job.done, job.failed) == ("done", 5, 5, 0)
    assert AuditEvent.objects.filter(type="customer.tags_changed").count() == 5
    assert all(c.tag_names == ["spring"] for c in Customer.objects.filter(pk__in=ids))


def test_grant_gives_access_and_the_welcome_email_once(
    creator, course, students, second_course, django_capture_on_commit_callbacks
):
    request = bulk.bulk_request(kind="grant", course=second_course, send_welcome_email=True)
    ids = bulk.selection_ids(creator=creator, customer_ids=[students[0].pk, students[1].pk])

    job = start(creator, request, ids, django_capture_on_commit_callbacks)
    again = start(creator, request, ids, django_capture_on_commit_callbacks)

    job.refresh_from_db()
    again.refresh_from_db()
    assert (job.done, job.failed) == (2, 0)
    assert (again.done, again.failed) == (0, 2)
    assert {e["code"] for e in again.errors} == {"already_active"}
    assert Enrolment.objects.filter(course=second_course).count() == 2
    assert OutboundEmail.objects.filter(kind="welcome", course=second_course).count() == 2


def test_set_then_remove_an_expiration(
    creator, course, students, frozen_now, django_capture_on_commit_callbacks
):
    ids = [students[0].pk]
    until = dt.datetime(2027, 1, 31, tzinfo=dt.UTC)

    start(
        creator,
        bulk.bulk_request(kind="set_expiration", course=course, expires_at=until),
        ids,
        django_capture_on_commit_callbacks,
    )
    assert Enrolment.objects.get(customer=students[0]).expires_at == until
    start(
        creator,
        bulk.bulk_request(kind="set_expiration", course=course, expires_at=None),
        ids,
        django_capture_on_commit_callbacks,
    )
    assert Enrolment.objects.get(customer=students[0]).expires_at is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"kind": "explode"},
            "There is no bulk action “explode”; pick one of grant, revoke, set_expiration, "
            "resend_welcome_email, add_tag, remove_tag.",
        ),
        ({"kind": "revoke"}, "“Revoke access to a course” needs a course."),
        ({"kind": "add_tag", "tag": ""}, "A tag cannot be empty."),
    ],
)
def test_a_bad_request_is_refused_before_anyone_is_touched(kwargs, message):
    with pytest.raises(DomainError) as refusal:
        bulk.bulk_request(**kwargs)

    assert refusal.value.message == message


def test_another_creators_customer_in_the_selection_is_not_found(creator, students, other_creator):
    theirs = make_customer(other_creator, email="theirs@example.com")

    with pytest.raises(DomainError) as refusal:
        bulk.selection_ids(creator=creator, customer_ids=[students[0].pk, theirs.pk])

    assert (refusal.value.code, refusal.value.status) == ("not_found", 404)
    assert BulkAction.objects.count() == 0


def test_a_job_that_fails_mid_batch_is_stopped_and_resumes_after_the_last_committed_customer(
    creator, course, students, monkeypatch, django_capture_on_commit_callbacks
):
    # given batches of two customers, and the database going away at the fourth customer, after the
    # third was tagged in the same batch
    monkeypatch.setattr(bulk, "BATCH", 2)
    real_apply = bulk._apply
    calls = []

    def apply_until_the_fourth(request, customer, actor, source, **known):
        calls.append(customer.pk)
        if len(calls) == 4:
            raise RuntimeError("connection lost")
        real_apply(request, customer, actor, source, **known)

    monkeypatch.setattr(bulk, "_apply", apply_until_the_fourth)
    request = bulk.bulk_request(kind="add_tag", tag="spring")
    ids = bulk.selection_ids(creator=creator, segment="all")

    job = start(creator, request, ids, django_capture_on_commit_callbacks)

    # then the second batch is undone with its position: the first batch's two stay, once each
    job.refresh_from_db()
    assert (job.status, job.position, job.done) == ("stopped", 2, 2)
    assert AuditEvent.objects.filter(type="customer.tags_changed").count() == 2
    assert Customer.objects.filter(tag_names=["spring"]).count() == 2
    monkeypatch.setattr(bulk, "_apply", real_apply)
    with django_capture_on_commit_callbacks(execute=True):
        bulk.bulk_action_resume(job=job)
    job.refresh_from_db()
    assert (job.status, job.position, job.done, job.failed) == ("done", 5, 5, 0)
    assert AuditEvent.objects.filter(type="customer.tags_changed").count() == 5


def test_many_customers_survive_a_killed_worker_and_audit_rows_equal_the_changes(
    creator, course, frozen_now, django_capture_on_commit_callbacks
):
    # given thousands of customers, every tenth already tagged (refused: reported, not fatal)
    Customer.objects.bulk_create(
        [
            Customer(creator=creator, email=f"c{n}@example.com", tag_names=["spring"] if n % 10 == 0 else [])
            for n in range(SCALE)
        ]
    )
    request = bulk.bulk_request(kind="add_tag", tag="spring")
    ids = bulk.selection_ids(creator=creator, segment="all")
    with django_capture_on_commit_callbacks(execute=False):
        job = bulk.bulk_action_start(
            creator=creator, request=request, ids=ids, actor=Actor.creator(creator), source="api"
        )

    # a worker handles 40% of them and is killed: the job still reads "running"
    for _ in range(SCALE * 2 // 5 // bulk.BATCH):
        bulk.bulk_action_step(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.position) == ("running", SCALE * 2 // 5)

    with django_capture_on_commit_callbacks(execute=True):
        bulk.bulk_action_resume(job=job)

    job.refresh_from_db()
    assert (job.status, job.total, job.position, job.done, job.failed) == (
        "done",
        SCALE,
        SCALE,
        SCALE * 9 // 10,
        SCALE // 10,
    )
    assert {error["code"] for error in job.errors} == {"tag_present"}
    assert AuditEvent.objects.filter(type="customer.tags_changed").count() == job.done
    assert Customer.objects.exclude(tag_names=["spring"]).count() == 0


def test_a_large_import_survives_a_killed_worker_and_twice_enrols_nobody_twice(
    creator, course, frozen_now, django_capture_on_commit_callbacks
):
    from coursedesk.usecases.imports import import_preview, import_start

    # given a file of thousands of students, a fifth of them already customers
    Customer.objects.bulk_create(
        [Customer(creator=creator, email=f"s{n}@example.com") for n in range(0, SCALE, 5)]
    )
    text = "email,first_name,last_name\n" + "".join(f"s{n}@example.com,S,N{n}\n" for n in range(SCALE))
    preview = import_preview(creator=creator, text=text)
    assert (len(preview.rows), preview.new_customers, preview.existing_customers) == (
        SCALE,
        SCALE * 4 // 5,
        SCALE // 5,
    )
    with django_capture_on_commit_callbacks(execute=False):
        job = import_start(
            creator=creator,
            course=course,
            preview=preview,
            send_welcome_email=False,
            actor=Actor.creator(creator),
            source="import",
        )

    # a worker imports 40% of the rows and is killed; the job is resumed
    for _ in range(SCALE * 2 // 5 // bulk.BATCH):
        bulk.bulk_action_step(job_id=job.pk)
    with django_capture_on_commit_callbacks(execute=True):
        bulk.bulk_action_resume(job=BulkAction.objects.get(pk=job.pk))

    # then every row is enrolled once, and each enrolment has its one audit row
    job.refresh_from_db()
    assert (job.status, job.position, job.done, job.failed) == ("done", SCALE, SCALE, 0)
    assert Enrolment.objects.filter(course=course).count() == SCALE
    assert AuditEvent.objects.filter(type="enrolment.granted").count() == SCALE
    assert Customer.objects.filter(creator=creator).count() == SCALE

    # and the same file again enrols nobody twice
    with django_capture_on_commit_callbacks(execute=True):
        again = import_start(
            creator=creator,
            course=course,
            preview=import_preview(creator=creator, text=text),
            send_welcome_email=False,
            actor=Actor.creator(creator),
            source="import",
        )
    again.refresh_from_db()
    assert again.status == "done"
    assert Enrolment.objects.filter(course=course).count() == SCALE
    assert AuditEvent.objects.filter(type="enrolment.granted").count() == SCALE
