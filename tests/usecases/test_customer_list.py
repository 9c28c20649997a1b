"""The customers list: each segment holds exactly the customers its name promises, read for one
course when a course is chosen; filters narrow every count alike; pages go both ways."""

import datetime as dt

import pytest

from coursedesk.billing.models import Subscription
from coursedesk.core import clock
from coursedesk.core.errors import InvalidValue
from coursedesk.usecases.customer_list import (
    CustomerFilters,
    Segment,
    customer_list_page,
    customers_in,
    segment_counts,
)
from tests.desk.conftest import make_payment, make_refund, make_subscription
from tests.factories import make_course, make_customer, make_enrolment, make_page

DAY = dt.timedelta(days=1)


@pytest.fixture
def people(creator, course, frozen_now):
    """One customer per segment, in Watercolor Foundations unless said otherwise."""
    ink = make_course(creator, title="Ink Sketching", slug="ink")
    page = make_page(course, "subscription", amount=2900)
    active = make_customer(creator, first_name="Ada", last_name="Active", last_login_at=frozen_now)
    make_enrolment(active, course)
    expiring = make_customer(creator, first_name="Eve", last_name="Expiring", last_login_at=frozen_now)
    make_enrolment(expiring, course, expires_at=frozen_now + 10 * DAY)
    later = make_customer(creator, first_name="Lou", last_name="Later", last_login_at=frozen_now)
    make_enrolment(later, course, expires_at=frozen_now + 40 * DAY)
    revoked = make_customer(creator, first_name="Rex", last_name="Revoked", last_login_at=frozen_now)
    make_enrolment(revoked, course, revoked_at=frozen_now - DAY)
    make_enrolment(revoked, ink)  # still active in the other course
    past_due = make_customer(creator, first_name="Pat", last_name="Pastdue", last_login_at=frozen_now)
    make_enrolment(past_due, course)
    make_subscription(past_due, course, page, status=Subscription.Status.PAST_DUE)
    refunded = make_customer(creator, first_name="Ria", last_name="Refunded", last_login_at=frozen_now)
    make_enrolment(refunded, ink, expires_at=frozen_now - DAY)
    payment = make_payment(refunded, ink, 4900, paid_at=frozen_now - 30 * DAY)
    make_refund(payment, 4900)
    never = make_customer(creator, first_name="Nia", last_name="Never")
    make_enrolment(never, ink)
    return {
        "ink": ink,
        "active": active,
        "expiring": expiring,
        "later": later,
        "revoked": revoked,
        "past_due": past_due,
        "refunded": refunded,
        "never": never,
    }


def names(creator, segment, filters=None):
    found = customers_in(creator=creator, segment=segment, filters=filters or CustomerFilters())
    return sorted(customer.first_name for customer in found)


def test_each_segment_holds_the_customers_its_name_promises(creator, people, other_creator):
    # given another creator's customer, who must never count
    make_customer(other_creator, first_name="Ola", last_name="Other")

    assert names(creator, Segment.ALL) == ["Ada", "Eve", "Lou", "Nia", "Pat", "Rex", "Ria"]
    assert names(creator, Segment.ACTIVE) == ["Ada", "Eve", "Lou", "Nia", "Pat", "Rex"]
    assert names(creator, Segment.EXPIRING) == ["Eve"]
    assert names(creator, Segment.REVOKED) == ["Rex"]
    assert names(creator, Segment.PAST_DUE) == ["Pat"]
    assert names(creator, Segment.REFUNDED) == ["Ria"]
    assert names(creator, Segment.NEVER_SIGNED_IN) == ["Nia"]


def test_the_counts_match_the_segments_in_one_query(creator, people, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = segment_counts(creator=creator)

    assert counts == {
        "all": 7,
        "active": 6,
        "past_due": 1,
        "expiring_soon": 1,
        "revoked": 1,
        "refunded": 1,
        "never_signed_in": 1,
    }


def test_a_chosen_course_reads_each_segment_for_that_course_only(creator, course, people):
    in_ink = CustomerFilters(course=people["ink"])

    assert names(creator, Segment.ALL, in_ink) == ["Nia", "Rex", "Ria"]
    # Rex is revoked from Watercolor, active in Ink; Ria's Ink access expired
    assert names(creator, Segment.ACTIVE, in_ink) == ["Nia", "Rex"]
    assert names(creator, Segment.REVOKED, in_ink) == []
    assert names(creator, Segment.REFUNDED, in_ink) == ["Ria"]
    assert names(creator, Segment.REVOKED, CustomerFilters(course=course)) == ["Rex"]
    assert segment_counts(creator=creator, filters=in_ink) == {
        "all": 3,
        "active": 2,
        "past_due": 0,
        "expiring_soon": 0,
        "revoked": 0,
        "refunded": 1,
        "never_signed_in": 1,
    }


def test_bought_between_counts_whole_days_of_successful_payments(creator, course, people, frozen_now):
    # given Ada paid on 1 Nov 2026 at 23:30 UTC and Ria's payment was 22 Oct; a failed one on 5 Nov
    make_payment(people["active"], course, 4900, paid_at=dt.datetime(2026, 11, 1, 23, 30, tzinfo=dt.UTC))
    make_payment(
        people["never"], course, 4900, status="failed", paid_at=dt.datetime(2026, 11, 5, tzinfo=dt.UTC)
    )

    november = CustomerFilters(bought_from=dt.date(2026, 11, 1), bought_to=dt.date(2026, 11, 30))
    assert names(creator, Segment.ALL, november) == ["Ada"]
    assert names(creator, Segment.ALL, CustomerFilters(bought_to=dt.date(2026, 10, 31))) == ["Ria"]
    assert names(creator, Segment.ALL, CustomerFilters(bought_from=dt.date(2026, 11, 2))) == []


def test_dates_in_the_wrong_order_are_refused_with_a_sentence():
    with pytest.raises(InvalidValue) as refusal:
        CustomerFilters(bought_from=dt.date(2026, 11, 2), bought_to=dt.date(2026, 11, 1))

    assert refusal.value.message == "The first date of “bought between” comes after the second one."


def test_search_and_segment_combine(creator, people):
    assert names(creator, Segment.ACTIVE, CustomerFilters(query="expiring")) == ["Eve"]
    assert names(creator, Segment.REVOKED, CustomerFilters(query="expiring")) == []


def test_pages_go_older_then_newer_and_rows_carry_courses_and_status(creator, course, people, frozen_now):
    # given the seven customers were made one minute apart, Ada first
    for minutes, key in enumerate(
        ["active", "expiring", "later", "revoked", "past_due", "refunded", "never"]
    ):
        type(people[key]).objects.filter(pk=people[key].pk).update(
            created_at=frozen_now - dt.timedelta(minutes=10 - minutes)
        )

    first = customer_list_page(creator=creator, limit=3)
    second = customer_list_page(creator=creator, limit=3, cursor=first.page.next_cursor)
    back = customer_list_page(creator=creator, limit=3, before=second.page.previous_cursor)

    assert [row.customer.first_name for row in first.rows] == ["Nia", "Ria", "Pat"]
    assert [row.customer.first_name for row in second.rows] == ["Rex", "Lou", "Eve"]
    assert [row.customer.first_name for row in back.rows] == ["Nia", "Ria", "Pat"]
    assert [(c.title, c.status) for c in second.rows[0].courses] == [
        ("Ink Sketching", "active"),
        ("Watercolor Foundations", "revoked"),
    ]
    assert [(c.title, c.status) for c in first.rows[2].courses] == [("Watercolor Foundations", "past_due")]
    assert [(c.title, c.status) for c in first.rows[1].courses] == [("Ink Sketching", "expired")]


def test_a_page_is_four_queries_whatever_its_size(creator, course, frozen_now, django_assert_num_queries):
    for n in range(30):
        customer = make_customer(creator, email=f"s{n}@example.com")
        make_enrolment(customer, course, expires_at=clock.now() + 5 * DAY)

    with django_assert_num_queries(4):  # the page, the counts, the enrolments, past-due subscriptions
        listing = customer_list_page(creator=creator, segment=Segment.EXPIRING, limit=25)

    assert len(listing.rows) == 25
    assert listing.counts["expiring_soon"] == 30
