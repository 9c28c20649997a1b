"""GET /api/v1/customers?q=: the rows in CustomerOut's shape, a fixed number of queries whatever the page
size, and an exact email answered by one query (two for a merged address: its survivor by id)."""

import datetime as dt
import json

import pytest
from django.db import connection
from ninja.responses import NinjaJSONEncoder

from coursedesk.api.schemas import CustomerList
from coursedesk.core import clock
from coursedesk.customers import selectors
from coursedesk.customers.models import Customer
from coursedesk.customers.selectors import customer_search
from tests.factories import make_customer


def schema_json(customers, next_cursor=None) -> dict:
    """What django-ninja writes for these customers through the CustomerList schema."""
    dumped = CustomerList.model_validate({"results": customers, "next": next_cursor}).model_dump()
    return json.loads(json.dumps(dumped, cls=NinjaJSONEncoder))


def test_the_rows_are_exactly_the_schemas_shape(api, creator, frozen_now):
    # given customers with accents, tags, a sign-in time with microseconds and none
    signed_in = make_customer(
        creator,
        email="zoë.okafor@example.com",
        first_name="Zoë",
        last_name="Ökafor",
        last_login_at=frozen_now + dt.timedelta(microseconds=123456),
        tag_names=["cohort 3", "vip"],
    )
    clock.advance(dt.timedelta(seconds=1, microseconds=7))
    never = make_customer(creator, email="zoe.o@example.com", first_name="Zoe", last_name="O'Kafor")

    # when the API lists and searches them
    listed = api.get("/customers").json()
    searched = api.get("/customers", q="kafor").json()

    # then both answers equal the schema's serialisation of the same customers, newest first
    expected = schema_json([Customer.objects.get(pk=never.pk), Customer.objects.get(pk=signed_in.pk)])
    assert listed == expected
    assert searched == expected
    assert listed["results"][1]["last_login_at"] == "2026-11-21T10:00:00.123Z"
    assert listed["results"][1]["tags"] == ["cohort 3", "vip"]


def search_queries(term: str) -> int:
    """Queries of a search besides the token (already trusted): the page itself and, on SQLite for a
    single word the process has not seen for a while, the count that chooses between the full-text
    table and the newest-first walk."""
    words = term.split()
    common_word_check = connection.vendor == "sqlite" and len(words) == 1 and len(words[0]) >= 3
    return 1 + common_word_check


@pytest.mark.parametrize("term", ["", "stu", "student", "sam student"])
def test_a_search_makes_the_same_queries_for_any_page_size(
    api, creator, frozen_now, django_assert_num_queries, term
):
    for n in range(30):
        make_customer(creator, email=f"student{n}@example.com", first_name="Sam", last_name=f"Student{n}")
        clock.advance(dt.timedelta(seconds=1))
    api.get("/me")  # the token is looked up once and trusted for the calls that follow

    for limit in (1, 10, 200):
        selectors._sqlite_common_words.clear()
        with django_assert_num_queries(search_queries(term)):
            response = api.get("/customers", q=term, limit=limit)
        assert len(response.json()["results"]) == min(limit, 30)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite chooses a plan per word")
def test_sqlite_counts_a_word_once_then_remembers_which_plan_is_faster(
    api, creator, frozen_now, django_assert_num_queries
):
    for n in range(5):
        make_customer(creator, email=f"student{n}@example.com", first_name="Sam", last_name=f"Student{n}")
    api.get("/me")
    with django_assert_num_queries(2):
        first = api.get("/customers", q="student").json()["results"]
    with django_assert_num_queries(1):
        again = api.get("/customers", q="student").json()["results"]
    assert again == first and len(first) == 5


def test_an_exact_email_is_one_query(api, creator, frozen_now, django_assert_num_queries):
    customer = make_customer(creator, email="Zoe.Okafor@example.com", first_name="Zoë")
    make_customer(creator, email="zoe.okafor@example.com.au")  # contains the address, not equal to it
    api.get("/me")

    with django_assert_num_queries(1):
        response = api.get("/customers", q=" zoe.okafor@EXAMPLE.com ")

    assert response.json() == schema_json([Customer.objects.get(pk=customer.pk)])


def _prepared_on_the_server() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", ["%LOWER(email)%"]
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements of PostgreSQL")
def test_on_postgresql_the_email_lookup_is_planned_once_per_connection(api, creator, frozen_now, settings):
    one = make_customer(creator, email="zoe.okafor@example.com")
    other = make_customer(creator, email="sam.student@example.com")

    settings.DATABASE_PREPARED_STATEMENTS = False  # behind a PgBouncer older than 1.21
    assert [row["id"] for row in api.get("/customers", q=one.email).json()["results"]] == [str(one.pk)]
    assert _prepared_on_the_server() == []

    settings.DATABASE_PREPARED_STATEMENTS = True
    found = [api.get("/customers", q=customer.email).json()["results"] for customer in (one, other)]
    assert [[row["id"] for row in rows] for rows in found] == [[str(one.pk)], [str(other.pk)]]
    assert len(_prepared_on_the_server()) == 1  # one statement, run with both addresses
    # a word search is planned for its pattern at each request
    assert api.get("/customers", q="okafor").json()["results"][0]["id"] == str(one.pk)
    assert len(_prepared_on_the_server()) == 1


def test_a_merged_address_finds_the_customer_then_the_survivor_by_its_id(
    api, creator, frozen_now, django_assert_num_queries
):
    survivor = make_customer(creator, email="jessica.tran@gmail.com", first_name="Jessica", last_name="Tran")
    clock.advance(dt.timedelta(minutes=1))
    duplicate = make_customer(creator, email="jessica.tran@gmial.com", first_name="Jessica", last_name="Tran")
    assert api.post(f"/customers/{survivor.pk}/merge", {"duplicate_id": str(duplicate.pk)}).status_code == 200

    with django_assert_num_queries(2) as captured:
        both = api.get("/customers", q="jessica.tran@gmial.com").json()
    assert "LOWER(email)" not in captured.captured_queries[1]["sql"]  # the survivor, by its id
    first = api.get("/customers", q="jessica.tran@gmial.com", limit=1).json()
    second = api.get("/customers", q="jessica.tran@gmial.com", limit=1, cursor=first["next"]).json()

    assert [row["id"] for row in both["results"]] == [str(duplicate.pk), str(survivor.pk)]
    assert both["next"] is None
    assert [row["id"] for row in first["results"] + second["results"]] == [
        str(duplicate.pk),
        str(survivor.pk),
    ]
    assert second["next"] is None


def test_an_address_stored_before_the_address_rule_is_looked_up_as_written(
    api, creator, frozen_now, django_assert_num_queries
):
    # An address the rule for new ones refuses (a local part outside ASCII), stored as imported
    # before it: still one look-up through the address's index, not a search of every word.
    customer = make_customer(creator, email="søren.jørgensen@example.com", first_name="Søren")
    api.get("/me")

    with django_assert_num_queries(1) as captured:
        response = api.get("/customers", q="Søren.Jørgensen@example.com")

    assert [row["id"] for row in response.json()["results"]] == [str(customer.pk)]
    assert "LOWER(email)" in captured.captured_queries[0]["sql"]


def test_an_address_nobody_has_is_searched_as_words(api, creator, frozen_now):
    customer = make_customer(creator, email="zoe@example.com.au")

    response = api.get("/customers", q="zoe@example.com")

    assert [row["id"] for row in response.json()["results"]] == [str(customer.pk)]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "zo",
        "zoe",
        "okafor",
        "zoe oka",
        "ZOË",
        "50%",
        "a_b",
        "tran@gmail.com",
        "jessica.tran@gmial.com",
        "gmial",
    ],
)
def test_the_api_pages_find_what_the_search_selector_finds(api, creator, frozen_now, query):
    # given customers with accents, LIKE's wildcards, tags and a merged duplicate
    rows = [
        ("zoe@example.com", "Zoë", "Okafor", []),
        ("zoey@example.com", "Zoey", "Okafor-Smith", ["vip"]),
        ("fifty@example.com", "Fifty", "50% off", []),
        ("ab@example.com", "A_b", "Under", []),
        ("axb@example.com", "Axb", "Under", []),
        ("jessica.tran@gmail.com", "Jessica", "Tran", []),
        ("jessica.tran@gmial.com", "Jessica", "Tran", []),
    ]
    made = []
    for email, first, last, tags in rows:
        made.append(make_customer(creator, email=email, first_name=first, last_name=last, tag_names=tags))
        clock.advance(dt.timedelta(seconds=1))
    api.post(f"/customers/{made[-2].pk}/merge", {"duplicate_id": str(made[-1].pk)})

    # when the API pages through the search two at a time
    found, cursor = [], None
    while True:
        params = {"q": query, "limit": 2, **({"cursor": cursor} if cursor else {})}
        body = api.get("/customers", **params).json()
        found += [int(row["id"]) for row in body["results"]]
        cursor = body["next"]
        if cursor is None:
            break

    # then it finds what the selector finds, in the same order
    assert found == [customer.pk for customer in customer_search(creator=creator, query=query)]


def test_pages_split_customers_made_within_one_millisecond(api, creator, frozen_now):
    # given customers made a microsecond apart, two of them at the same moment
    made = []
    for n, step in enumerate([0, 1, 0, 1, 998]):
        clock.advance(dt.timedelta(microseconds=step))
        made.append(make_customer(creator, email=f"okafor{n}@example.com", last_name="Okafor"))

    # when the API pages through a search one customer at a time
    found, cursor, written = [], None, []
    while True:
        body = api.get("/customers", q="okafor", limit=1, **({"cursor": cursor} if cursor else {})).json()
        found += [int(row["id"]) for row in body["results"]]
        written += [row["created_at"] for row in body["results"]]
        cursor = body["next"]
        if cursor is None:
            break

    # then each customer comes once, newest first, with its moment written to the millisecond
    assert found == [customer.pk for customer in customer_search(creator=creator, query="okafor")]
    assert sorted(found) == sorted(customer.pk for customer in made)
    assert written[-1] == "2026-11-21T10:00:00Z"
    assert written[0] == "2026-11-21T10:00:00.001Z"
