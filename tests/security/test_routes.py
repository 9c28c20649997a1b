"""Every page: anonymous visitors are sent to sign in, and another creator's objects are a 404."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from coursedesk.accounts.sessions import SessionStore
from coursedesk.classroom.auth import COOKIE_NAME, student_login
from tests.security.routes import all_routes

ROUTES = all_routes()
CREATOR_ROUTES = [r for r in ROUTES if r.is_creator]
STUDENT_ROUTES = [r for r in ROUTES if r.is_student and not r.is_public]

FOREIGN_ROUTES = [r for r in CREATOR_ROUTES if r.parameters]


def ids(routes):
    return [r.name or r.route for r in routes]


def test_the_sweep_finds_the_known_pages():
    names = {r.name for r in ROUTES}
    assert {
        "desk:activity",
        "desk:teach",
        "desk:links",
        "accounts:settings",
        "desk:payment_settings",
        "classroom:course",
        "classroom:lesson",
        "classroom:billing",
        "classroom:cancel",
        "desk:customer",
        "desk:students_csv",
        "billing:stripe_webhook",
    } <= names


@pytest.mark.parametrize("route", CREATOR_ROUTES, ids=ids(CREATOR_ROUTES))
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitor_is_sent_to_the_creator_sign_in(client, mine, route, method):
    url = route.url(mine.url_values())

    response = getattr(client, method)(url)

    assert response.status_code == 302, url
    assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.parametrize("route", STUDENT_ROUTES, ids=ids(STUDENT_ROUTES))
def test_anonymous_visitor_is_sent_to_the_course_sign_in(client, mine, route):
    url = route.url(mine.url_values())

    response = client.get(url)

    assert response.status_code == 302, url
    assert response["Location"].startswith(f"/c/{mine.course.slug}/login/")


def fetch(client, url):
    """GET the page, or POST to it when it is an action that only takes POST."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, HTTP_HX_REQUEST="true")
    return response


@pytest.mark.parametrize("route", FOREIGN_ROUTES, ids=ids(FOREIGN_ROUTES))
def test_another_creators_object_is_not_found(client, mine, theirs, route):
    client.force_login(mine.creator)

    response = fetch(client, route.url(theirs.url_values()))

    assert response.status_code == 404


@pytest.mark.parametrize("route", FOREIGN_ROUTES, ids=ids(FOREIGN_ROUTES))
def test_a_missing_object_is_not_found(client, mine, route):
    client.force_login(mine.creator)
    values = {
        name: ("999999" if value.isdigit() else "no-such-thing") for name, value in mine.url_values().items()
    }

    response = fetch(client, route.url(values))

    assert response.status_code == 404


@pytest.mark.parametrize("route", CREATOR_ROUTES, ids=ids(CREATOR_ROUTES))
def test_every_creator_page_opens_for_its_owner(client, mine, route):
    client.force_login(mine.creator)

    response = client.get(route.url(mine.url_values()))

    # 405: an action that only takes POST; everything else renders or redirects.
    assert response.status_code in {200, 302, 405}, route.route


def sign_in_student(client, customer) -> None:
    """Puts a signed-in student session for `customer` in the client's cookie jar."""
    request = RequestFactory().get("/")
    request.student_session = SessionStore()
    student_login(request, customer)
    request.student_session.save()
    client.cookies[COOKIE_NAME] = request.student_session.session_key


def test_a_student_of_one_creator_is_not_signed_in_at_another(client, mine, theirs):
    sign_in_student(client, mine.customer)

    for route in STUDENT_ROUTES:
        response = client.get(route.url(theirs.url_values()))
        assert response.status_code == 302, route.route
        assert response["Location"].startswith(f"/c/{theirs.course.slug}/login/")


def test_the_creator_pages_are_not_open_to_a_signed_in_student(mine):
    """A student cookie is not a creator session."""
    client = Client()
    client.cookies["coursedesk_student"] = "anything"

    response = client.get("/desk/")

    assert response.status_code == 302
