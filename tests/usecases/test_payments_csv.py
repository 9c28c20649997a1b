"""The Payments export: payments taken and refunds made in a date range, oldest first, with their
receipt numbers, streamed, never cached, and only the creator's own."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.http import StreamingHttpResponse

from coursedesk.audit.services import Actor
from coursedesk.billing.payments import payment_record
from coursedesk.billing.refunds import payment_refund
from coursedesk.core import clock
from coursedesk.usecases import payments_csv
from tests.factories import make_course, make_customer

URL = "/desk/payments.csv"


def read_csv(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def pay(customer, course, amount, *, page=None, currency="usd", succeeded=True):
    return payment_record(
        customer=customer,
        course=course,
        payment_page=page,
        subscription=None,
        amount=amount,
        currency=currency,
        gateway="sandbox",
        reference=f"sbx_ch_books_{amount}_{clock.now():%d%H}",
        succeeded=succeeded,
        failure_message="" if succeeded else "The card was declined.",
        actor=Actor.buyer(customer.email),
        source="checkout",
    )


@pytest.fixture
def books(frozen_now, creator, other_creator, course, customer, one_time_page):
    """Three days of money: a payment on the 20th, a failed one and a payment on the 21st, a partial
    refund of the first on the 22nd, and another creator's payment that day."""
    clock.set_now(frozen_now - dt.timedelta(days=1))
    first = pay(customer, course, 4900, page=one_time_page)
    clock.set_now(frozen_now)
    pay(customer, course, 4900, succeeded=False)
    second = pay(
        make_customer(creator, email="=sum@example.com", first_name="Kai", last_name=""),
        course,
        500,
        currency="jpy",
    )
    clock.set_now(frozen_now + dt.timedelta(days=1))
    payment_refund(payment=first, amount=1500, actor=Actor.creator(creator), source="desk")
    rival = make_customer(other_creator, email="theirs@example.com")
    pay(rival, make_course(other_creator, title="Rival", slug="rival"), 999)
    return first, second


def test_the_export_lists_payments_and_refunds_in_the_order_the_money_moved(creator_client, books):
    first, second = books

    response = creator_client.get(URL, {"start": "2026-11-20", "end": "2026-11-22"})

    assert "no-store" in response["Cache-Control"].split(", ")
    assert response["Content-Disposition"] == 'attachment; filename="payments-2026-11-20-to-2026-11-22.csv"'
    rows = read_csv(response)
    assert rows[0] == payments_csv.HEADER
    assert rows[1:] == [
        [
            "2026-11-20 10:00:00",
            "Payment",
            "1",
            "Zoë Okafor",
            "zoe@example.com",
            "Watercolor Foundations",
            "Lifetime access",
            "49.00",
            "",
            "USD",
            "sandbox",
            first.gateway_payment_id,
            str(first.pk),
            "",
        ],
        [
            "2026-11-21 10:00:00",
            "Payment",
            "2",
            "Kai",
            "'=sum@example.com",
            "Watercolor Foundations",
            "",
            "500",
            "",
            "JPY",
            "sandbox",
            second.gateway_payment_id,
            str(second.pk),
            "",
        ],
        [
            "2026-11-22 10:00:00",
            "Refund",
            "3",
            "Zoë Okafor",
            "zoe@example.com",
            "Watercolor Foundations",
            "Lifetime access",
            "-15.00",
            "",
            "USD",
            "sandbox",
            first.refunds.get().gateway_refund_id,
            str(first.pk),
            str(first.refunds.get().pk),
        ],
    ]


def test_the_range_includes_both_days_and_nothing_outside(creator_client, books):
    rows = read_csv(creator_client.get(URL, {"start": "2026-11-21", "end": "2026-11-21"}))

    assert [(row[1], row[2]) for row in rows[1:]] == [("Payment", "2")]


def test_without_dates_everything_so_far_is_listed(creator_client, books):
    rows = read_csv(creator_client.get(URL))

    assert [(row[1], row[7]) for row in rows[1:]] == [
        ("Payment", "49.00"),
        ("Payment", "500"),
        ("Refund", "-15.00"),
    ]


def test_a_start_after_the_end_is_refused_with_a_sentence(creator_client, books):
    response = creator_client.get(URL, {"start": "2026-11-22", "end": "2026-11-20"}, follow=True)

    assert response.redirect_chain == [("/desk/teach/", 302)]
    assert "The start date comes after the end date." in response.content.decode()


def test_a_date_that_is_no_date_is_refused(creator_client, books):
    response = creator_client.get(URL, {"start": "yesterday"}, follow=True)

    assert "Choose the dates as YYYY-MM-DD." in response.content.decode()


def test_a_large_export_streams_in_blocks(creator_client, frozen_now, creator, course, monkeypatch):
    monkeypatch.setattr(payments_csv, "CHUNK", 3)
    customer = make_customer(creator, email="many@example.com")
    for n in range(7):
        clock.set_now(frozen_now + dt.timedelta(minutes=n))
        pay(customer, course, 100 + n)

    response = creator_client.get(URL)
    blocks = list(response.streaming_content)

    assert len(blocks) == 4  # the header, then 3 + 3 + 1 lines
    assert [row[2] for row in read_csv(creator_client.get(URL))[1:]] == ["1", "2", "3", "4", "5", "6", "7"]


def test_the_teach_page_offers_the_export(creator_client, creator):
    html = creator_client.get("/desk/teach/").content.decode()

    assert 'action="/desk/payments.csv"' in html
    assert "Download payments (CSV)" in html
