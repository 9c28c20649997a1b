"""GET /api/v1/me (API.md, Teams): who a token speaks for, read without touching customer data."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from coursedesk.accounts.models import ApiToken
from coursedesk.core import clock


def test_a_creators_token_is_the_owner_with_every_scope(api, creator, customer):
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/me")
    assert response.status_code == 200
    assert response.json() == {
        "creator_id": str(creator.pk),
        "member_email": "maya@example.com",
        "role": "owner",
        "scopes": ["read", "write"],
    }
    # The floor of an API request: the token look-up and nothing of the customers.
    assert not [q["sql"] for q in queries.captured_queries if "customers_" in q["sql"]]


def test_me_without_a_token_is_401(client, creator):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_me_with_a_revoked_token_is_401(client, creator):
    token, key = ApiToken.issue(creator=creator)
    token.revoked_at = clock.now()
    token.save()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401


def test_me_is_in_the_schema(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/me"]["get"]
    shape = schema["components"]["schemas"][
        operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    ]
    assert set(shape["required"]) == {"creator_id", "member_email", "role", "scopes"}
