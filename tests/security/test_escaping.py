"""Hostile customer names are shown as text everywhere: pages, emails and spreadsheets."""

from __future__ import annotations

import csv
import io

import pytest
from django.core import mail

from coursedesk.audit.services import Actor, audit_record
from coursedesk.mail.services import welcome_email_queue
from tests.factories import make_customer, make_enrolment
from tests.security.routes import all_routes

SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example","click")'
CREATOR_PAGES = [r for r in all_routes() if r.is_creator]


@pytest.fixture
def hostile(mine):
    customer = make_customer(mine.creator, email="mallory@example.com", first_name=SCRIPT, last_name=FORMULA)
    make_enrolment(customer, mine.course, source="desk")
    audit_record(
        creator=mine.creator,
        customer=customer,
        type="customer.created",
        actor=Actor.creator(mine.creator),
        source="desk",
        subject=customer,
        data={"first_name": SCRIPT, "last_name": FORMULA},
    )
    mine.customer = customer  # routes with a customer id now open this one
    return customer


@pytest.mark.parametrize("route", CREATOR_PAGES, ids=[r.name or r.route for r in CREATOR_PAGES])
def test_creator_pages_never_emit_the_name_as_markup(client, mine, hostile, route):
    client.force_login(mine.creator)

    response = client.get(route.url(mine.url_values()), {"q": "mallory"})
    if not response["Content-Type"].startswith("text/html"):
        # A download (the students CSV) holds the name as data and is never rendered as a page.
        assert response["Content-Disposition"].startswith("attachment")
        return
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert SCRIPT.encode() not in content
    assert b"<script>alert" not in content


def test_activity_page_shows_the_name_as_text(client, mine, hostile):
    client.force_login(mine.creator)

    html = client.get("/desk/").content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert SCRIPT not in html


def test_welcome_email_html_escapes_the_name(mine, hostile, django_capture_on_commit_callbacks):
    mine.course.welcome_email_subject = "Welcome, {{ first_name }}"
    mine.course.welcome_email_body = "Hi {{ first_name }} {{ last_name }}, sign in at {{ login_url }}"
    mine.course.save()

    with django_capture_on_commit_callbacks(execute=True):
        email = welcome_email_queue(
            customer=hostile, course=mine.course, actor=Actor.creator(mine.creator), source="desk"
        )

    assert SCRIPT not in email.html_body
    escaped = "Hi &lt;script&gt;alert(1)&lt;/script&gt; =HYPERLINK(&quot;http://evil.example&quot;"
    assert escaped in email.html_body
    # The plain-text part is text: shown as written, never interpreted.
    assert email.text_body.startswith(f"Hi {SCRIPT} {FORMULA}, sign in at http")
    [sent] = mail.outbox
    html_part = next(content for content, kind in sent.alternatives if kind == "text/html")
    assert SCRIPT not in html_part


@pytest.mark.parametrize("where", ["desk", "api"])
def test_csv_export_cells_never_start_a_formula(client, mine, hostile, where):
    client.force_login(mine.creator)
    path = {
        "desk": f"/desk/courses/{mine.course.pk}/students.csv",
        "api": f"/api/v1/courses/{mine.course.pk}/students.csv",
    }[where]

    response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {mine.token}")

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    [row] = [r for r in rows if "mallory@example.com" in r]
    assert row[0] == SCRIPT  # text in a CSV cell: shown as written, never run
    assert row[1] == "'" + FORMULA
    for other in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in other), other


def test_api_returns_the_name_as_exact_json_text(client, mine, hostile):
    response = client.get("/api/v1/customers", {"q": "mallory"}, HTTP_AUTHORIZATION=f"Bearer {mine.token}")

    assert response["Content-Type"].startswith("application/json")
    [found] = response.json()["results"]
    assert (found["first_name"], found["last_name"]) == (SCRIPT, FORMULA)
