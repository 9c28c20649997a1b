"""Integrations fixtures: a webhook endpoint of the creator pointing at the loopback receiver."""

from __future__ import annotations

import pytest

from coursedesk.audit.services import Actor
from coursedesk.integrations.endpoints import webhook_endpoint_create
from coursedesk.integrations.events import EVENT_TYPES
from tests.api.conftest import api  # noqa: F401  (the API client fixture)
from tests.desk.conftest import (  # noqa: F401  (fixtures shared with the desk tests)
    enrolment,
    monthly_page,
    payment,
    subscription,
)


@pytest.fixture
def endpoint_and_secret(creator, receiver):
    return webhook_endpoint_create(
        creator=creator,
        url=receiver.url,
        events=list(EVENT_TYPES),
        description="CRM",
        actor=Actor.creator(creator),
        source="desk",
    )


@pytest.fixture
def endpoint(endpoint_and_secret):
    return endpoint_and_secret[0]


@pytest.fixture
def secret(endpoint_and_secret):
    return endpoint_and_secret[1]
