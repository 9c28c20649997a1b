"""CSRF on every form and htmx request; security headers and a strict Content-Security-Policy."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.security.routes import all_routes

ROUTES = all_routes()
# Webhooks are called by the gateway, which proves itself with a signature instead of a cookie.
FORM_ROUTES = [r for r in ROUTES if "webhook" not in r.name and "webhook" not in r.route]
PAGES = [r for r in ROUTES if not r.parameters or set(r.parameters) <= {"course_slug", "page_id"}]
POST_FORM = re.compile(r"<form\b[^>]*method=[\"']?post[\"']?[^>]*>(.*?)</form>", re.S | re.I)


def ids(routes):
    return [r.name or r.route for r in routes]


@pytest.fixture
def csrf_client(mine):
    client = Client(enforce_csrf_checks=True)
    client.force_login(mine.creator)
    return client


@pytest.mark.parametrize("route", FORM_ROUTES, ids=ids(FORM_ROUTES))
def test_a_post_without_the_csrf_token_is_refused(csrf_client, mine, route):
    url = route.url(mine.url_values())

    plain = csrf_client.post(url, {"first_name": "Mallory"})
    from_htmx = csrf_client.post(url, {"first_name": "Mallory"}, HTTP_HX_REQUEST="true")

    assert plain.status_code == 403, url
    assert from_htmx.status_code == 403, url


def test_a_refused_post_changes_nothing(csrf_client, mine):
    from coursedesk.accounts.models import ApiToken

    response = csrf_client.post(f"/accounts/settings/tokens/{mine.api_token.pk}/revoke/")

    assert response.status_code == 403
    assert ApiToken.objects.get(pk=mine.api_token.pk).revoked_at is None


def test_a_post_with_the_token_passes_the_check(mine):
    client = Client(enforce_csrf_checks=True)
    client.force_login(mine.creator)
    client.get("/accounts/settings/")
    token = client.cookies["csrftoken"].value

    response = client.post(f"/accounts/settings/tokens/{mine.api_token.pk}/revoke/", HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 302


@pytest.mark.parametrize("route", PAGES, ids=ids(PAGES))
def test_every_post_form_on_a_page_carries_the_token(csrf_client, mine, route):
    response = csrf_client.get(route.url(mine.url_values()))
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return
    html = response.content.decode()

    for form in POST_FORM.findall(html):
        assert 'name="csrfmiddlewaretoken"' in form, form[:200]
    if "hx-post" in html or "hx-patch" in html or "hx-delete" in html:
        assert 'hx-headers=\'{"X-CSRFToken": "' in html


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/desk/", "/c/watercolor/"])
def test_security_headers_on_pages(client, mine, url):
    client.force_login(mine.creator)

    response = client.get(url)

    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'self'"
    assert "unsafe" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_pages_have_no_inline_script_or_style(client, mine):
    client.force_login(mine.creator)
    for url in [
        "/",
        "/accounts/login/",
        "/desk/",
        "/desk/teach/",
        "/desk/links/",
        "/accounts/settings/",
        "/payments/settings/",
        f"/buy/{mine.page.pk}/",
        "/c/watercolor/",
    ]:
        html = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"\sstyle=", html), url
        assert not re.search(r"\son[a-z]+=", html), url


def test_api_responses_are_not_framed_or_sniffed(client, mine):
    response = client.get("/api/v1/courses", HTTP_AUTHORIZATION=f"Bearer {mine.token}")

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_https_settings_add_hsts_and_secure_cookies(settings, mine):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    client = Client()

    response = client.get("/accounts/login/", secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response.cookies["csrftoken"]["secure"] is True
