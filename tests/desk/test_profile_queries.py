"""The profile page's queries: the session, the creator, the customer (with whether its address is
undeliverable and why, and how many currencies the creator sells in: then every amount carries its code), then
one query per list (enrolments, payments, subscriptions, emails, timeline, notes; the tags are the
customer's own column)."""

from coursedesk.mail.models import EmailSuppression
from tests.desk.test_profile import profile_url


def test_the_profile_reads_nine_queries(
    creator_client, customer, enrolment, payment, django_assert_num_queries
):
    with django_assert_num_queries(9):
        response = creator_client.get(profile_url(customer))

    assert response.status_code == 200
    assert 'id="undeliverable"' not in response.content.decode()


def test_an_undeliverable_address_costs_no_query_more_and_is_shown(
    creator_client, creator, customer, enrolment, django_assert_num_queries
):
    # given the customer's address bounced, stored in lower case as the tracking webhooks store it
    EmailSuppression.objects.create(
        creator=creator, address=customer.email.lower(), reason="bounced", detail="550 mailbox unknown"
    )

    with django_assert_num_queries(9):  # the suppression is read with the customer
        response = creator_client.get(profile_url(customer))

    page = response.content.decode()
    assert 'id="undeliverable"' in page
    assert f"Not sent: an email to {customer.email.lower()} bounced on " in page
    assert "(550 mailbox unknown)." in page


def test_a_cleared_suppression_is_not_shown(creator_client, creator, customer, frozen_now):
    EmailSuppression.objects.create(
        creator=creator, address=customer.email.lower(), reason="bounced", cleared_at=frozen_now
    )

    response = creator_client.get(profile_url(customer))

    assert 'id="undeliverable"' not in response.content.decode()
