"""Merging a duplicate from the profile: the preview before, the outcome after, refusals in place."""

from django.urls import reverse

from coursedesk.audit.models import AuditEvent
from coursedesk.billing.models import Subscription
from coursedesk.customers.models import Customer
from tests.desk.conftest import make_payment, make_subscription
from tests.desk.test_actions import HTMX, url
from tests.factories import make_customer, make_enrolment, make_page


def test_the_dialog_previews_what_moves_then_merges(creator_client, creator, customer, course, frozen_now):
    duplicate = make_customer(creator, email="zoe.okafor@example.net", first_name="Zoë", last_name="Okafor")
    make_enrolment(duplicate, course)
    make_payment(duplicate, course, 4900)

    preview = creator_client.post(
        url("customer_merge", customer), {"duplicate_email": "Zoe.Okafor@example.net"}, headers=HTMX
    )

    assert (
        "Move everything of zoe.okafor@example.net to Zoë Okafor (zoe@example.com): Access to Watercolor "
        "Foundations; 1 payment with their refunds; 0 subscriptions; 0 emails; 0 notes. "
        "zoe.okafor@example.net stays as an alias"
    ) in preview.content.decode()
    assert Customer.objects.get(pk=duplicate.pk).merged_into_id is None

    creator_client.post(
        url("customer_merge", customer), {"duplicate_email": duplicate.email, "confirmed": "yes"}
    )

    assert Customer.objects.get(pk=duplicate.pk).merged_into_id == customer.pk
    html = creator_client.get(reverse("desk:customer", args=[customer.pk])).content.decode()
    assert "also zoe.okafor@example.net" in html
    assert "Merged with the duplicate zoe.okafor@example.net" in html
    merged = creator_client.get(reverse("desk:customer", args=[duplicate.pk])).content.decode()
    assert 'id="merged-into"' in merged
    assert "Merged into zoe@example.com" in merged  # its timeline
    # the list no longer counts the merged-away record
    listing = creator_client.get(reverse("desk:customers")).context["listing"]
    assert listing.counts["all"] == 1


def test_an_email_that_is_not_another_customer_is_refused_next_to_the_field(
    creator_client, customer, other_creator
):
    make_customer(other_creator, email="theirs@example.com")

    for email in ("theirs@example.com", "zoe@example.com", "nobody@example.com"):
        response = creator_client.post(
            url("customer_merge", customer), {"duplicate_email": email, "confirmed": "yes"}, headers=HTMX
        )
        assert f"No other customer of yours has the email {email}." in response.content.decode()
    assert AuditEvent.objects.count() == 0


def test_a_conflict_is_explained_before_the_confirmation(
    creator_client, creator, customer, course, frozen_now
):
    page = make_page(course, "subscription", amount=2900)
    duplicate = make_customer(creator, email="zoe2@example.com")
    make_subscription(customer, course, page)
    make_subscription(duplicate, course, page, status=Subscription.Status.ACTIVE)

    response = creator_client.post(
        url("customer_merge", customer), {"duplicate_email": duplicate.email}, headers=HTMX
    )
    html = response.content.decode()

    assert "Both customers have an active subscription to Watercolor Foundations" in html
    assert 'name="confirmed" value="yes"' not in html
    assert Customer.objects.get(pk=duplicate.pk).merged_into_id is None


def test_the_dialog_suggests_the_near_matches_of_the_customers_email(creator_client, creator, frozen_now):
    survivor = make_customer(creator, email="jessica.tran@gmail.com", first_name="Jessica", last_name="Tran")
    make_customer(creator, email="jessica.tran@gmial.com", first_name="Jess", last_name="T")
    make_customer(creator, email="someone.else@example.com")

    html = creator_client.get(url("customer_merge", survivor), headers=HTMX).content.decode()

    assert "Perhaps: jessica.tran@gmial.com." in html
    assert 'value="jessica.tran@gmial.com"' in html
    assert "someone.else@example.com" not in html
