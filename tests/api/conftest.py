"""An API client that sends the creator's bearer token."""

import json

import pytest

from coursedesk.accounts.models import ApiToken
from tests.desk.conftest import (  # noqa: F401  (fixtures shared with the desk tests)
    enrolment,
    monthly_page,
    payment,
    second_course,
    subscription,
)


class ApiClient:
    def __init__(self, client, key):
        self.client = client
        self.headers = {"Authorization": f"Bearer {key}"}

    def call(self, method, path, body=None, **params):
        kwargs = {"headers": self.headers}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        elif params:
            kwargs["data"] = params
        return getattr(self.client, method)(f"/api/v1{path}", **kwargs)

    def get(self, path, **params):
        return self.call("get", path, **params)

    def post(self, path, body=None):
        return self.call("post", path, {} if body is None else body)

    def patch(self, path, body):
        return self.call("patch", path, body)

    def delete(self, path):
        return self.call("delete", path)


@pytest.fixture
def api(client, creator):
    _, key = ApiToken.issue(creator=creator)
    return ApiClient(client, key)
