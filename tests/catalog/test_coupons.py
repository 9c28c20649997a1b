"""Coupons: made with their rules, refused with a reason that changes nothing, quoted exactly."""

from __future__ import annotations

import datetime as dt

import pytest

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.catalog.coupons import coupon_create, coupon_quote, coupon_update
from coursedesk.catalog.models import Coupon
from coursedesk.catalog.payment_pages import payment_page_delete
from coursedesk.core import clock
from coursedesk.core.errors import DomainError
from tests.factories import make_course, make_page


def by(creator):
    return {"actor": Actor.creator(creator), "source": "desk"}


def test_a_percentage_coupon_limited_to_one_page_is_made_and_audited(frozen_now, creator, one_time_page):
    ends = frozen_now + dt.timedelta(days=30)

    coupon = coupon_create(
        creator=creator,
        code=" spring25 ",
        percent_off=25,
        duration="forever",
        expires_at=ends,
        max_redemptions=10,
        payment_pages=[one_time_page],
        **by(creator),
    )

    coupon.refresh_from_db()
    assert (coupon.code, coupon.percent_off, coupon.amount_off, coupon.currency) == ("SPRING25", 25, None, "")
    assert (coupon.duration, coupon.expires_at, coupon.max_redemptions, coupon.times_redeemed) == (
        "forever",
        ends,
        10,
        0,
    )
    assert list(coupon.payment_pages.all()) == [one_time_page]
    assert coupon.describe() == "25% off every payment"
    event = AuditEvent.objects.get(type="coupon.created")
    assert event.data == {
        "subject": "SPRING25",
        "percent_off": 25,
        "amount_off": None,
        "currency": "",
        "duration": "forever",
        "expires_at": "2026-12-21T10:00:00+00:00",
        "max_redemptions": 10,
        "payment_page_ids": [one_time_page.pk],
    }


def test_an_amount_coupon_keeps_its_currency(creator):
    coupon = coupon_create(creator=creator, code="TENOFF", amount_off=1000, currency="USD", **by(creator))

    assert (coupon.amount_off, coupon.currency, coupon.duration) == (1000, "usd", "once")
    assert coupon.describe() == "$10.00 off"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"code": "x", "percent_off": 10}, "invalid_code"),
        ({"code": "HAS SPACE", "percent_off": 10}, "invalid_code"),
        ({"code": "BOTH", "percent_off": 10, "amount_off": 100, "currency": "usd"}, "invalid_discount"),
        ({"code": "NONE"}, "invalid_discount"),
        ({"code": "ALL", "percent_off": 100}, "invalid_percent_off"),
        ({"code": "ZERO", "percent_off": 0}, "invalid_percent_off"),
        ({"code": "NOCUR", "amount_off": 500}, "invalid_currency"),
        ({"code": "NEG", "amount_off": -5, "currency": "usd"}, "invalid_amount_off"),
        ({"code": "DUR", "percent_off": 10, "duration": "repeating"}, "invalid_duration"),
        ({"code": "USES", "percent_off": 10, "max_redemptions": 0}, "invalid_max_redemptions"),
        (
            {"code": "PAST", "percent_off": 10, "expires_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)},
            "invalid_expires_at",
        ),
    ],
)
def test_a_bad_coupon_is_refused_and_nothing_is_made(frozen_now, creator, fields, code):
    with pytest.raises(DomainError) as refused:
        coupon_create(creator=creator, **fields, **by(creator))

    assert (refused.value.code, refused.value.status) == (code, 422)
    assert (Coupon.objects.count(), AuditEvent.objects.count()) == (0, 0)


def test_a_code_taken_is_refused_in_any_case_and_another_creator_may_use_it(creator, other_creator):
    coupon_create(creator=creator, code="SPRING", percent_off=10, **by(creator))

    with pytest.raises(DomainError) as refused:
        coupon_create(creator=creator, code="spring", percent_off=20, **by(creator))

    assert (refused.value.code, refused.value.status) == ("coupon_code_taken", 409)
    assert refused.value.message == "You already have a coupon SPRING. Choose another code."
    assert list(Coupon.objects.values_list("percent_off", flat=True)) == [10]
    coupon_create(creator=other_creator, code="SPRING", percent_off=20, **by(other_creator))
    assert Coupon.objects.count() == 2


def test_a_coupon_cannot_name_another_creators_page_or_a_page_in_another_currency(
    creator, other_creator, course
):
    foreign = make_page(make_course(other_creator), "one_time")
    euro = make_page(course, "one_time", currency="eur")

    with pytest.raises(DomainError) as foreign_refused:
        coupon_create(creator=creator, code="MINE", percent_off=10, payment_pages=[foreign], **by(creator))
    with pytest.raises(DomainError) as currency_refused:
        coupon_create(
            creator=creator, code="TEN", amount_off=1000, currency="usd", payment_pages=[euro], **by(creator)
        )

    assert foreign_refused.value.code == currency_refused.value.code == "invalid_payment_pages"
    assert Coupon.objects.count() == 0


def test_a_quote_takes_the_percentage_off_rounded_half_up(creator, course):
    page = make_page(course, "one_time", amount=1999)
    coupon_create(creator=creator, code="HALF", percent_off=50, **by(creator))

    quote = coupon_quote(page=page, code="half")

    assert (quote.amount, quote.discount, quote.currency, quote.coupon.code) == (999, 1000, "usd", "HALF")
    assert (str(quote.price), str(quote.full_price), str(quote.saving)) == ("$9.99", "$19.99", "$10.00")


def test_an_empty_code_quotes_the_page_price(one_time_page):
    quote = coupon_quote(page=one_time_page, code="  ")

    assert (quote.amount, quote.discount, quote.coupon) == (4900, 0, None)


def _refusal(page, code):
    with pytest.raises(DomainError) as refused:
        coupon_quote(page=page, code=code)
    assert (refused.value.code, refused.value.status) == ("coupon_invalid", 409)
    return refused.value.message


def test_each_code_that_does_not_apply_is_refused_with_its_reason(
    frozen_now, creator, other_creator, course, one_time_page
):
    other_page = make_page(course, "one_time", name="Bundle", amount=9900)
    coupon_create(creator=other_creator, code="RIVAL", percent_off=10, **by(other_creator))
    coupon_create(
        creator=creator, code="ONLYONE", percent_off=10, payment_pages=[one_time_page], **by(creator)
    )
    coupon_create(
        creator=creator,
        code="SOON",
        percent_off=10,
        expires_at=frozen_now + dt.timedelta(hours=1),
        **by(creator),
    )
    used = coupon_create(creator=creator, code="USED", percent_off=10, max_redemptions=1, **by(creator))
    Coupon.objects.filter(pk=used.pk).update(times_redeemed=1)
    off = coupon_create(creator=creator, code="OFF", percent_off=10, **by(creator))
    coupon_update(coupon=off, active=False, **by(creator))
    coupon_create(creator=creator, code="EUROS", amount_off=500, currency="eur", **by(creator))
    coupon_create(creator=creator, code="HUGE", amount_off=4900, currency="usd", **by(creator))
    clock.advance(dt.timedelta(hours=1))

    assert _refusal(one_time_page, "NOPE") == "There is no code NOPE. Check its spelling."
    assert _refusal(one_time_page, "RIVAL") == "There is no code RIVAL. Check its spelling."
    assert _refusal(other_page, "ONLYONE") == "The code ONLYONE is not valid for Bundle."
    assert _refusal(one_time_page, "SOON") == "The code SOON has expired."
    assert _refusal(one_time_page, "USED") == "The code USED has been used up."
    assert _refusal(one_time_page, "OFF") == "The code OFF is no longer valid."
    assert _refusal(one_time_page, "EUROS") == "The code EUROS is for prices in EUR."
    assert _refusal(one_time_page, "HUGE") == (
        "The code HUGE would take off the whole price, so it cannot be used here."
    )
    assert coupon_quote(page=one_time_page, code="ONLYONE").amount == 4410


def test_deactivating_is_audited_once_and_activating_brings_it_back(creator, one_time_page):
    coupon = coupon_create(creator=creator, code="SPRING", percent_off=10, **by(creator))

    coupon_update(coupon=coupon, active=False, **by(creator))
    coupon_update(coupon=coupon, active=False, **by(creator))

    assert list(AuditEvent.objects.filter(type="coupon.updated").values_list("data", flat=True)) == [
        {"subject": "SPRING", "active": {"old": True, "new": False}}
    ]
    coupon_update(coupon=coupon, active=True, **by(creator))
    assert coupon_quote(page=one_time_page, code="SPRING").amount == 4410


def test_a_coupon_limited_to_a_deleted_page_applies_nowhere_else(creator, course, one_time_page):
    other_page = make_page(course, "one_time", name="Bundle", amount=9900)
    coupon_create(
        creator=creator, code="ONLYONE", percent_off=10, payment_pages=[one_time_page], **by(creator)
    )

    payment_page_delete(page=one_time_page, **by(creator))

    with pytest.raises(DomainError) as refused:
        coupon_quote(page=other_page, code="ONLYONE")
    assert refused.value.message == "The code ONLYONE is not valid for Bundle."
