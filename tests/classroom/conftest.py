"""Fixtures for the student pages: an enrolled student and a signed-in test client."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.factories import TEST_PASSWORD, make_enrolment


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    # Sign-in throttling counts live in the (process-wide) cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def enrolment(customer, course):
    return make_enrolment(customer, course)


def sign_in(client, course, email, password=TEST_PASSWORD):
    return client.post(f"/c/{course.slug}/login/", {"email": email, "password": password})


@pytest.fixture
def student_client(client, customer, course, enrolment):
    """A test client signed in as the customer through the course's sign-in page."""
    response = sign_in(client, course, customer.email)
    assert response.status_code == 302, response.content
    return client
