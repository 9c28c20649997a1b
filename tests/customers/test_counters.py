"""A course's student counters are kept by the enrolment services in the same transaction, on every
path that creates an enrolment or changes its status, so that they always equal a count of the rows.

A Hypothesis state machine applies random sequences of the services (grant, restore, revoke, a new
expiration, time passing, the expiry sweep) and compares the counts the Teach page reads with the
rows counted by the status rule after every step.
"""

import datetime as dt
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.core import clock
from coursedesk.customers.models import (
    CourseStudentCount,
    Enrolment,
    EnrolmentStatus,
    enrolment_status_q,
)
from coursedesk.customers.selectors import course_student_counts
from coursedesk.customers.services import (
    course_counts_recount,
    enrolment_expiration_set,
    enrolment_grant,
    enrolment_restore,
    enrolment_revoke,
    enrolments_expired_record,
)
from tests.factories import make_course, make_creator, make_customer

ACTOR = Actor.system()
SOURCE = AuditSource.DESK
START = dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)


def counted_rows(course) -> dict[str, int]:
    """The course's students by status, counted from the rows with the status rule itself."""
    at = clock.now()
    return Enrolment.objects.filter(course=course).aggregate(
        **{
            status.value: Count("pk", filter=enrolment_status_q(status.value, at))
            for status in EnrolmentStatus
        }
    )


def counters(course) -> dict[str, int]:
    return course_student_counts(courses=[course])[course.pk]


class EnrolmentCounters(RuleBasedStateMachine):
    """Each example gets a creator and a course of its own, so examples do not see each other."""

    @initialize()
    def a_course_and_five_people(self):
        clock.set_now(START)
        creator = make_creator()
        self.course = make_course(creator)
        self.people = [make_customer(creator) for _ in range(5)]

    def enrolment(self, person):
        return Enrolment.objects.filter(customer=self.people[person], course=self.course).first()

    @rule(person=st.integers(0, 4), days=st.none() | st.integers(-3, 3))
    def grant(self, person, days):
        expires_at = None if days is None else clock.now() + dt.timedelta(days=days)
        enrolment_grant(
            customer=self.people[person],
            course=self.course,
            expires_at=expires_at,
            actor=ACTOR,
            source=SOURCE,
        )

    @rule(person=st.integers(0, 4))
    def revoke(self, person):
        enrolment = self.enrolment(person)
        if enrolment is not None and enrolment.revoked_at is None:
            enrolment_revoke(enrolment=enrolment, actor=ACTOR, source=SOURCE)

    @rule(person=st.integers(0, 4))
    def restore(self, person):
        enrolment = self.enrolment(person)
        if enrolment is not None and enrolment.revoked_at is not None:
            enrolment_restore(enrolment=enrolment, actor=ACTOR, source=SOURCE)

    @rule(person=st.integers(0, 4), days=st.none() | st.integers(-3, 3))
    def new_expiration(self, person, days):
        enrolment = self.enrolment(person)
        if enrolment is not None:
            expires_at = None if days is None else clock.now() + dt.timedelta(days=days)
            enrolment_expiration_set(enrolment=enrolment, expires_at=expires_at, actor=ACTOR, source=SOURCE)

    @rule(hours=st.integers(1, 72))
    def time_passes(self, hours):
        clock.advance(dt.timedelta(hours=hours))

    @rule()
    def expiry_sweep(self):
        enrolments_expired_record()

    @invariant()
    def counters_equal_the_counted_rows(self):
        if hasattr(self, "course"):
            assert counters(self.course) == counted_rows(self.course)

    def teardown(self):
        clock.set_now(None)


@pytest.mark.django_db
def test_counters_equal_the_counted_rows_after_any_sequence_of_enrolment_services():
    run_state_machine_as_test(
        EnrolmentCounters,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


def test_teach_counts_read_the_counters_in_one_query(creator, course, frozen_now, django_assert_num_queries):
    # given three students, one revoked, one whose expiration passed after the sweep ran
    people = [make_customer(creator) for _ in range(3)]
    for person in people:
        enrolment_grant(customer=person, course=course, actor=ACTOR, source=SOURCE)
    enrolment_revoke(enrolment=Enrolment.objects.get(customer=people[0]), actor=ACTOR, source=SOURCE)
    enrolment_expiration_set(
        enrolment=Enrolment.objects.get(customer=people[1]),
        expires_at=frozen_now + dt.timedelta(hours=1),
        actor=ACTOR,
        source=SOURCE,
    )
    clock.advance(dt.timedelta(hours=2))

    # when the counts are read
    with django_assert_num_queries(1):
        counts = course_student_counts(courses=[course])

    # then the passed expiration counts as expired before the sweep records it, and after
    assert counts == {course.pk: {"active": 1, "revoked": 1, "expired": 1}}
    assert CourseStudentCount.objects.get(course=course).expired == 0
    assert enrolments_expired_record() == 1
    assert CourseStudentCount.objects.get(course=course).expired == 1
    assert course_student_counts(courses=[course]) == {course.pk: {"active": 1, "revoked": 1, "expired": 1}}


def test_many_passed_expirations_are_counted_per_course_instead(creator, course, frozen_now, monkeypatch):
    from coursedesk.customers import selectors

    # given the sweep has not run while three expirations passed, more than are read one by one
    monkeypatch.setattr(selectors, "PASSED_READ_AT_MOST", 2)
    other = make_course(creator, title="Other", slug="other")
    for target in (course, course, other, course):
        person = make_customer(creator)
        enrolment_grant(customer=person, course=target, actor=ACTOR, source=SOURCE)
        enrolment_expiration_set(
            enrolment=Enrolment.objects.get(customer=person),
            expires_at=frozen_now + dt.timedelta(hours=1),
            actor=ACTOR,
            source=SOURCE,
        )
    clock.advance(dt.timedelta(hours=2))

    # then the counts are the same as when they are read one by one
    assert course_student_counts(courses=[course]) == {course.pk: {"active": 0, "revoked": 0, "expired": 3}}


def test_recount_repairs_drifted_counters_and_reports_them(creator, course, frozen_now):
    # given two students whose counters drifted (rows written around the services)
    for person in (make_customer(creator), make_customer(creator)):
        enrolment_grant(customer=person, course=course, actor=ACTOR, source=SOURCE)
    Enrolment.objects.filter(course=course).update(revoked_at=frozen_now)

    # when the courses are counted again
    drifts = course_counts_recount()

    # then the drift is reported and repaired
    assert [(d.course_id, d.counted, d.found) for d in drifts] == [
        (course.pk, {"active": 2, "revoked": 0, "expired": 0}, {"active": 0, "revoked": 2, "expired": 0})
    ]
    assert counters(course) == {"active": 0, "revoked": 2, "expired": 0}
    assert course_counts_recount() == []


def test_recount_reports_nothing_when_the_counters_hold(creator, course, frozen_now):
    enrolment_grant(customer=make_customer(creator), course=course, actor=ACTOR, source=SOURCE)

    assert course_counts_recount(course_ids=[course.pk]) == []
    assert counters(course) == {"active": 1, "revoked": 0, "expired": 0}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_counters_hold_under_concurrent_grants_and_revokes_on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections are PostgreSQL's")
    # given a course and twelve people, four of them enrolled
    creator = make_creator()
    course = make_course(creator)
    people = [make_customer(creator) for _ in range(12)]
    for person in people[:4]:
        enrolment_grant(customer=person, course=course, actor=ACTOR, source=SOURCE)
    errors = []

    def work(person, index):
        try:
            if index < 4:  # revoke one of the enrolled, then give it back, then revoke again
                enrolment = Enrolment.objects.get(customer=person, course=course)
                enrolment_revoke(enrolment=enrolment, actor=ACTOR, source=SOURCE)
                enrolment_grant(customer=person, course=course, actor=ACTOR, source=SOURCE)
                enrolment_revoke(enrolment=enrolment, actor=ACTOR, source=SOURCE)
            else:  # enrol the others, all at once
                enrolment_grant(customer=person, course=course, actor=ACTOR, source=SOURCE)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()  # this thread's own connection

    # when twelve threads change enrolments of the same course at once
    threads = [threading.Thread(target=work, args=(person, index)) for index, person in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then nothing failed and the counters equal the rows
    assert errors == []
    assert counters(course) == {"active": 8, "revoked": 4, "expired": 0}
    assert counters(course) == counted_rows(course)


def test_recount_courses_command_reports_and_repairs_a_drift(creator, course, frozen_now):
    # given a course whose counters say one active student while the row is revoked
    enrolment_grant(customer=make_customer(creator), course=course, actor=ACTOR, source=SOURCE)
    Enrolment.objects.filter(course=course).update(revoked_at=frozen_now)
    out = io.StringIO()

    # when the nightly recount runs, twice
    call_command("recount_courses", stdout=out)
    call_command("recount_courses", stdout=out)

    # then the first run reports and repairs the drift, the second finds none
    assert out.getvalue() == (
        f"Course {course.pk}: counters were 1 active, 0 revoked, 0 expired, "
        "the enrolments are 0 active, 1 revoked, 0 expired; repaired.\n"
        "Courses recounted: 1 drifted.\n"
        "Counters hold: no drift.\n"
    )
    assert counters(course) == {"active": 0, "revoked": 1, "expired": 0}
