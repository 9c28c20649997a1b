"""The profile's header: what the customer paid and got back (per currency), their courses with
status, last sign-in, their own links to copy, and the card-update link for a past-due subscription."""

import pytest

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing.models import Subscription
from coursedesk.billing.subscriptions import subscription_card_update_link_send
from coursedesk.core.errors import DomainError
from coursedesk.mail.models import OutboundEmail
from tests.desk.conftest import make_payment, make_refund, make_subscription, snapshot
from tests.desk.test_actions import HTMX, url
from tests.desk.test_profile import PROFILE_QUERIES, profile_url


def header(response) -> str:
    html = response.content.decode()
    return html[
        html.index('id="profile-header"') : html.index("</section>", html.index('id="profile-header"'))
    ]


def test_the_header_adds_up_what_was_paid_and_refunded_per_currency(
    creator_client, customer, course, enrolment, payment, frozen_now
):
    # given $49.00 paid and $20.00 of it refunded, €30.00 paid, and a failed payment that does not count
    make_refund(payment, 2000)
    make_payment(customer, course, 3000, currency="eur")
    make_payment(customer, course, 9900, status="failed", failure_message="Card declined.")

    top = header(creator_client.get(profile_url(customer)))

    assert '<dd id="total-paid">€30.00 + $49.00</dd>' in top
    assert '<dd id="total-refunded">$20.00</dd>' in top
    assert 'Watercolor Foundations <span class="pill active">Active</span>' in top
    assert "<dt>Last sign-in</dt><dd>never</dd>" in top


def test_the_header_gives_the_customers_links_to_copy(creator_client, customer, course, enrolment, settings):
    top = header(creator_client.get(profile_url(customer)))

    for key, path in (("login", "login/"), ("billing", "billing/"), ("reset", "password-reset/")):
        field = f'id="customer-link-{course.pk}-{key}"'
        assert field in top
        value = top.split(field)[1].split('value="')[1].split('"')[0]
        assert value.startswith(f"{settings.SITE_URL}/c/watercolor/"), value
        assert value.endswith(path), value
        assert f'data-copy="customer-link-{course.pk}-{key}"' in top


def test_a_customer_without_payments_reads_nothing_paid(creator_client, customer):
    top = header(creator_client.get(profile_url(customer)))

    assert '<dd id="total-paid">nothing</dd>' in top
    assert '<dd id="total-refunded">nothing</dd>' in top


def test_only_a_past_due_subscription_offers_the_card_update_link(
    creator_client, customer, course, monthly_page, enrolment, frozen_now
):
    active = make_subscription(customer, course, monthly_page)
    behind = make_subscription(customer, course, monthly_page, status=Subscription.Status.PAST_DUE)

    top = header(creator_client.get(profile_url(customer)))

    assert f'id="open-card-link-{behind.pk}"' in top
    assert f'id="open-card-link-{active.pk}"' not in top


def test_sending_the_card_update_link_emails_the_billing_page_and_audits(
    creator_client, customer, course, monthly_page, enrolment, frozen_now, settings
):
    behind = make_subscription(customer, course, monthly_page, status=Subscription.Status.PAST_DUE)

    confirm = creator_client.get(url("subscription_card_update_link", behind), headers=HTMX)
    assert (
        "Email zoe@example.com the billing page of Watercolor Foundations, where a new card for the $29.00 "
        "monthly subscription to Watercolor Foundations is saved and tried at once."
    ) in confirm.content.decode()
    assert OutboundEmail.objects.count() == 0

    creator_client.post(url("subscription_card_update_link", behind), {"confirmed": "yes"})

    email = OutboundEmail.objects.get()
    assert (email.kind, email.to, email.subject) == (
        "card_update_link",
        "zoe@example.com",
        "Update your card for Watercolor Foundations",
    )
    assert f"Please update your card here: {settings.SITE_URL}/c/watercolor/billing/" in email.text_body
    event = AuditEvent.objects.get(type="subscription.card_update_link_sent")
    assert (event.customer_id, event.actor_label, event.source, event.data) == (
        customer.pk,
        "maya@example.com",
        "desk",
        {"course": "Watercolor Foundations", "course_id": course.pk, "email_id": email.pk},
    )


def test_an_active_subscription_is_refused_and_nothing_is_sent(creator, customer, course, subscription):
    before = snapshot()

    with pytest.raises(DomainError) as refusal:
        subscription_card_update_link_send(
            subscription=subscription, actor=Actor.creator(creator), source="desk"
        )

    assert (refusal.value.code, refusal.value.message) == (
        "subscription_not_past_due",
        "Only a past-due subscription needs a new card; this one is active.",
    )
    assert snapshot() == before


def test_the_dialog_for_a_subscription_no_longer_past_due_says_why(creator_client, customer, subscription):
    response = creator_client.post(url("subscription_card_update_link", subscription), headers=HTMX)

    assert "Only a past-due subscription needs a new card; this one is active." in response.content.decode()
    assert OutboundEmail.objects.count() == 0


def test_the_header_costs_no_query_of_its_own(
    creator_client, customer, course, monthly_page, enrolment, payment, frozen_now, django_assert_num_queries
):
    # given a refund and a past-due subscription beside the payment (the header reads all three)
    make_refund(payment, 1000)
    make_subscription(customer, course, monthly_page, status=Subscription.Status.PAST_DUE)

    with django_assert_num_queries(PROFILE_QUERIES):  # as many as the profile without its header
        response = creator_client.get(profile_url(customer))

    assert '<dd id="total-refunded">$10.00</dd>' in header(response)
