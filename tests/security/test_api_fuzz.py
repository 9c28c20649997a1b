"""The API fuzzed from its own OpenAPI schema: no server errors, every response as documented."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from tests.security.conftest import make_tenant

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def token(db):
    # Called through WSGI, Django would close the test's database connection after each request
    # (Django's test client switches that off the same way).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield make_tenant("fuzz@example.com", "fuzz-course", "Fuzz Studio").token
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_answers_every_generated_request_as_documented(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"})
