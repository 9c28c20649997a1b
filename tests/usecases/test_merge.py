"""Merging a duplicate customer: what moves, the alias that sign-in and search still find, both
timelines, the public event, and the refusal that changes nothing."""

import datetime as dt

import pytest
from django.urls import reverse

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing.models import Payment, Subscription
from coursedesk.customers import services
from coursedesk.customers.models import Customer, CustomerNote, Enrolment
from coursedesk.customers.selectors import customer_search
from coursedesk.integrations.models import PublicEvent
from coursedesk.mail.models import OutboundEmail
from coursedesk.usecases.merge import MergeConflict, customers_merge, merge_preview
from tests.desk.conftest import make_payment, make_refund, make_subscription
from tests.factories import TEST_PASSWORD, make_course, make_customer, make_enrolment, make_page

DAY = dt.timedelta(days=1)


@pytest.fixture
def pair(creator, course, frozen_now):
    """Jessica twice: the survivor in Watercolor (expiring in 10 days), the duplicate (a typo in
    the address) in Watercolor for life and in Ink, with a payment, a refund, an email and a note."""
    ink = make_course(creator, title="Ink Sketching", slug="ink")
    survivor = make_customer(creator, email="jessica.tran@gmail.com", first_name="Jessica", last_name="Tran")
    duplicate = make_customer(creator, email="jessica.tran@gmial.com", first_name="Jessica", last_name="Tran")
    kept = make_enrolment(survivor, course, expires_at=frozen_now + 10 * DAY)
    make_enrolment(duplicate, course)
    moved = make_enrolment(duplicate, ink)
    payment = make_payment(duplicate, ink, 4900)
    make_refund(payment, 900)
    actor = Actor.creator(creator)
    services.customer_tags_set(customer=duplicate, tags=["vip"], actor=actor, source="desk")
    services.customer_tags_set(customer=survivor, tags=["cohort 3"], actor=actor, source="desk")
    services.note_add(customer=duplicate, body="Wrote from her old address.", actor=actor, source="desk")
    OutboundEmail.objects.create(
        creator=creator, customer=duplicate, kind="welcome", to=duplicate.email, subject="Welcome"
    )
    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    return {
        "survivor": survivor,
        "duplicate": duplicate,
        "ink": ink,
        "kept": kept,
        "moved": moved,
        "payment": payment,
    }


def merge(creator, pair):
    return customers_merge(
        survivor=pair["survivor"], duplicate=pair["duplicate"], actor=Actor.creator(creator), source="desk"
    )


def test_the_preview_says_what_moves(creator, pair):
    preview = merge_preview(survivor=pair["survivor"], duplicate=pair["duplicate"])

    assert preview.lines() == [
        "Access to Ink Sketching",
        "In both: Watercolor Foundations (the more generous access is kept, once)",
        "1 payment with their refunds",
        "0 subscriptions",
        "1 email",
        "1 note",
        "Tags vip",
    ]


def test_everything_moves_to_the_survivor_in_one_go(creator, course, pair, frozen_now):
    survivor, duplicate = pair["survivor"], pair["duplicate"]

    merge(creator, pair)

    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    assert (duplicate.merged_into_id, duplicate.merged_at, duplicate.email) == (
        survivor.pk,
        frozen_now,
        "jessica.tran@gmial.com",
    )
    assert survivor.email_aliases == ["jessica.tran@gmial.com"]
    assert survivor.tag_names == ["cohort 3", "vip"]
    assert Enrolment.objects.get(pk=pair["moved"].pk).customer_id == survivor.pk
    assert Payment.objects.get(pk=pair["payment"].pk).customer_id == survivor.pk
    assert OutboundEmail.objects.get().customer_id == survivor.pk
    assert CustomerNote.objects.get().customer_id == survivor.pk
    # Watercolor: the survivor's enrolment is now for life (the duplicate's was); the duplicate's is revoked
    kept = Enrolment.objects.get(pk=pair["kept"].pk)
    assert (kept.customer_id, kept.expires_at, kept.revoked_at) == (survivor.pk, None, None)
    assert Enrolment.objects.get(customer=duplicate, course=course).revoked_at == frozen_now
    assert course.student_count.active == 1
    assert course.student_count.revoked == 1


def test_both_timelines_record_the_merge_and_one_public_event_is_sent(creator, pair):
    merge(creator, pair)

    mine = AuditEvent.objects.get(type="customer.merged")
    theirs = AuditEvent.objects.get(type="customer.merged_away")
    assert (mine.customer_id, mine.data["subject"], mine.data["moved"]) == (
        pair["survivor"].pk,
        "jessica.tran@gmial.com",
        {"enrolments": 1, "shared_courses": 1, "payments": 1, "subscriptions": 0, "emails": 1, "notes": 1},
    )
    assert (theirs.customer_id, theirs.data) == (
        pair["duplicate"].pk,
        {"subject": "jessica.tran@gmail.com", "survivor_id": pair["survivor"].pk},
    )
    event = PublicEvent.objects.get(type="customer.merged")
    assert (event.data["id"], event.data["email"], event.data["tags"]) == (
        str(pair["survivor"].pk),
        "jessica.tran@gmail.com",
        ["cohort 3", "vip"],
    )


def test_search_by_the_alias_finds_the_survivor(creator, pair):
    merge(creator, pair)

    exact = list(customer_search(creator=creator, query="Jessica.Tran@gmial.com"))
    assert pair["survivor"] in exact
    assert [c.pk for c in customer_search(creator=creator, query="gmial") if c.merged_into_id is None] == [
        pair["survivor"].pk
    ]


def test_sign_in_with_the_alias_opens_the_survivors_account(client, creator, course, pair):
    merge(creator, pair)

    response = client.post(
        reverse("classroom:login", kwargs={"course_slug": course.slug}),
        {"email": "jessica.tran@gmial.com", "password": TEST_PASSWORD},
    )

    assert response.status_code == 302
    assert Customer.objects.get(pk=pair["survivor"].pk).last_login_at is not None
    assert Customer.objects.get(pk=pair["duplicate"].pk).last_login_at is None


def test_two_active_subscriptions_to_one_course_are_refused_and_nothing_changes(creator, course, pair):
    page = make_page(course, "subscription", amount=2900)
    make_subscription(pair["survivor"], course, page)
    make_subscription(pair["duplicate"], course, page, status=Subscription.Status.PAST_DUE)
    before = (
        AuditEvent.objects.count(),
        list(Enrolment.objects.values_list("pk", "customer_id", "revoked_at", "expires_at")),
        list(Payment.objects.values_list("pk", "customer_id")),
        list(Customer.objects.values_list("pk", "merged_into_id", "email_aliases", "tag_names")),
    )

    with pytest.raises(MergeConflict) as refusal:
        merge(creator, pair)

    assert (refusal.value.code, refusal.value.status) == ("merge_conflict", 409)
    assert refusal.value.message == (
        "Both customers have an active subscription to Watercolor Foundations: cancel one of them first, "
        "so that nobody pays twice for one course."
    )
    assert before == (
        AuditEvent.objects.count(),
        list(Enrolment.objects.values_list("pk", "customer_id", "revoked_at", "expires_at")),
        list(Payment.objects.values_list("pk", "customer_id")),
        list(Customer.objects.values_list("pk", "merged_into_id", "email_aliases", "tag_names")),
    )


def test_a_canceled_subscription_does_not_stand_in_the_way(creator, course, pair):
    page = make_page(course, "subscription", amount=2900)
    make_subscription(pair["survivor"], course, page)
    old = make_subscription(pair["duplicate"], course, page, status=Subscription.Status.CANCELED)

    merge(creator, pair)

    assert Subscription.objects.get(pk=old.pk).customer_id == pair["survivor"].pk


def test_a_merged_customer_cannot_be_merged_again_nor_with_themselves(creator, pair):
    merge(creator, pair)
    third = make_customer(creator, email="third@example.com")

    with pytest.raises(MergeConflict) as again:
        customers_merge(
            survivor=third, duplicate=pair["duplicate"], actor=Actor.creator(creator), source="desk"
        )
    with pytest.raises(MergeConflict) as itself:
        customers_merge(survivor=third, duplicate=third, actor=Actor.creator(creator), source="desk")

    assert again.value.message == "jessica.tran@gmial.com was already merged into another customer."
    assert itself.value.message == "A customer cannot be merged with themselves."


def test_a_later_merge_carries_the_earlier_aliases_along(creator, pair):
    merge(creator, pair)
    final = make_customer(creator, email="jt@studio.net")

    customers_merge(survivor=final, duplicate=pair["survivor"], actor=Actor.creator(creator), source="desk")

    final.refresh_from_db()
    assert final.email_aliases == ["jessica.tran@gmail.com", "jessica.tran@gmial.com"]
    assert Customer.objects.get(pk=pair["duplicate"].pk).merged_into_id == final.pk
