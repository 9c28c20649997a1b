"""Fixtures for the student pages: an enrolled student and a signed-in test client."""

from __future__ import annotations

import pytest

from tests.factories import TEST_PASSWORD, make_enrolment


@pytest.fixture
def enrolment(customer, course):
    return make_enrolment(customer, course)


@pytest.fixture
def student_client(client, customer, course, enrolment):
    """A test client signed in as the customer through the course's sign-in page."""
    response = client.post(f"/c/{course.slug}/login/", {"email": customer.email, "password": TEST_PASSWORD})
    assert response.status_code == 302, response.content
    return client
