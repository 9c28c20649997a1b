"""Payment pages made by creators: each kind, refusals that change nothing, new prices for new buyers."""

from __future__ import annotations

import pytest

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.catalog.models import PaymentPage
from coursedesk.catalog.payment_pages import payment_page_create, payment_page_delete, payment_page_update
from coursedesk.core.errors import DomainError
from tests.desk.conftest import make_payment, make_subscription
from tests.factories import make_page


def by(creator):
    return {"actor": Actor.creator(creator), "source": "desk"}


def test_each_kind_is_made_with_its_shape(creator, course):
    one_time = payment_page_create(
        course=course, name="Lifetime", kind="one_time", amount=4900, **by(creator)
    )
    monthly = payment_page_create(
        course=course,
        name="Monthly",
        kind="subscription",
        amount=1900,
        interval="month",
        trial_days=7,
        **by(creator),
    )
    plan = payment_page_create(
        course=course,
        name="3 payments",
        kind="payment_plan",
        amount=2000,
        interval="month",
        installments=3,
        **by(creator),
    )
    free = payment_page_create(course=course, name="Free", kind="free", **by(creator))

    assert [page.describe_price() for page in (one_time, monthly, plan, free)] == [
        "$49.00",
        "$19.00 / month after a 7-day free trial",
        "3 × $20.00 / month",
        "Free",
    ]
    assert (free.amount, free.currency, free.interval) == (0, "usd", "")
    event = AuditEvent.objects.filter(type="payment_page.created").order_by("pk")[1]
    assert event.data == {
        "course": "Watercolor Foundations",
        "course_id": course.pk,
        "payment_page": "Monthly",
        "kind": "subscription",
        "amount": 1900,
        "currency": "usd",
        "interval": "month",
        "installments": None,
        "trial_days": 7,
    }


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"kind": "one_time", "amount": 0}, "invalid_amount"),
        ({"kind": "one_time", "amount": True}, "invalid_amount"),
        ({"kind": "one_time", "amount": 4900, "currency": "dollars"}, "invalid_currency"),
        ({"kind": "subscription", "amount": 1900, "interval": "week"}, "invalid_interval"),
        (
            {"kind": "payment_plan", "amount": 1900, "interval": "month", "installments": 1},
            "invalid_installments",
        ),
        ({"kind": "one_time", "amount": 4900, "trial_days": 7}, "invalid_trial"),
        ({"kind": "free", "amount": 500}, "invalid_amount"),
        ({"kind": "barter", "amount": 1}, "invalid_kind"),
    ],
)
def test_a_page_that_does_not_make_sense_is_refused_and_nothing_is_made(creator, course, fields, code):
    with pytest.raises(DomainError) as refused:
        payment_page_create(course=course, name="Offer", **fields, **by(creator))

    assert (refused.value.code, refused.value.status) == (code, 422)
    assert PaymentPage.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_a_price_change_is_for_new_buyers_and_running_subscriptions_keep_theirs(creator, course, customer):
    page = make_page(
        course, "subscription", amount=1900, gateway_product_id="prod_1", gateway_price_id="plan_old"
    )
    running = make_subscription(customer, course, page)

    payment_page_update(page=page, amount=2900, **by(creator))

    page.refresh_from_db()
    running.refresh_from_db()
    assert (page.amount, page.gateway_product_id, page.gateway_price_id) == (2900, "prod_1", "")
    assert (running.amount, running.currency) == (1900, "usd")
    event = AuditEvent.objects.get(type="payment_page.updated")
    assert event.data["amount"] == {"old": 1900, "new": 2900}


def test_a_page_with_sales_is_not_deleted_and_can_be_deactivated(creator, course, customer, one_time_page):
    make_payment(customer, course, payment_page=one_time_page)

    with pytest.raises(DomainError) as refused:
        payment_page_delete(page=one_time_page, **by(creator))

    assert (refused.value.code, refused.value.status) == ("payment_page_delete_not_allowed", 405)
    assert PaymentPage.objects.filter(pk=one_time_page.pk).exists()
    assert AuditEvent.objects.count() == 0

    payment_page_update(page=one_time_page, active=False, **by(creator))
    assert PaymentPage.objects.get(pk=one_time_page.pk).active is False


def test_a_page_without_sales_is_deleted(creator, course, one_time_page):
    payment_page_delete(page=one_time_page, **by(creator))

    assert not PaymentPage.objects.filter(pk=one_time_page.pk).exists()
    assert list(AuditEvent.objects.values_list("type", flat=True)) == ["payment_page.deleted"]
