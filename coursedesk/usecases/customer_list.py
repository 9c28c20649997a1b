"""The customers list that the desk page and the API share: segments (each with its count), filters
(course, tag, bought between two dates), search, and keyset pages whose rows carry each customer's
courses and status. Segments read enrolments, subscriptions and refunds, hence a use case."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, prefetch_related_objects

from coursedesk.billing.models import Payment, Refund, Subscription
from coursedesk.core import clock
from coursedesk.core.errors import InvalidValue
from coursedesk.core.pagination import Page, keyset_page
from coursedesk.customers.models import Customer, CustomerTag, Enrolment, EnrolmentStatus, Tag
from coursedesk.customers.selectors import customer_search

EXPIRING_WITHIN = dt.timedelta(days=30)


class Segment(models.TextChoices):
    ALL = "all", "All"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    EXPIRING = "expiring_soon", "Expiring in 30 days"
    REVOKED = "revoked", "Revoked"
    REFUNDED = "refunded", "Refunded"
    NEVER_SIGNED_IN = "never_signed_in", "Never signed in"


@dataclass(frozen=True)
class CustomerFilters:
    """What narrows the list besides the segment. `course` is one of the creator's courses (the
    caller looks it up, so a foreign id never gets here); dates are days in the creator's zone."""

    query: str = ""
    course: object = None
    tag: str = ""
    bought_from: dt.date | None = None
    bought_to: dt.date | None = None

    def __post_init__(self):
        if self.bought_from and self.bought_to and self.bought_from > self.bought_to:
            raise InvalidValue(
                "The first date of “bought between” comes after the second one.", code="invalid_dates"
            )
        for day in (self.bought_from, self.bought_to):
            if day is not None and not clock.in_range(day):
                raise InvalidValue(clock.RANGE_MESSAGE, code="invalid_dates")


def _of_customer(queryset, *, course, customer_path: str = "customer"):
    """Rows of `queryset` that belong to the outer customer (and to `course` when one is chosen)."""
    queryset = queryset.filter(**{customer_path: OuterRef("pk")})
    if course is not None:
        queryset = queryset.filter(course=course)
    return queryset


def segment_condition(segment: Segment, *, course=None, at: dt.datetime | None = None) -> Q:
    """The customers in `segment` at `at`; with a course, the segment is read for that course only
    (revoked from it, past due on its subscription...)."""
    at = at or clock.now()
    enrolments = _of_customer(Enrolment.objects.all(), course=course)
    if segment == Segment.ACTIVE:
        return Q(Exists(enrolments.with_status_at(EnrolmentStatus.ACTIVE, at)))
    if segment == Segment.EXPIRING:
        active = enrolments.with_status_at(EnrolmentStatus.ACTIVE, at)
        return Q(Exists(active.filter(expires_at__lte=at + EXPIRING_WITHIN)))
    if segment == Segment.REVOKED:
        return Q(Exists(enrolments.with_status_at(EnrolmentStatus.REVOKED, at)))
    if segment == Segment.PAST_DUE:
        subscriptions = Subscription.objects.filter(status=Subscription.Status.PAST_DUE)
        return Q(Exists(_of_customer(subscriptions, course=course)))
    if segment == Segment.REFUNDED:
        refunds = Refund.objects.filter(status=Refund.Status.SUCCEEDED)
        if course is not None:
            refunds = refunds.filter(payment__course=course)
        return Q(Exists(refunds.filter(payment__customer=OuterRef("pk"))))
    if segment == Segment.NEVER_SIGNED_IN:
        return Q(last_login_at__isnull=True)
    return Q()


def _filtered(*, creator, filters: CustomerFilters):
    customers = (
        customer_search(creator=creator, query=filters.query)
        if filters.query
        else Customer.objects.for_creator(creator)
    )
    # A duplicate merged into another customer is part of that one now.
    customers = customers.filter(merged_into__isnull=True)
    if filters.course is not None:
        customers = customers.filter(Exists(_of_customer(Enrolment.objects.all(), course=filters.course)))
    if filters.tag:
        tagged = CustomerTag.objects.filter(
            customer=OuterRef("pk"), tag__in=Tag.objects.for_creator(creator).named(filters.tag).values("pk")
        )
        customers = customers.filter(Exists(tagged))
    if filters.bought_from or filters.bought_to:
        payments = _of_customer(
            Payment.objects.filter(status=Payment.Status.SUCCEEDED), course=filters.course
        )
        if filters.bought_from:
            payments = payments.filter(paid_at__gte=clock.start_of_day(filters.bought_from))
        if filters.bought_to:
            payments = payments.filter(
                paid_at__lt=clock.start_of_day(filters.bought_to + dt.timedelta(days=1))
            )
        customers = customers.filter(Exists(payments))
    return customers


def customers_in(*, creator, segment: Segment = Segment.ALL, filters: CustomerFilters = CustomerFilters()):
    """The creator's customers in `segment` that pass `filters`, as a queryset (unordered)."""
    return _filtered(creator=creator, filters=filters).filter(
        segment_condition(segment, course=filters.course)
    )


def segment_counts(*, creator, filters: CustomerFilters = CustomerFilters()) -> dict[str, int]:
    """How many of the filtered customers each segment holds, in one query."""
    at = clock.now()
    customers = _filtered(creator=creator, filters=filters).order_by()
    aggregates = {
        segment.value: Count("pk", filter=segment_condition(segment, course=filters.course, at=at))
        if segment != Segment.ALL
        else Count("pk")
        for segment in Segment
    }
    return customers.aggregate(**aggregates)


@dataclass(frozen=True)
class CourseStatus:
    title: str
    status: str  # active, revoked, expired; or past_due for a subscription behind on payments


@dataclass
class CustomerRow:
    customer: Customer
    courses: list[CourseStatus] = field(default_factory=list)


def customer_rows(customers: list[Customer]) -> list[CustomerRow]:
    """Each customer with their courses and status, in two queries for the whole page: the
    enrolments (with their status) and the past-due subscriptions."""
    if not customers:
        return []
    enrolments = Enrolment.objects.select_related("course").with_status().order_by("course__title", "pk")
    prefetch_related_objects(customers, Prefetch("enrolments", queryset=enrolments))
    past_due = defaultdict(set)
    rows = Subscription.objects.filter(
        customer__in=[customer.pk for customer in customers], status=Subscription.Status.PAST_DUE
    ).values_list("customer_id", "course_id")
    for customer_id, course_id in rows:
        past_due[customer_id].add(course_id)
    return [
        CustomerRow(
            customer=customer,
            courses=[
                CourseStatus(
                    title=enrolment.course.title,
                    status="past_due"
                    if enrolment.course_id in past_due[customer.pk] and enrolment.status_now == "active"
                    else enrolment.status_now,
                )
                for enrolment in customer.enrolments.all()
            ],
        )
        for customer in customers
    ]


@dataclass
class CustomerListPage:
    segment: Segment
    filters: CustomerFilters
    counts: dict[str, int]
    page: Page
    rows: list[CustomerRow]


def customer_list_page(
    *,
    creator,
    segment: Segment = Segment.ALL,
    filters: CustomerFilters = CustomerFilters(),
    cursor: str | None = None,
    before: str | None = None,
    limit: int = 50,
) -> CustomerListPage:
    """One page of the list, newest customers first, with every segment's count: four queries."""
    page = keyset_page(
        customers_in(creator=creator, segment=segment, filters=filters),
        time_field="created_at",
        cursor=cursor,
        before=before,
        limit=limit,
    )
    return CustomerListPage(
        segment=segment,
        filters=filters,
        counts=segment_counts(creator=creator, filters=filters),
        page=page,
        rows=customer_rows(page.items),
    )
