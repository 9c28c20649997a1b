"""The studio's coupon page: add a coupon in money, see its uses, deactivate it; never another's."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from coursedesk.audit.services import Actor
from coursedesk.catalog.coupons import coupon_create
from coursedesk.catalog.models import Coupon
from tests.factories import make_page

URL = "/studio/coupons/"


def test_an_amount_off_is_typed_as_money_and_limited_to_a_page(creator_client, creator, course, frozen_now):
    page = make_page(course, "subscription", name="Monthly", amount=1900)
    make_page(course, "free", name="Taster", amount=0)

    form = creator_client.get(URL).content.decode()
    assert "No coupons yet." in form
    assert "Taster" not in form  # a free page takes no code
    response = creator_client.post(
        URL,
        {
            "code": "welcome5",
            "kind": "amount",
            "price": "5.50",
            "currency": "usd",
            "duration": "forever",
            "last_day": "2026-12-31",
            "max_redemptions": "50",
            "payment_pages": [str(page.pk)],
        },
    )

    assert response.status_code == 302 and response["Location"] == reverse("studio:coupons")
    coupon = Coupon.objects.get()
    assert (coupon.code, coupon.amount_off, coupon.currency, coupon.duration, coupon.max_redemptions) == (
        "WELCOME5",
        550,
        "usd",
        "forever",
        50,
    )
    # Valid through its last day in the creator's zone (UTC here): it ends at the next midnight.
    assert coupon.expires_at == dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    assert list(coupon.payment_pages.all()) == [page]
    listing = creator_client.get(URL).content.decode()
    assert "WELCOME5" in listing and "$5.50 off every payment" in listing and "0 of 50" in listing


def test_a_taken_code_is_shown_on_its_field_and_nothing_is_added(creator_client, creator):
    coupon_create(creator=creator, code="SPRING", percent_off=10, actor=Actor.creator(creator), source="desk")

    response = creator_client.post(
        URL, {"code": "spring", "kind": "percent", "percent_off": "30", "duration": "once"}
    )

    assert response.status_code == 422
    assert "You already have a coupon SPRING. Choose another code." in response.content.decode()
    assert list(Coupon.objects.values_list("percent_off", flat=True)) == [10]


def test_a_percentage_is_needed_when_percent_is_chosen(creator_client):
    response = creator_client.post(
        URL, {"code": "EMPTY", "kind": "percent", "percent_off": "", "duration": "once"}
    )

    assert response.status_code == 422
    assert "Enter a percentage from 1 to 99." in response.content.decode()
    assert Coupon.objects.count() == 0


def test_deactivate_and_activate(creator_client, creator):
    coupon = coupon_create(
        creator=creator, code="SPRING", percent_off=10, actor=Actor.creator(creator), source="desk"
    )

    creator_client.post(reverse("studio:coupon_active", args=[coupon.pk]), {"active": "0"})
    coupon.refresh_from_db()
    assert coupon.active is False
    assert "inactive" in creator_client.get(URL).content.decode()

    creator_client.post(reverse("studio:coupon_active", args=[coupon.pk]), {"active": "1"})
    coupon.refresh_from_db()
    assert coupon.active is True


def test_another_creators_coupon_is_not_found_and_not_listed(creator_client, other_creator):
    theirs = coupon_create(
        creator=other_creator, code="RIVAL", percent_off=10, actor=Actor.creator(other_creator), source="desk"
    )

    response = creator_client.post(reverse("studio:coupon_active", args=[theirs.pk]), {"active": "0"})

    assert response.status_code == 404
    assert Coupon.objects.get(pk=theirs.pk).active is True
    assert "RIVAL" not in creator_client.get(URL).content.decode()
