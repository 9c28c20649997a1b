"""axe-core (axe-playwright-python) over every desk page and every student page: no serious or
critical violation. Each page is opened as the person who uses it, with data on it."""

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe

from coursedesk.audit.services import Actor
from coursedesk.billing.models import Subscription
from coursedesk.customers import services
from coursedesk.customers.models import BulkAction
from tests.desk.conftest import make_payment, make_subscription
from tests.factories import TEST_PASSWORD, make_course, make_customer, make_enrolment, make_page

AXE = Axe()
SERIOUS = {"serious", "critical"}


@pytest.fixture
def desk_data(browser_creator):
    course = make_course(browser_creator, title="Python for Data Analysis", slug="python")
    page = make_page(course, "one_time", name="Lifetime access", amount=4900)
    monthly = make_page(course, "subscription", name="Monthly", amount=1900)
    zoe = make_customer(browser_creator, email="zoe@example.com", first_name="Zoë", last_name="Okafor")
    make_enrolment(zoe, course, payment_page=page, source="checkout")
    payment = make_payment(
        zoe, course, 4900, payment_page=page, paid_at=dt.datetime(2026, 11, 7, 9, 0, tzinfo=dt.UTC)
    )
    make_subscription(zoe, course, monthly, status=Subscription.Status.PAST_DUE)
    actor = Actor.creator(browser_creator)
    services.customer_tags_set(customer=zoe, tags=["vip"], actor=actor, source="desk")
    services.note_add(customer=zoe, body="Asked about invoices.", actor=actor, source="desk")
    job = BulkAction.objects.create(
        creator=browser_creator,
        action="add_tag",
        params={"tag": "spring"},
        customer_ids=[zoe.pk],
        total=1,
        position=1,
        done=1,
        status="done",
        actor_kind="creator",
        actor_label=browser_creator.email,
        source="desk",
    )
    return {"course": course, "zoe": zoe, "payment": payment, "job": job, "page": page}


DESK_PAGES = [
    "/desk/",
    "/desk/?q=zoe",
    "/desk/customers/",
    "/desk/customers/?segment=past_due",
    "/desk/customers/{zoe}/",
    "/desk/customers/{zoe}/edit/",
    "/desk/customers/{zoe}/notes/new/",
    "/desk/customers/{zoe}/tags/",
    "/desk/customers/{zoe}/merge/",
    "/desk/payments/{payment}/refund/?change=1",
    "/desk/bulk-actions/{job}/",
    "/desk/courses/{course}/import/",
    "/desk/teach/",
    "/desk/links/",
    "/payments/settings/",
    "/payments/policy/",
    "/accounts/settings/",
    "/desk/settings/webhooks/",
]


def serious(page) -> list[str]:
    results = AXE.run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in SERIOUS
    ]


@pytest.mark.parametrize("path", DESK_PAGES)
def test_desk_pages_have_no_serious_violation(creator_page, desk_data, path):
    ids = {name: obj.pk for name, obj in desk_data.items()}
    creator_page.goto(path.format(**ids))

    assert serious(creator_page) == []


STUDENT_PAGES = [
    "/buy/{page}/",
    "/c/python/login/",
    "/c/python/password-reset/",
    "/c/python/",
    "/c/python/lessons/1/",
    "/c/python/billing/",
    "/c/python/cancel/",
]


@pytest.mark.parametrize("path", STUDENT_PAGES)
def test_student_pages_have_no_serious_violation(page, desk_data, path):
    if path.startswith("/c/") and path not in ("/c/python/login/", "/c/python/password-reset/"):
        page.goto("/c/python/login/")
        page.get_by_label("Email").fill("zoe@example.com")
        page.get_by_label("Password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/c/python/")
    page.goto(path.format(page=desk_data["page"].pk))

    assert serious(page) == []
