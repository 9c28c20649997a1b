"""course_access_give: one rule for giving a course by email, whoever asks (desk, API, import)."""

from __future__ import annotations

import datetime as dt

import pytest

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import Customer, Enrolment
from coursedesk.mail.models import OutboundEmail
from coursedesk.usecases.course_access import course_access_give
from tests.factories import make_course, make_enrolment

UNTIL = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


def give(creator, course, email="zoe@example.com", **options):
    options.setdefault("send_welcome_email", True)
    return course_access_give(
        creator=creator,
        course=course,
        email=email,
        actor=Actor.creator(creator),
        source="desk",
        **options,
    )


def event_types():
    return list(AuditEvent.objects.order_by("pk").values_list("type", flat=True))


def test_a_new_person_becomes_a_customer_with_access_and_the_welcome_email(creator, course, frozen_now):
    given = give(
        creator, course, email="New@Example.com", first_name="Ana", last_name="Ruiz", expires_at=UNTIL
    )

    assert (given.customer_created, given.given_now) == (True, True)
    assert (given.customer.email, given.customer.first_name) == ("New@Example.com", "Ana")
    enrolment = Enrolment.objects.get()
    assert (enrolment.customer, enrolment.expires_at, enrolment.source) == (given.customer, UNTIL, "manual")
    assert OutboundEmail.objects.get().kind == "welcome"
    assert event_types() == ["customer.created", "enrolment.granted", "email.queued"]


def test_a_revoked_enrolment_is_restored_and_the_welcome_email_goes(creator, course, customer, frozen_now):
    make_enrolment(customer, course, revoked_at=frozen_now, expires_at=UNTIL)

    given = give(creator, course, expires_at=UNTIL + dt.timedelta(days=30))

    assert (given.customer_created, given.given_now) == (False, True)
    enrolment = Enrolment.objects.get()
    assert (enrolment.revoked_at, enrolment.expires_at) == (None, UNTIL)  # exactly as before
    assert OutboundEmail.objects.get().to == "zoe@example.com"
    assert event_types() == ["enrolment.restored", "email.queued"]


@pytest.mark.parametrize("expired", [False, True])
def test_someone_who_already_has_access_gets_nothing(creator, course, customer, frozen_now, expired):
    ends = frozen_now - dt.timedelta(days=1) if expired else None
    make_enrolment(customer, course, expires_at=ends)

    given = give(creator, course, expires_at=UNTIL)

    assert (given.customer_created, given.given_now) == (False, False)
    assert Enrolment.objects.get().expires_at == ends
    assert OutboundEmail.objects.count() == 0
    assert event_types() == []


def test_no_welcome_email_when_not_asked(creator, course, customer):
    given = give(creator, course, send_welcome_email=False)

    assert given.given_now is True
    assert OutboundEmail.objects.count() == 0
    assert event_types() == ["enrolment.granted"]


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"email": "not an email"}, "invalid_email"),
        ({"email": "new@example.com", "expires_at": dt.datetime(2027, 1, 1)}, "invalid_expires_at"),
    ],
)
def test_a_refused_value_leaves_nothing_behind(creator, course, options, code):
    with pytest.raises(DomainError) as refused:
        give(creator, course, **options)

    assert (refused.value.code, refused.value.status) == (code, 422)
    assert not Customer.objects.exists()
    assert not Enrolment.objects.exists()
    assert OutboundEmail.objects.count() == 0
    assert event_types() == []


def test_another_creators_course_is_not_found(creator, other_creator):
    foreign = make_course(other_creator, slug="foreign")

    with pytest.raises(DomainError) as refused:
        give(creator, foreign)

    assert (refused.value.code, refused.value.status) == ("not_found", 404)
    assert not Customer.objects.exists()
    assert event_types() == []


def test_an_import_marks_the_enrolment_as_imported(creator, course):
    course_access_give(
        creator=creator,
        course=course,
        email="ana@example.com",
        send_welcome_email=False,
        actor=Actor.operator("import_students"),
        source="import",
    )

    assert Enrolment.objects.get().source == "import"
    assert AuditEvent.objects.get(type="enrolment.granted").source == "import"
