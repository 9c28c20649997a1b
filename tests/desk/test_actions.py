"""The profile's actions through the pages: confirmation sentence, the change, its audit row, refusals."""

import datetime as dt

from django.urls import reverse

from coursedesk.audit.models import AuditEvent
from coursedesk.customers.models import Customer, Enrolment
from coursedesk.mail.models import OutboundEmail
from tests.desk.conftest import make_payment, make_refund, make_subscription, snapshot
from tests.factories import make_customer, make_page

HTMX = {"HX-Request": "true", "HX-Target": "dialog"}


def url(name, obj):
    return reverse(f"desk:{name}", args=[obj.pk])


def events(customer):
    return list(
        AuditEvent.objects.filter(customer=customer)
        .order_by("pk")
        .values_list("type", "actor_label", "source", "data")
    )


# --- Revoke and grant ---------------------------------------------------------------------------


def test_revoke_asks_for_confirmation_stating_the_consequences(creator_client, enrolment):
    before = snapshot()
    response = creator_client.get(url("enrolment_revoke", enrolment))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Zoë Okafor loses access to Watercolor Foundations at once and leaves its student count" in page
    assert "Nothing is refunded and any subscription keeps running." in page
    assert 'name="confirmed" value="yes"' in page
    enrolment.refresh_from_db()
    assert enrolment.revoked_at is None
    assert snapshot() == before


def test_revoke_confirmed_takes_access_away_and_audits(creator_client, customer, enrolment, frozen_now):
    response = creator_client.post(url("enrolment_revoke", enrolment), {"confirmed": "yes"})
    assert response.status_code == 302
    assert response["Location"] == url("customer", customer)
    enrolment.refresh_from_db()
    assert enrolment.revoked_at == frozen_now
    assert events(customer) == [
        (
            "enrolment.revoked",
            "maya@example.com",
            "desk",
            {
                "course": "Watercolor Foundations",
                "course_id": enrolment.course_id,
                "status": {"old": "active", "new": "revoked"},
            },
        )
    ]
    page = creator_client.get(response["Location"]).content.decode()
    assert "Access to Watercolor Foundations revoked." in page
    assert url("enrolment_grant", enrolment) in page


def test_revoke_with_htmx_returns_the_updated_profile(creator_client, customer, enrolment):
    response = creator_client.post(url("enrolment_revoke", enrolment), {"confirmed": "yes"}, headers=HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#profile"
    assert page.startswith('<div id="profile">')
    assert "Access to Watercolor Foundations revoked." in page
    assert '<span class="pill revoked">Revoked</span>' in page


def test_revoking_twice_is_refused_with_a_clear_message_and_changes_nothing(
    creator_client, customer, enrolment, frozen_now
):
    enrolment.revoked_at = frozen_now - dt.timedelta(days=1)
    enrolment.save()
    before = snapshot()
    response = creator_client.post(url("enrolment_revoke", enrolment), {"confirmed": "yes"}, headers=HTMX)
    assert "Access to this course is already revoked." in response.content.decode()
    enrolment.refresh_from_db()
    assert enrolment.revoked_at == frozen_now - dt.timedelta(days=1)
    assert snapshot() == before


def test_grant_restores_access_exactly_as_before(creator_client, customer, enrolment, frozen_now):
    expires = frozen_now + dt.timedelta(days=30)
    Enrolment.objects.filter(pk=enrolment.pk).update(revoked_at=frozen_now, expires_at=expires)
    page = creator_client.get(url("enrolment_grant", enrolment)).content.decode()
    assert "gets access to Watercolor Foundations again, exactly as before (until 21 Dec 2026)" in page
    assert "Nothing is charged." in page

    creator_client.post(url("enrolment_grant", enrolment), {"confirmed": "yes"})

    enrolment.refresh_from_db()
    assert (enrolment.revoked_at, enrolment.expires_at, enrolment.status) == (None, expires, "active")
    assert [row[0] for row in events(customer)] == ["enrolment.restored"]
    assert OutboundEmail.objects.count() == 0


def test_grant_on_an_active_enrolment_is_refused(creator_client, customer, enrolment):
    before = snapshot()
    response = creator_client.post(url("enrolment_grant", enrolment), {"confirmed": "yes"}, follow=True)
    assert "This customer already has access to the course." in response.content.decode()
    assert snapshot() == before


# --- Expiration ---------------------------------------------------------------------------------


def test_set_an_expiration_in_two_steps(creator_client, customer, enrolment, frozen_now):
    # the form, then the confirmation with the old and new date, then the change
    form = creator_client.get(url("enrolment_expiration", enrolment)).content.decode()
    assert 'type="date"' in form
    confirm = creator_client.post(url("enrolment_expiration", enrolment), {"expires_on": "2027-01-31"})
    assert (
        "Access to Watercolor Foundations ends on 31 Jan 2027 (00:00 UTC); it was never. "
        "Payments are not touched."
    ) in confirm.content.decode()
    enrolment.refresh_from_db()
    assert enrolment.expires_at is None

    creator_client.post(
        url("enrolment_expiration", enrolment), {"expires_on": "2027-01-31", "confirmed": "yes"}
    )

    enrolment.refresh_from_db()
    assert enrolment.expires_at == dt.datetime(2027, 1, 31, tzinfo=dt.UTC)
    assert events(customer)[-1][0] == "enrolment.expiration_changed"
    assert events(customer)[-1][3]["expires_at"] == {"old": None, "new": "2027-01-31T00:00:00+00:00"}


def test_remove_the_expiration_keeps_the_old_date_in_the_timeline(creator_client, customer, enrolment):
    Enrolment.objects.filter(pk=enrolment.pk).update(expires_at=dt.datetime(2027, 1, 31, tzinfo=dt.UTC))
    confirm = creator_client.post(url("enrolment_expiration", enrolment), {"expires_on": ""})
    assert "never ends (lifetime access); it was 31 Jan 2027" in confirm.content.decode()

    creator_client.post(url("enrolment_expiration", enrolment), {"expires_on": "", "confirmed": "yes"})

    enrolment.refresh_from_db()
    assert enrolment.expires_at is None
    page = creator_client.get(url("customer", customer)).content.decode()
    assert "expiration: 31 Jan 2027, 00:00 UTC → none" in page


def test_an_invalid_date_shows_the_form_again_and_changes_nothing(creator_client, enrolment):
    before = snapshot()
    response = creator_client.post(
        url("enrolment_expiration", enrolment), {"expires_on": "someday", "confirmed": "yes"}
    )
    assert "Enter a valid date." in response.content.decode()
    enrolment.refresh_from_db()
    assert enrolment.expires_at is None
    assert snapshot() == before


# --- Edit details -------------------------------------------------------------------------------


def test_edit_name_email_and_password_then_offer_the_welcome_email(creator_client, customer, enrolment):
    values = {
        "first_name": "Zoe",
        "last_name": "Okafor",
        "email": "zoe@new.net",
        "password": "new secret 123",
    }
    confirm = creator_client.post(url("customer_edit", customer), values).content.decode()
    assert (
        "Rename Zoë Okafor to Zoe Okafor; change the email from zoe@example.com to zoe@new.net; "
        "set a new password (it is not recorded anywhere)." in confirm
    )

    response = creator_client.post(url("customer_edit", customer), {**values, "confirmed": "yes"})

    customer.refresh_from_db()
    assert (customer.first_name, customer.email) == ("Zoe", "zoe@new.net")
    assert customer.check_password("new secret 123")
    assert response["Location"] == url("customer", customer) + "?offer=welcome-email"
    page = creator_client.get(response["Location"]).content.decode()
    assert "Send the welcome email again" in page
    assert url("welcome_email", customer) + f"?course={enrolment.course_id}" in page
    assert events(customer) == [
        (
            "customer.updated",
            "maya@example.com",
            "desk",
            {
                "first_name": {"old": "Zoë", "new": "Zoe"},
                "email": {"old": "zoe@example.com", "new": "zoe@new.net"},
                "password": {"changed": True},
            },
        )
    ]
    assert "new secret 123" not in str(events(customer))


def test_edit_to_a_taken_email_is_refused_and_nothing_changes(creator_client, creator, customer):
    make_customer(creator, email="taken@example.com")
    before = snapshot()
    response = creator_client.post(
        url("customer_edit", customer),
        {
            "first_name": "Zoë",
            "last_name": "Okafor",
            "email": "taken@example.com",
            "confirmed": "yes",
        },
        follow=True,
    )
    assert "Another customer already uses taken@example.com." in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).email == "zoe@example.com"
    assert snapshot() == before


# --- Emails and access by hand --------------------------------------------------------------------


def test_resend_welcome_email_to_the_current_address(creator_client, customer, enrolment):
    confirm = creator_client.get(url("welcome_email", customer) + f"?course={enrolment.course_id}")
    assert (
        "Send the current welcome email of Watercolor Foundations, with its sign-in link, to "
        "zoe@example.com. Nothing else changes."
    ) in confirm.content.decode()
    assert OutboundEmail.objects.count() == 0

    creator_client.post(url("welcome_email", customer), {"course": enrolment.course_id, "confirmed": "yes"})

    email = OutboundEmail.objects.get()
    assert (email.kind, email.to, email.subject) == (
        "welcome",
        "zoe@example.com",
        "Welcome to Watercolor Foundations",
    )
    assert "/c/watercolor/login/" in email.text_body
    assert [row[0] for row in events(customer)] == ["email.queued"]


def test_welcome_email_for_a_course_they_do_not_have_is_refused(creator_client, customer, second_course):
    response = creator_client.post(
        url("welcome_email", customer), {"course": second_course.pk, "confirmed": "yes"}
    )
    assert "Select a valid choice." in response.content.decode()
    assert OutboundEmail.objects.count() == 0


def test_grant_a_course_by_hand_with_the_welcome_email(creator_client, customer, second_course, frozen_now):
    values = {"course": second_course.pk, "expires_on": "2027-06-30", "send_welcome_email": "on"}
    confirm = creator_client.post(url("grant_course", customer), values).content.decode()
    assert (
        "Give Zoë Okafor access to Ink Sketching until 30 Jun 2027 and email them the welcome email "
        "at zoe@example.com. Nothing is charged."
    ) in confirm

    creator_client.post(url("grant_course", customer), {**values, "confirmed": "yes"})

    enrolment = Enrolment.objects.get(customer=customer, course=second_course)
    assert (enrolment.source, enrolment.expires_at) == ("manual", dt.datetime(2027, 6, 30, tzinfo=dt.UTC))
    assert OutboundEmail.objects.get().subject == "Welcome to Ink Sketching"
    assert [row[0] for row in events(customer)] == ["enrolment.granted", "email.queued"]


def test_send_a_password_reset_link(creator_client, customer, enrolment):
    creator_client.post(url("password_reset", customer), {"course": enrolment.course_id, "confirmed": "yes"})
    email = OutboundEmail.objects.get()
    assert (email.kind, email.to) == ("password_reset", "zoe@example.com")


# --- Refund, cancel, pause, resume ---------------------------------------------------------------


def test_refund_confirmation_states_the_amount_and_what_stays(creator_client, customer, course, subscription):
    payment = make_payment(customer, course, 4900, subscription=subscription)
    before = snapshot()
    response = creator_client.post(url("payment_refund", payment), {"amount": "20"})
    assert (
        "Refund $20.00 of the $49.00 payment of 21 Nov 2026 for Watercolor Foundations. Access stays. "
        "The subscription continues."
    ) in response.content.decode()
    assert snapshot() == before


def test_refund_form_offers_what_is_left_and_rejects_a_bad_amount(creator_client, payment):
    make_refund(payment, 2000)
    form = creator_client.get(url("payment_refund", payment) + "?change=1").content.decode()
    assert 'value="29.00"' in form
    response = creator_client.post(url("payment_refund", payment), {"amount": "12.345", "confirmed": "yes"})
    assert "Enter an amount such as 20 or 20.50." in response.content.decode()
    confirm = creator_client.post(url("payment_refund", payment), {"amount": ""}).content.decode()
    assert (
        "Refund $29.00 of the $49.00 payment of 21 Nov 2026 for Watercolor Foundations "
        "($29.00 left to refund). "
        "Access stays."
    ) in confirm


def test_pause_needs_a_future_date(creator_client, subscription, frozen_now):
    response = creator_client.post(url("subscription_pause", subscription), {"resume_on": "2026-11-21"})
    assert "Pick a date after today." in response.content.decode()
    confirm = creator_client.post(url("subscription_pause", subscription), {"resume_on": "2027-01-15"})
    assert (
        "Pause the $29.00 monthly subscription to Watercolor Foundations until 15 Jan 2027: no payment "
        "before then, the next one is taken on 15 Jan 2027. Access stays and nothing is refunded."
    ) in confirm.content.decode()


def test_cancel_confirmation(creator_client, subscription):
    form = creator_client.get(url("subscription_cancel", subscription)).content.decode()
    assert "At the end of the paid period (2026-12-21)" in form

    page = creator_client.post(url("subscription_cancel", subscription), {"when": "now"}).content.decode()
    assert (
        "Cancel the $29.00 monthly subscription to Watercolor Foundations. The subscription ends now: "
        "no further payments. Nothing is refunded. Access to the course stays. This cannot be undone."
    ) in page


def test_cancel_at_the_period_end_then_keep_it_from_the_desk(
    creator_client, customer, subscription, enrolment
):
    page = creator_client.post(
        url("subscription_cancel", subscription), {"when": "period_end"}
    ).content.decode()
    assert (
        "The subscription ends after the period already paid for, on December 21, 2026: no further "
        "payments. Nothing is refunded. Access to the course stays. It can be undone until then."
    ) in page

    creator_client.post(url("subscription_cancel", subscription), {"when": "period_end", "confirmed": "yes"})
    subscription.refresh_from_db()
    assert (subscription.status, subscription.cancel_at_period_end) == ("active", True)
    profile = creator_client.get(reverse("desk:customer", args=[customer.pk])).content.decode()
    assert "none: ends on 21 Dec 2026" in profile
    assert url("subscription_uncancel", subscription) in profile

    creator_client.post(url("subscription_uncancel", subscription), {"confirmed": "yes"})
    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end is False
    assert [row[0] for row in events(customer)][-2:] == [
        "subscription.cancel_scheduled",
        "subscription.cancel_undone",
    ]


def test_a_payment_plans_cancel_says_what_stays_unpaid(creator_client, customer, course, frozen_now):
    page_ = make_page(course, "payment_plan", amount=2000, installments=3)
    plan = make_subscription(customer, course, page_, installments_total=3)
    make_payment(customer, course, amount=2000, subscription=plan)

    page = creator_client.post(url("subscription_cancel", plan), {"when": "now"}).content.decode()

    assert "Cancel the $20.00 monthly payment plan to Watercolor Foundations." in page
    assert (
        "The payment plan stops now: 1 of 3 payments are made, and the 2 left ($40.00) will not be "
        "charged. Access to the course stays."
    ) in page


def test_refund_part_then_the_rest(creator_client, customer, payment, enrolment):
    creator_client.post(url("payment_refund", payment), {"amount": "20", "confirmed": "yes"})
    creator_client.post(url("payment_refund", payment), {"amount": "", "confirmed": "yes"})
    assert sorted(payment.refunds.values_list("amount", flat=True)) == [2000, 2900]
    enrolment.refresh_from_db()
    assert enrolment.status == "active"
    assert [row[0] for row in events(customer)].count("payment.refunded") == 2


def test_refund_above_what_is_left_is_refused(creator_client, payment):
    make_refund(payment, 4000)
    before = snapshot()
    response = creator_client.post(
        url("payment_refund", payment), {"amount": "10", "confirmed": "yes"}, follow=True
    )
    assert response.status_code == 200
    assert snapshot() == before
    assert payment.refunds.count() == 1


def test_pause_resume_and_cancel(creator_client, customer, subscription, enrolment):
    creator_client.post(
        url("subscription_pause", subscription), {"resume_on": "2027-01-15", "confirmed": "yes"}
    )
    subscription.refresh_from_db()
    assert (subscription.status, subscription.paused_until) == ("paused", dt.date(2027, 1, 15))
    creator_client.post(url("subscription_resume", subscription), {"confirmed": "yes"})
    subscription.refresh_from_db()
    assert subscription.status == "active"
    creator_client.post(url("subscription_cancel", subscription), {"confirmed": "yes"})
    subscription.refresh_from_db()
    assert subscription.status == "canceled"
    enrolment.refresh_from_db()
    assert enrolment.status == "active"
