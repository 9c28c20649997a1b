"""With DEBUG off (as `make run` and production run), errors show CourseDesk's own pages: no URL list,
no traceback, and an API body too big for memory is a 400 in the API's error shape."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import path

from config.urls import urlpatterns as real_urlpatterns
from coursedesk.accounts.models import ApiToken


def broken_page(request):
    raise RuntimeError("secret internals")


# This module is also a URL map: the real one plus a page that always fails.
urlpatterns = [path("broken/", broken_page), *real_urlpatterns]


@pytest.fixture
def production(settings):
    settings.DEBUG = False


@pytest.mark.django_db
def test_an_unknown_address_shows_coursedesks_own_not_found_page(production, client):
    # When a visitor opens an address that does not exist
    response = client.get("/desk/customers/999999999/nothing-here/")

    # Then they get CourseDesk's page, not Django's list of every URL pattern
    assert response.status_code == 404
    body = response.content.decode()
    assert "<title>Not found · CourseDesk</title>" in body
    assert "Go to the start page" in body
    assert "URLconf" not in body and "urlpatterns" not in body


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_server_error_shows_coursedesks_own_page_in_its_style(production):
    # Given a page that fails with an unexpected error
    client = Client(raise_request_exception=False)

    # When a visitor opens it
    response = client.get("/broken/")

    # Then they see CourseDesk's error page, styled like the product, and no traceback
    assert response.status_code == 500
    body = response.content.decode()
    assert "<title>Something went wrong · CourseDesk</title>" in body
    assert "coursedesk/coursedesk" in body and ".css" in body
    assert "Course<b>Desk</b>" in body
    assert "secret internals" not in body and "Traceback" not in body


@pytest.mark.django_db
def test_a_ten_megabyte_api_body_is_refused_in_the_api_error_shape(production, creator):
    # Given a creator's API token
    _, key = ApiToken.issue(creator=creator)
    client = Client(raise_request_exception=False)

    # When a 10 MB body is sent
    response = client.patch(
        "/api/v1/customers/1",
        data=json.dumps({"first_name": "x" * 10_000_000}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )

    # Then it is refused as too large, in the API's error shape, without a traceback
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "request_too_large"
