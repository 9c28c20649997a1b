"""Small builders for test data. They write rows directly; services are what tests exercise."""

from __future__ import annotations

import itertools

from coursedesk.accounts.models import Creator
from coursedesk.catalog.models import Course, Lesson, PaymentPage
from coursedesk.customers.models import Customer, Enrolment, EnrolmentCountStatus
from coursedesk.customers.services import course_counts_move

_sequence = itertools.count(1)

# A fast hash for test customers: Argon2 on every builder call would slow the suite down.
TEST_PASSWORD = "correct horse battery"


def make_creator(email: str | None = None, **fields) -> Creator:
    n = next(_sequence)
    return Creator.objects.create_user(
        email=email or f"creator{n}@example.com", password=TEST_PASSWORD, **fields
    )


def make_course(creator: Creator, **fields) -> Course:
    n = next(_sequence)
    fields.setdefault("title", f"Course {n}")
    fields.setdefault("slug", f"course-{n}")
    fields.setdefault("contact_email", "help@example.com")
    fields.setdefault("published", True)
    course = Course.objects.create(creator=creator, **fields)
    Lesson.objects.create(
        course=course, position=1, title="First lesson", body_html="<p>The secret of lesson one.</p>"
    )
    return course


def make_page(course: Course, kind: str = "one_time", **fields) -> PaymentPage:
    fields.setdefault("name", kind.replace("_", " ").title())
    fields.setdefault("amount", 4900)
    fields.setdefault("currency", "usd")
    if kind not in ("one_time", "free"):
        fields.setdefault("interval", "month")
    if kind == "payment_plan":
        fields.setdefault("installments", 3)
    return PaymentPage.objects.create(course=course, kind=kind, **fields)


def make_customer(creator: Creator, email: str | None = None, **fields) -> Customer:
    n = next(_sequence)
    customer = Customer(
        creator=creator,
        email=email or f"student{n}@example.com",
        first_name=fields.pop("first_name", "Sam"),
        last_name=fields.pop("last_name", f"Student{n}"),
        **fields,
    )
    customer.password = fast_password_hash()
    customer.save()
    return customer


def make_enrolment(customer: Customer, course: Course, **fields) -> Enrolment:
    """An enrolment row, counted in its course's counters as the enrolment services would."""
    enrolment = Enrolment.objects.create(customer=customer, course=course, **fields)
    course_counts_move(course_id=course.pk, before=None, after=EnrolmentCountStatus.of(enrolment))
    return enrolment


def make_email(creator: Creator, customer: Customer, **fields):
    """A welcome email to the customer, as the outbox stores it."""
    from coursedesk.mail.models import OutboundEmail

    fields.setdefault("kind", "welcome")
    fields.setdefault("to", customer.email)
    fields.setdefault("subject", "Welcome")
    fields.setdefault("text_body", "Hi")
    return OutboundEmail.objects.create(creator=creator, customer=customer, **fields)


_hash_cache: dict[tuple[str, str], str] = {}


def fast_password_hash(raw: str = TEST_PASSWORD) -> str:
    """A password hash computed once per password and hasher: some tests put a fast hasher first,
    and a hash made by it must not be reused by tests where that hasher is not allowed."""
    from django.conf import settings

    key = (settings.PASSWORD_HASHERS[0], raw)
    if key not in _hash_cache:
        from django.contrib.auth.hashers import make_password

        _hash_cache[key] = make_password(raw)
    return _hash_cache[key]
