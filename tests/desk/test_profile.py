"""The Customer Profile: everything SPEC §5.2 lists, in a fixed number of queries."""

import datetime as dt

from django.urls import reverse

from coursedesk.audit.services import Actor
from coursedesk.catalog.models import Lesson
from coursedesk.customers.models import LessonProgress
from coursedesk.customers.services import enrolment_revoke, note_add
from tests.desk.conftest import make_payment, make_refund, make_subscription
from tests.factories import make_course, make_customer, make_enrolment, make_page

# The session with its signed-in creator, the customer (with its notes and its address's
# suppression), then enrolments, payments, subscriptions, emails and timeline
# (tests/desk/test_profile_queries.py).
PROFILE_QUERIES = 7


def profile_url(customer):
    return reverse("desk:customer", args=[customer.pk])


def test_profile_shows_enrolments_payments_subscriptions_emails_and_timeline(
    creator_client, creator, customer, course, enrolment, payment, subscription
):
    # given a partly refunded payment, a revoked second course and a welcome email
    make_refund(payment, 2000)
    other = make_course(creator, title="Ink Sketching", slug="ink")
    revoked = make_enrolment(customer, other, expires_at=dt.datetime(2027, 3, 1, tzinfo=dt.UTC))
    enrolment_revoke(enrolment=revoked, actor=Actor.creator(creator), source="desk")
    from coursedesk.mail.services import welcome_email_queue

    welcome_email_queue(customer=customer, course=course, actor=Actor.creator(creator), source="desk")

    # when the creator opens the profile
    response = creator_client.get(profile_url(customer))

    # then everything is there
    assert response.status_code == 200
    page = response.content.decode()
    for text in [
        "Zoë Okafor",
        "zoe@example.com",
        "Customer since",
        "Last sign-in",
        "Watercolor Foundations",
        "Ink Sketching",
        "1 Mar 2027",
        "$49.00",
        "$20.00",
        "$29.00",  # amount, refunded, left to refund
        "21 Dec 2026",  # next payment of the subscription
        "Welcome to Watercolor Foundations",  # the email, with its delivery status
        "Access to Ink Sketching revoked",
        "by maya@example.com",
        "status: active → revoked",
        reverse("desk:enrolment_grant", args=[revoked.pk]),
        reverse("desk:enrolment_revoke", args=[enrolment.pk]),
        reverse("desk:payment_refund", args=[payment.pk]),
        reverse("desk:subscription_pause", args=[subscription.pk]),
        reverse("desk:subscription_cancel", args=[subscription.pk]),
    ]:
        assert text in page, text
    assert reverse("desk:enrolment_revoke", args=[revoked.pk]) not in page


def test_profile_queries_do_not_grow_with_payments_and_enrolments(
    creator_client, creator, customer, course, enrolment, payment, django_assert_max_num_queries
):
    def many():
        for n in range(6):
            extra = make_course(creator)
            page = make_page(extra, "subscription", amount=1000 + n)
            make_enrolment(customer, extra)
            paid = make_payment(customer, extra, 1000 + n)
            make_refund(paid, 100)
            make_subscription(customer, extra, page)

    with django_assert_max_num_queries(PROFILE_QUERIES) as few:
        creator_client.get(profile_url(customer))
    many()
    with django_assert_max_num_queries(len(few)):
        response = creator_client.get(profile_url(customer))
    assert response.content.decode().count('id="payment-') == 7


def test_profiles_opened_one_after_the_other_show_each_customers_own_lists(
    creator_client, creator, customer, course, enrolment, payment
):
    # given a second customer of the same creator with a payment, a note and progress of their own
    other = make_customer(creator, email="ada@example.com", first_name="Ada")
    other_enrolment = make_enrolment(other, course)
    other_payment = make_payment(other, course, 1500)
    LessonProgress.objects.create(customer=other, lesson=course.lessons.first())
    note = note_add(customer=other, body="Ada's own note.", actor=Actor.creator(creator), source="desk")

    first = creator_client.get(profile_url(customer)).content.decode()
    second = creator_client.get(profile_url(other)).content.decode()

    assert f'id="payment-{payment.pk}"' in first and f'id="payment-{other_payment.pk}"' not in first
    assert f'id="payment-{other_payment.pk}"' in second and f'id="payment-{payment.pk}"' not in second
    assert f'id="enrolment-{other_enrolment.pk}"' in second and f'id="enrolment-{enrolment.pk}"' not in second
    assert f'id="note-{note.pk}"' in second and f'id="note-{note.pk}"' not in first
    assert f'id="progress-{other_enrolment.pk}"><progress max="100" value="100"' in second
    assert f'id="progress-{enrolment.pk}"><progress max="100" value="0"' in first


def test_profile_fragment_for_htmx(creator_client, customer):
    response = creator_client.get(
        profile_url(customer), headers={"HX-Request": "true", "HX-Target": "profile"}
    )
    page = response.content.decode()
    assert page.startswith('<div id="profile">')
    assert "<html" not in page


def test_a_past_due_subscription_shows_its_next_retry_and_the_retries_left(
    creator_client, customer, course, frozen_now
):
    page = make_page(course, "subscription", amount=1900, interval="month")
    make_subscription(
        customer,
        course,
        page,
        status="past_due",
        retries_left=2,
        next_retry_at=dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC),
    )

    html = creator_client.get(profile_url(customer)).content.decode()

    assert "next retry 26 Nov 2026, 2 retries left" in html


def test_profile_shows_each_courses_lesson_progress(creator_client, customer, course, enrolment):
    for position in (2, 3, 4):
        Lesson.objects.create(course=course, position=position, title=f"Lesson {position}")
    for lesson in course.lessons.order_by("position")[:3]:
        LessonProgress.objects.create(customer=customer, lesson=lesson)

    html = creator_client.get(profile_url(customer)).content.decode()

    assert (
        f'<td class="small" data-label="Progress" id="progress-{enrolment.pk}">'
        '<progress max="100" value="75" aria-hidden="true"></progress> 75% '
        '<span class="muted">(3 of 4 lessons)</span></td>'
    ) in html
