"""Customer search: any part of a name or email, case- and accent-insensitive, never another creator's."""

import pytest
from django.db import connection

from coursedesk.customers.selectors import (
    customer_near_matches,
    customer_search,
    customer_search_with_near_matches,
    edit_distance,
)
from tests.factories import make_customer


def found(creator, query):
    return [customer.email for customer in customer_search(creator=creator, query=query)]


@pytest.fixture
def people(creator, other_creator):
    make_customer(creator, email="zoe@example.com", first_name="Zoë", last_name="Okafor")
    make_customer(creator, email="ana.lopez@school.org", first_name="Ana", last_name="López")
    make_customer(creator, email="b.martin@mail.com", first_name="Bruno", last_name="Martin")
    make_customer(other_creator, email="zoe.rival@example.com", first_name="Zoë", last_name="Okafor")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("oka", ["zoe@example.com"]),  # part of the last name
        ("zo", ["zoe@example.com"]),  # under three letters: the LIKE fallback
        ("zoe", ["zoe@example.com"]),  # accent-insensitive
        ("ZOË", ["zoe@example.com"]),  # case-insensitive
        ("Zoe Okafor", ["zoe@example.com"]),  # full name
        ("okafor zoe", ["zoe@example.com"]),  # words in any order
        ("lopez", ["ana.lopez@school.org"]),
        ("school.org", ["ana.lopez@school.org"]),  # part of the email
        ("ART", ["b.martin@mail.com"]),
        ("nobody-like-this", []),
    ],
)
def test_search_finds_by_any_part_of_name_or_email(creator, people, query, expected):
    assert found(creator, query) == expected


def test_search_never_returns_another_creators_customers(creator, other_creator, people):
    assert found(other_creator, "okafor") == ["zoe.rival@example.com"]
    assert found(creator, "rival") == []


def test_empty_query_lists_the_creators_customers_newest_first(creator, people):
    assert found(creator, "") == ["b.martin@mail.com", "ana.lopez@school.org", "zoe@example.com"]


def test_an_exact_email_goes_to_the_unique_index(creator, people, django_assert_num_queries):
    with django_assert_num_queries(2) as captured:  # exists, then the row
        result = list(customer_search(creator=creator, query=" ZOE@Example.com ")[:5])
    assert [customer.email for customer in result] == ["zoe@example.com"]
    for query in captured.captured_queries:
        assert "LOWER(" in query["sql"].upper()
        assert " LIKE " not in query["sql"].upper()
        assert " MATCH " not in query["sql"].upper()


def test_search_follows_a_changed_email(creator, people):
    from coursedesk.audit.services import Actor
    from coursedesk.customers.models import Customer
    from coursedesk.customers.services import customer_update

    zoe = Customer.objects.get(email="zoe@example.com")
    customer_update(customer=zoe, email="zoe.new@studio.net", actor=Actor.creator(creator), source="desk")
    assert found(creator, "studio.net") == ["zoe.new@studio.net"]
    assert found(creator, "example.com") == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 table exists on SQLite only")
def test_sqlite_search_table_stays_in_step_with_customers(creator, people):
    from coursedesk.customers.models import Customer

    Customer.objects.filter(email="b.martin@mail.com").delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM customers_customer_search WHERE customers_customer_search "
            "MATCH '\"martin\"'"
        )
        assert cursor.fetchone() == (0,)
    assert found(creator, "martin") == []


@pytest.fixture
def jessicas(creator, other_creator):
    make_customer(creator, email="jessica.tran@gmail.com", first_name="Jessica", last_name="Tran")
    make_customer(creator, email="jess.t@yahoo.com", first_name="Jessica", last_name="Tran")
    make_customer(creator, email="someone.else@gmail.com", first_name="Someone", last_name="Else")
    make_customer(other_creator, email="jessica.tran@gmial.com", first_name="Jessica", last_name="Tran")


def test_an_email_with_no_hit_offers_near_matches(creator, jessicas):
    result = customer_search_with_near_matches(creator=creator, query="jessica.tran@gmial.com")
    assert result.customers == []
    # a typo away in the domain, and the same name as the email spells
    assert sorted(customer.email for customer in result.near_matches) == [
        "jess.t@yahoo.com",
        "jessica.tran@gmail.com",
    ]


def test_near_matches_find_a_typo_in_the_local_part(creator, jessicas):
    matches = customer_near_matches(creator=creator, email="jesica.trann@gmail.com")
    assert [customer.email for customer in matches] == ["jessica.tran@gmail.com"]


def test_near_matches_ignore_emails_more_than_two_typos_away(creator, jessicas):
    assert customer_near_matches(creator=creator, email="jxxxica.tran@gxxxl.com") == []


def test_near_matches_never_come_from_another_creator(other_creator, jessicas):
    matches = customer_near_matches(creator=other_creator, email="jessica.tran@gmail.com")
    assert [customer.email for customer in matches] == ["jessica.tran@gmial.com"]


def test_a_search_that_finds_someone_offers_no_near_matches(creator, jessicas):
    result = customer_search_with_near_matches(creator=creator, query="jessica.tran@gmail.com")
    assert [customer.email for customer in result.customers] == ["jessica.tran@gmail.com"]
    assert result.near_matches == []


@pytest.mark.parametrize(
    ("left", "right", "distance"),
    [
        ("gmail.com", "gmial.com", 2),
        ("gmail.com", "gmail.co", 1),
        ("abc", "abc", 0),
        ("abc", "xyzw", 3),
    ],
)
def test_edit_distance(left, right, distance):
    assert edit_distance(left, right) == distance
