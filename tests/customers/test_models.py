import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from coursedesk.customers.models import Customer, Enrolment
from coursedesk.customers.selectors import course_student_counts
from tests.factories import make_course, make_customer, make_enrolment


def test_the_same_email_twice_at_one_creator_is_refused_by_the_database(creator):
    make_customer(creator, email="ana@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_customer(creator, email="ANA@Example.com")
    assert Customer.objects.for_creator(creator).count() == 1


def test_the_same_email_at_two_creators_is_two_customers(creator, other_creator):
    first = make_customer(creator, email="ana@example.com")
    second = make_customer(other_creator, email="ana@example.com")
    assert first.pk != second.pk
    assert Customer.objects.with_email("Ana@Example.com").count() == 2


def test_one_enrolment_per_customer_and_course(creator, customer, course):
    make_enrolment(customer, course)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_enrolment(customer, course)


def test_passwords_are_stored_as_argon2_hashes(customer):
    customer.set_password("s3cret-passphrase")
    customer.save()
    stored = Customer.objects.get(pk=customer.pk).password
    assert stored.startswith("argon2$")
    assert "s3cret-passphrase" not in stored
    assert customer.check_password("s3cret-passphrase")
    assert not customer.check_password("wrong")


def test_search_text_is_folded_and_kept_in_step_on_save(customer):
    assert customer.search_text == "zoe okafor zoe@example.com"
    customer.last_name = "Ñúñez"
    customer.save(update_fields=["last_name"])
    assert Customer.objects.get(pk=customer.pk).search_text == "zoe nunez zoe@example.com"


class TestDerivedEnrolmentStatus:
    def test_active_without_expiration(self, customer, course, frozen_now):
        enrolment = make_enrolment(customer, course)
        assert enrolment.status == "active"

    def test_active_until_the_last_microsecond_then_expired(self, customer, course, frozen_now):
        expires = frozen_now + dt.timedelta(hours=1)
        enrolment = make_enrolment(customer, course, expires_at=expires)
        with_status = Enrolment.objects.with_status

        from coursedesk.core import clock

        clock.set_now(expires - dt.timedelta(microseconds=1))
        assert enrolment.status == "active"
        assert with_status().get(pk=enrolment.pk).status_now == "active"
        assert Enrolment.objects.active().filter(pk=enrolment.pk).exists()

        clock.set_now(expires)
        assert enrolment.status == "expired"
        assert with_status().get(pk=enrolment.pk).status_now == "expired"
        assert Enrolment.objects.expired().filter(pk=enrolment.pk).exists()
        assert not Enrolment.objects.active().filter(pk=enrolment.pk).exists()

    def test_revoked_wins_over_expired(self, customer, course, frozen_now):
        enrolment = make_enrolment(
            customer, course, expires_at=frozen_now - dt.timedelta(days=1), revoked_at=frozen_now
        )
        assert enrolment.status == "revoked"
        assert Enrolment.objects.with_status().get(pk=enrolment.pk).status_now == "revoked"
        assert not Enrolment.objects.expired().filter(pk=enrolment.pk).exists()


class TestTenancy:
    def test_querysets_for_a_creator_never_return_another_creators_rows(self, creator, other_creator):
        mine = make_customer(creator, email="same@example.com")
        theirs = make_customer(other_creator, email="same@example.com")
        my_course = make_course(creator)
        their_course = make_course(other_creator)
        make_enrolment(mine, my_course)
        make_enrolment(theirs, their_course)

        assert list(Customer.objects.for_creator(creator)) == [mine]
        assert list(Customer.objects.for_creator(other_creator)) == [theirs]
        assert [e.customer for e in Enrolment.objects.for_creator(creator)] == [mine]
        from coursedesk.catalog.models import Course

        assert list(Course.objects.for_creator(creator)) == [my_course]

    def test_no_creator_sees_nothing(self, creator):
        make_customer(creator)
        assert not Customer.objects.for_creator(None).exists()


def test_python_and_sql_read_the_one_status_rule_alike(creator, course, frozen_now):
    # given enrolments in every combination of revoked and expiration (none, past, exactly now, future)
    expirations = [None, frozen_now - dt.timedelta(days=1), frozen_now, frozen_now + dt.timedelta(days=1)]
    expected = {}
    for revoked_at in (None, frozen_now - dt.timedelta(hours=1)):
        for expires_at in expirations:
            enrolment = make_enrolment(
                make_customer(creator), course, revoked_at=revoked_at, expires_at=expires_at
            )
            if revoked_at is not None:
                expected[enrolment.pk] = "revoked"
            elif expires_at is not None and expires_at <= frozen_now:
                expected[enrolment.pk] = "expired"
            else:
                expected[enrolment.pk] = "active"

    # then the Python status, the SQL annotation, the filters and the counts all agree with SPEC §4
    enrolments = Enrolment.objects.filter(course=course)
    assert {enrolment.pk: enrolment.status for enrolment in enrolments} == expected
    assert dict(enrolments.with_status().values_list("pk", "status_now")) == expected
    for status, rows in (
        ("active", enrolments.active()),
        ("revoked", enrolments.revoked()),
        ("expired", enrolments.expired()),
    ):
        assert {enrolment.pk for enrolment in rows} == {pk for pk, s in expected.items() if s == status}
    assert course_student_counts(courses=[course])[course.pk] == {"active": 2, "revoked": 4, "expired": 2}
