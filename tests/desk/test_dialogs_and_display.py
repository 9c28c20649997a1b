"""The desk's second generation, found tried as a new user would: checks before the confirmation, dialogs
that name their object, honest payment badges, erasure explained, one date format in the creator's zone."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.urls import reverse

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing.models import Payment
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import Customer
from coursedesk.customers.services import customer_erasure_request
from tests.classroom.conftest import sign_in
from tests.desk.conftest import make_payment, make_refund, snapshot
from tests.factories import make_customer, make_enrolment, make_page

HTMX = {"HX-Request": "true", "HX-Target": "dialog"}


def url(name, obj):
    return reverse(f"desk:{name}", args=[obj.pk])


def field_errors(page: str, field: str) -> list[str]:
    """The error list Django renders next to `field` (id_<field>_error)."""
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", match.group(1)) if match else []


# --- 1. Checks run before the confirmation --------------------------------------------------------


def test_a_refund_above_what_is_left_is_refused_on_continue_next_to_the_field(creator_client, payment):
    # Given a $49.00 payment of which $20.00 was refunded
    make_refund(payment, 2000)
    before = snapshot()
    # When the creator types 500 and presses Continue
    response = creator_client.post(url("payment_refund", payment), {"amount": "500"}, headers=HTMX)
    page = response.content.decode()
    # Then no confirmation is offered; the refusal stands next to the amount, which keeps what was typed
    assert response.status_code == 200
    assert 'name="confirmed"' not in page
    assert field_errors(page, "amount") == ["Only $29.00 is left to refund on this payment."]
    assert 'name="amount" value="500"' in page
    assert 'aria-invalid="true"' in page
    assert snapshot() == before


def test_editing_to_another_customers_email_is_refused_on_continue(creator_client, creator, customer):
    make_customer(creator, email="taken@example.com")
    before = snapshot()
    data = {"first_name": "Zoë", "last_name": "Okafor", "email": "Taken@example.com", "password": ""}
    page = creator_client.post(url("customer_edit", customer), data, headers=HTMX).content.decode()
    assert 'name="confirmed"' not in page
    assert field_errors(page, "email") == [
        "Another customer already uses Taken@example.com. Each email belongs to one customer."
    ]
    assert 'value="Taken@example.com"' in page
    customer.refresh_from_db()
    assert customer.email == "zoe@example.com"
    assert snapshot() == before


def test_a_three_letter_password_is_refused_on_continue(creator_client, customer):
    data = {"first_name": "Zoë", "last_name": "Okafor", "email": "zoe@example.com", "password": "abc"}
    page = creator_client.post(url("customer_edit", customer), data, headers=HTMX).content.decode()
    assert 'name="confirmed"' not in page
    assert field_errors(page, "password") == [
        "This password is too short. It must contain at least 8 characters. This password is too common."
    ]
    customer.refresh_from_db()
    assert customer.check_password("abc") is False


def test_a_refund_that_raced_in_after_the_confirmation_is_still_refused_and_the_dialog_stays(
    creator_client, customer, payment
):
    # Given the confirmation for $30.00 was shown while $49.00 was left
    confirm = creator_client.post(url("payment_refund", payment), {"amount": "30"}, headers=HTMX)
    assert 'name="confirmed" value="yes"' in confirm.content.decode()
    # When another refund of $40.00 lands before the creator confirms
    make_refund(payment, 4000)
    before = snapshot()
    response = creator_client.post(
        url("payment_refund", payment), {"amount": "30", "confirmed": "yes"}, headers=HTMX
    )
    page = response.content.decode()
    # Then the service refuses; the dialog comes back with the typed amount and the reason beside it
    assert response["HX-Retarget"] == "#dialog"
    assert field_errors(page, "amount") == ["Only $9.00 is left to refund on this payment."]
    assert 'name="amount" value="30"' in page
    assert snapshot() == before
    assert list(payment.refunds.values_list("amount", flat=True)) == [4000]


# --- 2 and 3. The dialog names its object ---------------------------------------------------------


def test_the_refund_dialog_names_the_payment(creator_client, payment):
    Payment.objects.filter(pk=payment.pk).update(paid_at=dt.datetime(2026, 11, 7, 9, 0, tzinfo=dt.UTC))
    page = creator_client.get(url("payment_refund", payment), headers=HTMX).content.decode()
    assert (
        '<h2 id="action-title">Refund the $49.00 payment of 7 Nov 2026 for Watercolor Foundations</h2>'
        in page
    )
    confirm = creator_client.post(
        url("payment_refund", payment), {"amount": "19"}, headers=HTMX
    ).content.decode()
    assert (
        "Refund $19.00 of the $49.00 payment of 7 Nov 2026 for Watercolor Foundations. Access stays."
        in confirm
    )


def test_amounts_carry_their_currency_when_the_creator_sells_in_several(creator_client, course, payment):
    make_page(course, "one_time", name="Euro price", amount=4500, currency="eur")
    page = creator_client.get(url("payment_refund", payment), headers=HTMX).content.decode()
    assert "Refund the $49.00 USD payment of 21 Nov 2026 for Watercolor Foundations" in page


def test_set_expiration_opens_a_dialog_with_the_same_verb(creator_client, customer, enrolment):
    profile = creator_client.get(url("customer", customer)).content.decode()
    assert ">Set expiration</a>" in profile
    assert "Change expiration" not in profile
    page = creator_client.get(url("enrolment_expiration", enrolment), headers=HTMX).content.decode()
    assert (
        '<h2 id="action-title">Set expiration of access to Watercolor Foundations for Zoë Okafor</h2>' in page
    )


def test_the_profile_holds_a_native_modal_dialog_and_openers_with_ids(creator_client, customer, payment):
    page = creator_client.get(url("customer", customer)).content.decode()
    assert '<dialog id="dialog" aria-labelledby="action-title"></dialog>' in page
    assert f'id="open-refund-{payment.pk}"' in page
    dialog = creator_client.get(url("payment_refund", payment) + "?change=1", headers=HTMX).content.decode()
    assert "data-dialog-close>Cancel</a>" in dialog


def test_the_refund_dialog_opens_on_refunding_all_that_is_left_with_a_way_to_change_it(
    creator_client, payment
):
    make_refund(payment, 900)
    before = snapshot()
    page = creator_client.get(url("payment_refund", payment), headers=HTMX).content.decode()
    assert (
        "Refund $40.00 of the $49.00 payment of 21 Nov 2026 for Watercolor Foundations "
        "($40.00 left to refund). "
        "Access stays."
    ) in page
    assert 'name="confirmed" value="yes"' in page
    assert f'hx-get="{url("payment_refund", payment)}?change=1"' in page
    assert ">Refund a part instead</a>" in page
    assert snapshot() == before


# --- 4. Payment status tells the truth -----------------------------------------------------------


def test_payment_badges_say_refunded_and_partly_refunded(creator_client, customer, course, payment):
    partly = make_payment(customer, course, 2000)
    make_refund(payment, 4900)
    make_refund(partly, 500)
    page = creator_client.get(url("customer", customer)).content.decode()
    row = page[page.index(f'id="payment-{payment.pk}"') :]
    assert '<span class="pill refunded">Refunded</span>' in row[: row.index("</tr>")]
    row = page[page.index(f'id="payment-{partly.pk}"') :]
    assert '<span class="pill partly-refunded">Partly refunded</span>' in row[: row.index("</tr>")]
    assert ">Paid</span>" not in page


def test_a_failed_payment_shows_the_gateways_reason_and_no_refund_columns(creator_client, customer, course):
    failed = make_payment(
        customer, course, 4900, status=Payment.Status.FAILED, failure_message="Your card was declined."
    )
    page = creator_client.get(url("customer", customer)).content.decode()
    row = page[page.index(f'id="payment-{failed.pk}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-label="Why it failed">Your card was declined.</td>' in row
    assert "Left to refund" not in row
    assert 'data-label="Refunded"' not in row
    assert ">Refund</a>" not in row


# --- 5. Deleting is explained; erasure is requested ---------------------------------------------


def test_the_profile_explains_deleting_and_offers_an_erasure_request(creator_client, customer):
    page = creator_client.get(url("customer", customer)).content.decode()
    assert "Customers are never deleted: the records of what they paid and were refunded stay." in page
    assert url("erasure_request", customer) in page


def test_requesting_erasure_records_it_for_an_operator_and_erases_nothing(
    creator_client, customer, frozen_now
):
    confirm = creator_client.get(url("erasure_request", customer)).content.decode()
    assert "An operator confirms it" in confirm
    creator_client.post(url("erasure_request", customer), {"confirmed": "yes"})
    customer.refresh_from_db()
    assert (customer.erasure_requested_at, customer.erased_at, customer.email) == (
        frozen_now,
        None,
        "zoe@example.com",
    )
    assert list(AuditEvent.objects.filter(customer=customer).values_list("type", "source", "data")) == [
        ("customer.erasure_requested", "desk", {"requested_at": "2026-11-21T10:00:00+00:00"})
    ]
    page = creator_client.get(url("customer", customer)).content.decode()
    assert "Erasure requested on 21 Nov 2026</strong>; an operator confirms it." in page


def test_a_second_erasure_request_is_refused_and_changes_nothing(creator, customer, frozen_now):
    actor = Actor.creator(creator)
    customer_erasure_request(customer=customer, actor=actor, source="desk")
    before = AuditEvent.objects.count()
    with pytest.raises(DomainError) as refused:
        customer_erasure_request(customer=customer, actor=actor, source="desk")
    assert refused.value.code == "erasure_already_requested"
    assert AuditEvent.objects.count() == before
    assert Customer.objects.get(pk=customer.pk).erasure_requested_at == frozen_now


# --- 7. One date format, in the creator's time zone -----------------------------------------------


def test_every_time_shows_in_the_creators_format_and_zone(creator, creator_client, customer, payment):
    creator.time_zone, creator.date_format = "Europe/Paris", "d/m/Y"
    creator.save()
    page = creator_client.get(url("customer", customer)).content.decode()
    assert "21/11/2026, 11:00 CET" in page  # 10:00 UTC
    assert "2026-11-21" not in page


def test_settings_change_the_time_zone_and_date_format(creator, creator_client):
    data = {
        "profile-display_name": "Maya Studio",
        "profile-time_zone": "America/New_York",
        "profile-date_format": "M j, Y",
    }
    creator_client.post(reverse("accounts:settings"), data)
    creator.refresh_from_db()
    assert (creator.time_zone, creator.date_format) == ("America/New_York", "M j, Y")
    refused = creator_client.post(reverse("accounts:settings"), {**data, "profile-time_zone": "Mars/Olympus"})
    assert "Select a valid choice." in refused.content.decode()
    creator.refresh_from_db()
    assert creator.time_zone == "America/New_York"


def test_the_students_expired_page_uses_the_creators_format(client, creator, course, customer, frozen_now):
    creator.date_format = "M j, Y"
    creator.save()
    make_enrolment(customer, course, expires_at=frozen_now - dt.timedelta(days=3))
    sign_in(client, course, customer.email)
    page = client.get(reverse("classroom:course", kwargs={"course_slug": course.slug})).content.decode()
    assert "Your access ended on Nov 18, 2026." in page


# --- 8. The smaller things ------------------------------------------------------------------------


def test_the_activity_page_goes_back_to_newer_entries(creator_client, creator, customer, frozen_now):
    for minute in range(60):
        AuditEvent.objects.create(
            creator=creator,
            customer=customer,
            type="customer.signed_in",
            occurred_at=frozen_now - dt.timedelta(minutes=minute),
            actor_label="zoe@example.com",
            source="student",
        )
    first = creator_client.get(reverse("desk:activity")).content.decode()
    older_link = re.search(r'href="/desk/\?after=([^"]+)">Older activity', first).group(1)
    older = creator_client.get(f"/desk/?after={older_link}").content.decode()
    assert older.count('data-label="When"') == 10
    newer_link = re.search(r'href="/desk/\?before=([^"]+)">Newer activity', older).group(1)
    newer = creator_client.get(f"/desk/?before={newer_link}").content.decode()
    assert newer.count('data-label="When"') == 50
    assert "Newer activity" not in newer
    assert "21 Nov 2026, 10:00 UTC" in newer


def test_search_is_focused_and_its_indicator_is_not_read_out(creator_client):
    page = creator_client.get(reverse("desk:activity")).content.decode()
    assert re.search(r'<input type="search" id="customer-search"[^>]*autofocus', page, re.S)
    assert 'class="htmx-indicator muted small" aria-hidden="true">Searching…' in page
    assert '<div id="announcer" class="visually-hidden" aria-live="polite"></div>' in page


def test_each_copy_button_sits_beside_its_field(creator_client, course):
    page = creator_client.get(reverse("desk:links")).content.decode()
    assert f'<div class="copy-row"><input type="url" id="link-{course.pk}-login_url"' in page


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, two: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(two)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_focus_rings_borders_and_badges_have_enough_contrast():
    css = (Path(__file__).parents[2] / "coursedesk/static/coursedesk/coursedesk.css").read_text()
    colour = dict(re.findall(r"--([a-z-]+): (#[0-9a-f]{6})", css))
    assert contrast(colour["focus"], "#ffffff") >= 3
    assert contrast(colour["control-line"], "#ffffff") >= 3
    assert "outline: 3px solid var(--focus)" in css
    for text, background in (("warn", "warn-bg"), ("ok", "ok-bg"), ("bad", "bad-bg"), ("muted", "bg")):
        assert contrast(colour[text], colour[background]) >= 4.5, text
