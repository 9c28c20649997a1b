"""Every API route in the OpenAPI schema: no token is a 401, another creator's object is a 404."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from coursedesk.api.main import api

SCHEMA = api.get_openapi_schema(path_prefix="/api/v1")
OPERATIONS = [
    (method.upper(), path, operation)
    for path, methods in SCHEMA["paths"].items()
    for method, operation in methods.items()
    if method in {"get", "post", "put", "patch", "delete"}
]
WITH_IDS = [(m, p, o) for m, p, o in OPERATIONS if "{" in p]

# Which object a path parameter names, by the collection it follows: /customers/{id} → customer.
COLLECTION_OBJECT = {
    "courses": "course",
    "customers": "customer",
    "enrolments": "enrolment",
    "payments": "payment",
    "subscriptions": "subscription",
    "refunds": "refund",
    "emails": "email",
    "webhook-endpoints": "webhook_endpoint",
    "webhook-deliveries": "webhook_delivery",
    "lessons": "lesson",
    "payment-pages": "page",
    "coupons": "coupon",
    "bulk-actions": "bulk_action",
    "imports": "bulk_action",
}


def ids(operations):
    return [f"{method} {path}" for method, path, _ in operations]


def path_with(tenant, path: str) -> str:
    def value(match: re.Match) -> str:
        before = path[: match.start()].rstrip("/").rsplit("/", 1)[-1]
        name = match[1]
        kind = COLLECTION_OBJECT.get(before) or name.removesuffix("_id")
        if not hasattr(tenant, kind):
            raise LookupError(f"{path}: teach COLLECTION_OBJECT which object {{{name}}} names")
        return str(getattr(tenant, kind).pk)

    return re.sub(r"\{(\w+)\}", value, path)


# Ids in bodies that name an object of a kind under another name (a merge's duplicate is a customer).
ALSO_NAMED = {"duplicate": "customer"}


def example_body(operation: dict, tenant) -> dict | None:
    """A body that passes validation, so a 404 is about the object and not about the input."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if not content:
        return None
    schema = content["schema"]
    if "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    body = {}
    for name in schema.get("required", []):
        spec = schema["properties"][name]
        kind = spec.get("type") or next((s.get("type") for s in spec.get("anyOf", []) if s.get("type")), "")
        if spec.get("enum"):
            body[name] = spec["enum"][0]
        elif name.endswith("_id"):
            kind = name.removesuffix("_id")
            body[name] = str(getattr(tenant, ALSO_NAMED.get(kind, kind)).pk)
        elif spec.get("format") == "email" or name == "email":
            body[name] = "new.student@example.com"
        elif spec.get("format") == "date":
            body[name] = (dt.date.today() + dt.timedelta(days=30)).isoformat()
        elif spec.get("format") == "date-time":
            body[name] = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat()
        elif kind == "integer":
            body[name] = 100
        elif kind == "boolean":
            body[name] = False
        elif kind == "array":
            body[name] = []
        else:
            body[name] = "Sam"
    return body


def call(client, method: str, path: str, body=None, token: str | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    if body is None:
        return client.generic(method, path, **headers)
    import json

    return client.generic(method, path, json.dumps(body), content_type="application/json", **headers)


def test_the_schema_lists_the_courses_route():
    assert ("GET", "/api/v1/courses") in {(m, p) for m, p, _ in OPERATIONS}


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=ids(OPERATIONS))
def test_no_token_is_401(client, mine, method, path, operation):
    response = call(client, method, path_with(mine, path), example_body(operation, mine))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=ids(OPERATIONS))
def test_a_wrong_or_revoked_token_is_401(client, mine, method, path, operation):
    from coursedesk.core import clock

    mine.api_token.revoked_at = clock.now()
    mine.api_token.save()

    for token in (mine.token, "cd_not-a-token", "garbage"):
        response = call(client, method, path_with(mine, path), example_body(operation, mine), token)
        assert response.status_code == 401, token


@pytest.mark.parametrize(("method", "path", "operation"), WITH_IDS, ids=ids(WITH_IDS))
def test_another_creators_object_is_404(client, mine, theirs, method, path, operation):
    response = call(client, method, path_with(theirs, path), example_body(operation, mine), mine.token)

    # Deleting a customer is refused for everyone, so that refusal confirms nothing.
    allowed = {404, 405} if (method, path) == ("DELETE", "/api/v1/customers/{id}") else {404}
    assert response.status_code in allowed, response.content
    assert response.json()["error"]["code"] in {"not_found", "customer_delete_not_allowed"}
