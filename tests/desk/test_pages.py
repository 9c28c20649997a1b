"""Activity with search, Teach page counts, the students CSV and Course Links."""

import csv
import datetime as dt
import io

from django.db import transaction
from django.http import StreamingHttpResponse
from django.urls import reverse

from coursedesk.audit.services import Actor
from coursedesk.billing.receipts import receipt_issue
from coursedesk.catalog.models import Lesson
from coursedesk.customers.models import LessonProgress
from coursedesk.customers.services import enrolment_revoke
from tests.desk.conftest import make_payment, make_refund, make_subscription
from tests.factories import make_course, make_customer, make_enrolment, make_page

# --- Activity and search --------------------------------------------------------------------------


def test_activity_lists_readable_lines_newest_first(creator_client, creator, customer, enrolment):
    enrolment_revoke(enrolment=enrolment, actor=Actor.creator(creator), source="desk")
    page = creator_client.get(reverse("desk:activity")).content.decode()
    assert "Access to Watercolor Foundations revoked" in page
    assert "maya@example.com" in page
    assert reverse("desk:customer", args=[customer.pk]) in page


def test_activity_pages_with_a_cursor(creator_client, creator, course, frozen_now):
    from coursedesk.customers.services import customer_create

    for n in range(55):
        customer_create(
            creator=creator, email=f"s{n}@example.com", actor=Actor.creator(creator), source="desk"
        )
    first = creator_client.get(reverse("desk:activity"))
    assert first.content.decode().count("Became a customer") == 50
    older = first.context["page"].next_cursor
    second = creator_client.get(reverse("desk:activity"), {"after": older})
    assert second.content.decode().count("Became a customer") == 5
    assert second.context["page"].next_cursor is None


def test_activity_never_shows_another_creators_events(creator_client, other_creator):
    from coursedesk.customers.services import customer_create

    customer_create(
        creator=other_creator, email="secret@rival.com", actor=Actor.creator(other_creator), source="desk"
    )
    assert "secret@rival.com" not in creator_client.get(reverse("desk:activity")).content.decode()


def test_search_without_javascript(creator_client, customer):
    page = creator_client.get(reverse("desk:activity"), {"q": "oka"}).content.decode()
    assert "1 customer found" in page
    assert reverse("desk:customer", args=[customer.pk]) in page


def test_search_as_you_type_returns_only_the_results(creator_client, customer):
    response = creator_client.get(
        reverse("desk:activity"), {"q": "ZOE"}, headers={"HX-Request": "true", "HX-Target": "search-results"}
    )
    page = response.content.decode()
    assert "<html" not in page
    assert "zoe@example.com" in page


def test_search_box_is_wired_for_htmx(creator_client):
    page = creator_client.get(reverse("desk:activity")).content.decode()
    assert 'hx-trigger="input changed delay:250ms, search"' in page
    assert 'method="get"' in page


def test_email_search_with_no_hit_shows_near_matches(creator_client, creator):
    near = make_customer(creator, email="jessica.tran@gmail.com", first_name="Jessica", last_name="Tran")
    page = creator_client.get(reverse("desk:activity"), {"q": "jessica.tran@gmial.com"}).content.decode()
    assert "Nobody matches" in page
    assert "Near matches" in page
    assert reverse("desk:customer", args=[near.pk]) in page


# --- Teach page -----------------------------------------------------------------------------------


def test_teach_page_counts_active_revoked_and_expired_in_one_query(
    creator_client, creator, course, frozen_now, django_assert_max_num_queries
):
    for _ in range(3):
        make_enrolment(make_customer(creator), course)
    make_enrolment(make_customer(creator), course, revoked_at=frozen_now)
    make_enrolment(make_customer(creator), course, expires_at=frozen_now - dt.timedelta(days=1))
    make_course(creator, title="Empty course", slug="empty")
    with django_assert_max_num_queries(4):  # session, user, courses, counts
        response = creator_client.get(reverse("desk:teach"))
    page = response.content.decode()
    assert '<strong class="count-active">3</strong>' in page
    assert '<span class="count-revoked">1</span>' in page
    assert '<span class="count-expired">1</span>' in page
    assert '<strong class="count-active">0</strong>' in page
    assert reverse("desk:students_csv", args=[course.pk]) in page
    assert 'class="thumb placeholder"' in page


# --- CSV ------------------------------------------------------------------------------------------


def read_csv(response):
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_lists_every_student_with_status_and_money(
    creator_client, creator, course, one_time_page, frozen_now
):
    # given an active buyer with a part refund, a revoked subscriber and an expired student
    active = make_customer(creator, email="ana@example.com", first_name="Ana", last_name="López")
    make_enrolment(
        active, course, payment_page=one_time_page, expires_at=dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    )
    make_refund(make_payment(active, course, 4900), 1000)
    subscriber = make_customer(
        creator, email="bo@example.com", first_name="Bo", last_name="Li", last_login_at=frozen_now
    )
    monthly = make_page(course, "subscription", name="Monthly", amount=2900)
    make_enrolment(subscriber, course, payment_page=monthly, revoked_at=frozen_now)
    sub = make_subscription(subscriber, course, monthly, status="canceled")
    with transaction.atomic():
        for _ in range(2):
            receipt_issue(payment=make_payment(subscriber, course, 2900, subscription=sub))
    make_payment(subscriber, course, 2900, status="failed")
    expired = make_customer(creator, email="cy@example.com", first_name="Cy", last_name="Ng")
    make_enrolment(expired, course, expires_at=frozen_now - dt.timedelta(days=2))
    # and Ana has completed two of the course's three lessons
    second = Lesson.objects.create(course=course, position=2, title="Two", body_html="<p>2</p>")
    Lesson.objects.create(course=course, position=3, title="Three", body_html="<p>3</p>")
    LessonProgress.objects.create(customer=active, lesson=course.lessons.get(position=1))
    LessonProgress.objects.create(customer=active, lesson=second)

    rows = read_csv(creator_client.get(reverse("desk:students_csv", args=[course.pk])))

    assert rows[0] == [
        "First name",
        "Last name",
        "Email",
        "Status",
        "Enrolled at",
        "Expires at",
        "Payment page",
        "Total paid",
        "Total refunded",
        "Currency",
        "Subscription status",
        "Last sign-in",
        "Receipt numbers",
        "Progress %",
    ]
    assert rows[1:] == [
        [
            "Ana",
            "López",
            "ana@example.com",
            "Active",
            "2026-11-21 10:00:00 UTC",
            "2027-01-01 00:00:00 UTC",
            "Lifetime access",
            "49.00",
            "10.00",
            "USD",
            "",
            "",
            "",
            "66",
        ],
        [
            "Bo",
            "Li",
            "bo@example.com",
            "Revoked",
            "2026-11-21 10:00:00 UTC",
            "",
            "Monthly",
            "58.00",
            "0.00",
            "USD",
            "Canceled",
            "2026-11-21 10:00:00 UTC",
            "1 2",
            "0",
        ],
        [
            "Cy",
            "Ng",
            "cy@example.com",
            "Expired",
            "2026-11-21 10:00:00 UTC",
            "2026-11-19 10:00:00 UTC",
            "Granted by hand",
            "0.00",
            "0.00",
            "",
            "",
            "",
            "",
            "0",
        ],
    ]


def test_csv_neutralises_formulas(creator_client, creator, course):
    for n, name in enumerate(['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", "\tTab", "\rReturn", "Safe"]):
        make_enrolment(make_customer(creator, email=f"f{n}@example.com", first_name=name), course)
    rows = read_csv(creator_client.get(reverse("desk:students_csv", args=[course.pk])))
    assert [row[0] for row in rows[1:]] == [
        '\'=HYPERLINK("x")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tTab",
        "'\rReturn",
        "Safe",
    ]


def test_csv_of_another_creators_course_is_404(creator_client, other_creator):
    foreign = make_course(other_creator, slug="foreign")
    assert creator_client.get(reverse("desk:students_csv", args=[foreign.pk])).status_code == 404


# --- Course links ---------------------------------------------------------------------------------


def test_links_page_has_every_link_with_a_copy_button(creator_client, course, one_time_page):
    page = creator_client.get(reverse("desk:links")).content.decode()
    for path in [
        "/courses/watercolor/",
        "/c/watercolor/login/",
        "/c/watercolor/password-reset/",
        "/c/watercolor/billing/",
        "/c/watercolor/cancel/",
        f"/buy/{one_time_page.pk}/",
    ]:
        assert path in page, path
    assert page.count("data-copy=") == 6
    assert "onclick" not in page and "<script>" not in page


def test_a_refund_reads_as_a_sentence_with_amounts(creator_client, creator, customer, payment):
    from coursedesk.billing.refunds import payment_refund

    payment_refund(payment=payment, amount=2000, actor=Actor.creator(creator), source="desk")
    page = creator_client.get(reverse("desk:activity")).content.decode()
    assert "Refunded $20.00 of Watercolor Foundations" in page
    assert "refunded: $0.00 → $20.00" in page
    assert "left to refund: $49.00 → $29.00" in page
