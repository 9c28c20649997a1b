"""Reset links: 24 hours, single use, another course's link refused, no account enumeration."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import TestCase

from coursedesk.core import clock


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def ask_for_link(client, course, email: str):
    """Fills the reset form; returns the page and the links emailed (sent when it commits)."""
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(f"/c/{course.slug}/password-reset/", {"email": email})
    links = [
        link
        for message in mail.outbox
        for link in re.findall(r"https?://\S+/password-reset/\S+/", message.body)
    ]
    return response, links


def test_link_works_until_24_hours_then_is_gone(client, mine, frozen_now):
    _, [link] = ask_for_link(client, mine.course, mine.customer.email)
    path = link.split("://", 1)[1].split("/", 1)[1]

    clock.advance(dt.timedelta(hours=23, minutes=59))
    assert client.get(f"/{path}").status_code == 200
    clock.advance(dt.timedelta(minutes=2))

    assert client.get(f"/{path}").status_code == 410


def test_link_is_single_use(client, mine):
    _, [link] = ask_for_link(client, mine.course, mine.customer.email)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]

    first = client.post(path, {"password": "brand-new-brush-77", "password_again": "brand-new-brush-77"})
    second = client.post(path, {"password": "another-brush-88", "password_again": "another-brush-88"})

    assert first.status_code == 302
    assert second.status_code == 410
    mine.customer.refresh_from_db()
    assert mine.customer.check_password("brand-new-brush-77")


def test_a_link_for_one_course_is_refused_on_another_creators_course(client, mine, theirs):
    _, [link] = ask_for_link(client, mine.course, mine.customer.email)
    token = link.rstrip("/").rsplit("/", 1)[1]

    assert client.get(f"/c/{theirs.course.slug}/password-reset/{token}/").status_code == 410


def test_known_and_unknown_addresses_get_the_same_page(client, mine):
    known, known_links = ask_for_link(client, mine.course, mine.customer.email)
    unknown, unknown_links = ask_for_link(client, mine.course, "nobody@example.com")

    assert known.status_code == unknown.status_code == 200

    def normalise(response, email):
        html = response.content.decode().replace(email, "EMAIL")
        return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', r"\1", html)

    assert normalise(known, mine.customer.email) == normalise(unknown, "nobody@example.com")
    assert len(known_links) == 1
    assert unknown_links == []
