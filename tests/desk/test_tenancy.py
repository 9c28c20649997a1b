"""Tenancy: every desk page and every API route answers 404 for another creator's object."""

import datetime as dt
import re

import pytest
from django.db import transaction
from django.urls import get_resolver

from coursedesk.accounts.models import ApiToken, Invitation, Membership
from coursedesk.api.main import api as ninja_api
from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing.models import Refund, Subscription
from coursedesk.billing.receipts import receipt_issue
from coursedesk.catalog.models import Coupon
from coursedesk.customers.models import BulkAction, Enrolment
from coursedesk.integrations.deliveries import webhook_endpoint_test_send
from coursedesk.integrations.endpoints import webhook_endpoint_create
from coursedesk.mail.models import OutboundEmail
from tests.desk.conftest import make_payment, make_subscription
from tests.factories import make_course, make_creator, make_customer, make_enrolment, make_page


@pytest.fixture
def foreign(other_creator, frozen_now):
    """Objects of another creator, one of each kind a URL can name."""
    course = make_course(other_creator, title="Rival course", slug="rival")
    page = make_page(course, "subscription", amount=1500)
    customer = make_customer(other_creator, email="theirs@example.com")
    enrolment = make_enrolment(customer, course)
    subscription = make_subscription(customer, course, page)
    payment = make_payment(customer, course, 1500, subscription=subscription)
    endpoint, _ = webhook_endpoint_create(
        creator=other_creator,
        url="https://hooks.rival.example/in",
        events=["customer.created"],
        actor=Actor.system(),
        source="api",
    )
    delivery = webhook_endpoint_test_send(endpoint=endpoint)
    with transaction.atomic():
        receipt = receipt_issue(payment=payment)
    membership = Membership.objects.create(
        account=other_creator, person=make_creator(email="their-helper@example.com"), role="support"
    )
    invitation = Invitation.objects.create(
        account=other_creator,
        email="invited@example.com",
        role="viewer",
        key_hash="0" * 64,
        expires_at=frozen_now + dt.timedelta(days=7),
    )
    coupon = Coupon.objects.create(creator=other_creator, code="THEIRS", percent_off=10)
    bulk_action = BulkAction.objects.create(
        creator=other_creator, action="add_tag", actor_kind="creator", actor_label="rival", source="api"
    )
    return {
        "receipt": receipt,
        "lesson": course.lessons.first(),
        "payment_page": page,
        "coupon": coupon,
        "membership": membership,
        "invitation": invitation,
        "webhook_endpoint": endpoint,
        "endpoint": endpoint,
        "webhook_delivery": delivery,
        "delivery": delivery,
        "course": course,
        "customer": customer,
        "enrolment": enrolment,
        "payment": payment,
        "subscription": subscription,
        "bulk_action": bulk_action,
        "import": BulkAction.objects.create(
            creator=other_creator, action="import", actor_kind="creator", actor_label="rival", source="api"
        ),
    }


def desk_routes():
    resolver = get_resolver()
    routes = []
    for pattern in resolver.url_patterns:
        if getattr(pattern, "namespace", None) == "desk":
            for inner in pattern.url_patterns:
                route = str(inner.pattern)
                if "_id>" in route:
                    routes.append(f"/{pattern.pattern}{route}")
    return routes


def api_routes():
    routes = []
    for path, operations in ninja_api.get_openapi_schema()["paths"].items():
        if "{" in path:
            routes.extend((method, path) for method in operations)
    return routes


def snapshot():
    return (
        list(Membership.objects.values_list("pk", "role", "refund_limit")),
        list(Invitation.objects.values_list("pk", "canceled_at")),
        AuditEvent.objects.count(),
        OutboundEmail.objects.count(),
        Refund.objects.count(),
        list(Subscription.objects.values_list("status", flat=True)),
        list(Enrolment.objects.values_list("revoked_at", "expires_at")),
    )


def test_the_walk_covers_every_route():
    assert len(desk_routes()) == 37
    assert len(api_routes()) == 39


def test_every_desk_page_is_404_for_another_creators_object(creator_client, foreign):
    before = snapshot()
    for route in desk_routes():
        url = re.sub(r"<int:(\w+)_id>", lambda m: str(foreign[m.group(1)].pk), route)
        # A method a page does not serve at all is 405 for every creator alike (a POST to the
        # profile, a GET of view-as); every page serves one of the two, and that one is 404.
        answers = {
            method: getattr(creator_client, method)(url, {"confirmed": "yes"}).status_code
            for method in ("get", "post")
        }
        assert set(answers.values()) <= {404, 405} and 404 in answers.values(), (url, answers)
    assert snapshot() == before


def test_every_api_route_is_404_for_another_creators_object(client, creator, foreign):
    _, key = ApiToken.issue(creator=creator)
    before = snapshot()
    bodies = {
        "post": (
            '{"course_id": "COURSE", "resume_on": "2030-01-01", "email": "x@example.com", "body": "x", '
            '"duplicate_id": "DUPLICATE", "title": "x", "name": "x", "kind": "one_time", "amount": 100, '
            '"currency": "usd"}'
        ),
        "patch": '{"expires_at": null, "first_name": "X", "active": true}',
        "put": '{"tags": ["x"]}',
    }
    for method, path in api_routes():
        url = re.sub(r"\{(\w+)_id\}", lambda m: str(foreign[m.group(1)].pk), path)
        kwargs = {"headers": {"Authorization": f"Bearer {key}"}}
        if method in bodies:
            body = bodies[method].replace("COURSE", str(foreign["course"].pk))
            body = body.replace("DUPLICATE", str(foreign["customer"].pk))
            kwargs.update(data=body, content_type="application/json")
        response = getattr(client, method)(url, **kwargs)
        assert response.status_code == 404, (method, url, response.status_code, response.content[:200])
        assert response.json()["error"]["code"] == "not_found"
    assert snapshot() == before
