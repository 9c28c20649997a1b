"""A profile opened again is not rendered again, and never shows what it showed before a change.

Each change below is made behind the desk's back (a plain UPDATE or INSERT, as a webhook, a worker
or another node would), or is only time passing. After each, the page the desk answers must equal
the page rendered from nothing, and must differ from the page before the change.
"""

from __future__ import annotations

import datetime as dt
import re

from django.test import Client

from coursedesk.audit.models import AuditEvent
from coursedesk.billing.models import Subscription
from coursedesk.catalog.models import Course, Lesson, PaymentPage
from coursedesk.core import clock
from coursedesk.customers.models import Customer, CustomerNote, Enrolment, LessonProgress
from coursedesk.desk import rendered
from coursedesk.mail.models import EmailSuppression, OutboundEmail
from tests.desk.conftest import make_refund
from tests.desk.test_profile import profile_url
from tests.factories import make_customer, make_email, make_page

CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+"')


def page_of(response) -> str:
    assert response.status_code == 200
    # Each answer masks the CSRF token afresh: the rest of the page is what is compared.
    return CSRF_VALUE.sub(r'\1"', response.content.decode())


def rendered_templates(response) -> list[str]:
    return [template.name for template in response.templates]


def test_the_same_profile_opened_again_is_not_rendered_again(creator_client, customer, payment, subscription):
    first = creator_client.get(profile_url(customer))
    again = creator_client.get(profile_url(customer))
    assert "desk/_profile.html" in rendered_templates(first)
    assert "desk/_profile.html" not in rendered_templates(again)
    assert page_of(again) == page_of(first)
    # htmx asks for the profile's part alone: the same kept HTML
    part = creator_client.get(profile_url(customer), headers={"HX-Request": "true", "HX-Target": "profile"})
    assert "desk/_profile.html" not in rendered_templates(part)
    assert page_of(part).strip() in page_of(first)


def test_each_viewer_gets_their_own_csrf_token_in_a_kept_page(creator, customer, enrolment):
    first, second = Client(), Client()
    first.force_login(creator)
    second.force_login(creator)
    first.get(profile_url(customer))
    response = second.get(profile_url(customer))
    assert "desk/_profile.html" not in rendered_templates(response)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()).group(1)
    assert rendered._TOKEN_MARK not in response.content.decode()
    # the kept page's form posts with the second viewer's token
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.cookies = second.cookies
    view_as = re.search(r'<form method="post" action="([^"]+)"', response.content.decode()).group(1)
    answer = csrf_client.post(view_as, {"csrfmiddlewaretoken": token})
    assert answer.status_code in (200, 302), answer.status_code


def test_a_notice_is_its_own_page(creator_client, customer, enrolment):
    plain = page_of(creator_client.get(profile_url(customer)))
    offer = page_of(creator_client.get(profile_url(customer) + "?offer=welcome-email"))
    assert "Send the welcome email again" in offer
    assert "Send the welcome email again" not in plain
    assert page_of(creator_client.get(profile_url(customer))) == plain


def _changes(creator, customer, course, enrolment, payment, subscription):
    """(what changes, how) in the order they are made; each must show on the page."""
    email = make_email(creator, customer)
    lesson = Lesson.objects.filter(course=course).first()

    def later(hours):
        return lambda: clock.set_now(clock.now() + dt.timedelta(hours=hours))

    return [
        ("the course is renamed", lambda: Course.objects.filter(pk=course.pk).update(title="Watercolor II")),
        (
            "a lesson is added",
            lambda: Lesson.objects.create(course=course, position=2, title="Two", body_html="<p>2</p>"),
        ),
        ("a lesson is done", lambda: LessonProgress.objects.create(customer=customer, lesson=lesson)),
        (
            "the enrolment gets an end",
            lambda: Enrolment.objects.filter(pk=enrolment.pk).update(
                expires_at=clock.now() + dt.timedelta(hours=1)
            ),
        ),
        ("time passes the end (no row changes)", later(2)),
        ("a refund lands", lambda: make_refund(payment, 900)),
        (
            "the email is delivered",
            lambda: OutboundEmail.objects.filter(pk=email.pk).update(status="delivered"),
        ),
        (
            "the email's provider reports",
            lambda: OutboundEmail.objects.filter(pk=email.pk).update(delivery_detail="Opened"),
        ),
        (
            "the address bounces",
            lambda: EmailSuppression.objects.create(
                creator=creator, address=customer.email, reason="bounced"
            ),
        ),
        (
            "a note is written",
            lambda: CustomerNote.objects.create(
                customer=customer, body="Called about the refund", author_label="x"
            ),
        ),
        ("a tag is added", lambda: Customer.objects.filter(pk=customer.pk).update(tag_names=["vip"])),
        (
            "the payment page is renamed",
            lambda: PaymentPage.objects.filter(pk=enrolment.payment_page_id).update(name="Forever"),
        ),
        (
            "the subscription falls past due",
            lambda: Subscription.objects.filter(pk=subscription.pk).update(
                status=Subscription.Status.PAST_DUE
            ),
        ),
        (
            "an event is recorded",
            lambda: AuditEvent.objects.create(
                creator=creator,
                customer=customer,
                type="customer.updated",
                actor_kind="system",
                actor_label="CourseDesk",
                source="api",
            ),
        ),
        (
            "the creator writes dates otherwise",
            lambda: type(creator).objects.filter(pk=creator.pk).update(date_format="Y-m-d"),
        ),
        (
            "the creator's zone changes",
            lambda: type(creator).objects.filter(pk=creator.pk).update(time_zone="Asia/Tokyo"),
        ),
        ("the creator sells in a second currency", lambda: make_page(course, "one_time", currency="eur")),
        ("the customer is renamed", lambda: Customer.objects.filter(pk=customer.pk).update(first_name="Zoé")),
    ]


def test_every_change_shows_at_once(
    creator_client, creator, customer, course, enrolment, payment, subscription
):
    before = page_of(creator_client.get(profile_url(customer)))
    for what, change in _changes(creator, customer, course, enrolment, payment, subscription):
        page_of(creator_client.get(profile_url(customer)))  # the page before the change is kept
        change()
        answered = page_of(creator_client.get(profile_url(customer)))
        rendered.kept.clear()
        fresh = page_of(creator_client.get(profile_url(customer)))
        assert answered == fresh, what
        assert fresh != before, f"{what}: the page does not show it"
        before = fresh


def test_another_customer_with_the_same_rows_is_another_page(creator_client, creator, customer, enrolment):
    twin = make_customer(creator, email="twin@example.com", first_name="Zoë", last_name="Okafor")
    mine = page_of(creator_client.get(profile_url(customer)))
    theirs = page_of(creator_client.get(profile_url(twin)))
    assert "twin@example.com" in theirs and "twin@example.com" not in mine


def test_keeping_can_be_turned_off(settings, creator_client, customer, enrolment):
    settings.DESK_PROFILES_KEPT = 0
    creator_client.get(profile_url(customer))
    again = creator_client.get(profile_url(customer))
    assert "desk/_profile.html" in rendered_templates(again)
    assert len(rendered.kept) == 0


def test_at_most_the_setting_s_number_of_pages_are_kept(settings, creator_client, creator):
    settings.DESK_PROFILES_KEPT = 3
    customers = [make_customer(creator) for _ in range(5)]
    for customer in customers:
        creator_client.get(profile_url(customer))
    assert len(rendered.kept) == 3
    # the oldest went first: the newest three are kept
    newest = creator_client.get(profile_url(customers[-1]))
    oldest = creator_client.get(profile_url(customers[0]))
    assert "desk/_profile.html" not in rendered_templates(newest)
    assert "desk/_profile.html" in rendered_templates(oldest)


def test_opening_a_profile_keys_it_on_the_rows_as_answered(
    creator, customer, enrolment, payment, subscription
):
    """profile_open hands the desk its rows as the database answered them, and every cell of them is
    one the digest writes in full, on this database: the key is made from them, not the instances."""
    from coursedesk.core.digest import answered_digest
    from coursedesk.usecases.profile import profile_open

    profile = profile_open(creator=creator, customer_id=customer.pk)
    assert (
        len(profile.answered) == 6
    )  # the customer, then enrolments, payments, subscriptions, emails, timeline
    assert [len(rows) for rows in profile.answered[1:4]] == [
        len(profile.enrolments),
        len(profile.payments),
        len(profile.subscriptions),
    ]
    assert any(customer.email in row for row in profile.answered[0])
    answered_digest(profile.answered)  # raises NotDigestible for a cell it cannot write in full
    key = rendered._key(profile, {})
    assert key is not None
    assert key == rendered._key(profile_open(creator=creator, customer_id=customer.pk), {})
    assert key != rendered._key(profile_open(creator=creator, customer_id=customer.pk), {"notice": "Done."})
