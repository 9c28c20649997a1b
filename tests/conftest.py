"""Shared fixtures: two creators (for tenancy), a course with pages, customers, a movable clock."""

from __future__ import annotations

import datetime as dt

import pytest

from coursedesk.core import clock
from tests.factories import make_course, make_creator, make_customer, make_page

# Fixtures for real peers (SMTP, Stripe) and the browser live in their own modules.
pytest_plugins = [
    "tests.peers.smtp",
    "tests.peers.stripe_server",
    "tests.peers.email_provider",
    "tests.peers.webhook_receiver",
    "tests.e2e.fixtures",
]


@pytest.fixture(autouse=True)
def _clock_runs_after_each_test():
    yield
    clock.set_now(None)


@pytest.fixture(autouse=True)
def _empty_cache_for_each_test():
    # Sign-in throttling counts failures per address (127.0.0.1 for every test) in the cache: one
    # test's failures must not lock another test out.
    from django.core.cache import cache

    from coursedesk.customers import selectors
    from coursedesk.desk import rendered

    cache.clear()
    selectors._sqlite_common_words.clear()  # each test's searches choose their SQLite plan afresh
    rendered.kept.clear()  # each test renders its profiles afresh
    yield
    cache.clear()


@pytest.fixture
def frozen_now():
    """Fixes the clock at a known instant; tests move it with clock.advance()."""
    moment = dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)
    clock.set_now(moment)
    return moment


@pytest.fixture
def creator(db):
    return make_creator(email="maya@example.com", display_name="Maya Studio")


@pytest.fixture
def other_creator(db):
    return make_creator(email="rival@example.com", display_name="Rival Academy")


@pytest.fixture
def course(creator):
    return make_course(creator, title="Watercolor Foundations", slug="watercolor")


@pytest.fixture
def one_time_page(course):
    return make_page(course, "one_time", name="Lifetime access", amount=4900)


@pytest.fixture
def customer(creator):
    return make_customer(creator, email="zoe@example.com", first_name="Zoë", last_name="Okafor")


@pytest.fixture
def creator_client(client, creator):
    client.force_login(creator)
    return client
