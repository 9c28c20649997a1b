"""The public sales page of a published course: what it teaches, its outline and its prices."""

from __future__ import annotations

import re

from django.conf import settings
from django.utils import timezone

from coursedesk.catalog.models import Lesson, Section
from tests.factories import make_course, make_page

URL = "/courses/watercolor/"


def test_the_sales_page_shows_the_course_its_outline_and_a_checkout_per_price(client, course, one_time_page):
    type(course).objects.filter(pk=course.pk).update(
        description="Paint light & water.\n\nFrom the first stroke."
    )
    basics = Section.objects.create(course=course, title="Basics", position=1)
    course.lessons.update(section=basics)
    Lesson.objects.create(
        course=course,
        section=basics,
        position=2,
        title="Mixing greys",
        free_preview=True,
        body_html="<p>x</p>",
    )
    Lesson.objects.create(
        course=course, position=3, title="Skies", available_after_days=7, body_html="<p>y</p>"
    )
    monthly = make_page(course, "subscription", name="Monthly", amount=1900, trial_days=7)
    make_page(course, "one_time", name="Old offer", active=False)

    response = client.get(URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Watercolor Foundations</h1>" in html
    assert '<meta property="og:title" content="Watercolor Foundations">' in html
    assert (
        '<meta property="og:description" content="Paint light &amp; water.\n\nFrom the first stroke.">'
        in html
    )
    assert f'<meta property="og:url" content="{settings.SITE_URL}/courses/watercolor/">' in html
    assert "<h3>Basics</h3>" in html and "3 lessons" in html
    # The free preview opens; the others are only named.
    assert (
        '<a href="/c/watercolor/lessons/2/">Mixing greys</a> <span class="pill active">Free preview</span>'
        in html
    )
    assert "<li>First lesson</li>" in html
    assert 'Skies <span class="muted small">(opens 7 days after you join)</span>' in html
    assert "The secret of lesson one." not in html
    # One form per active price, a plain GET to its checkout (no JavaScript needed).
    actions = re.findall(r'<form method="get" action="([^"]+)"', html)
    assert actions == [
        f"{settings.SITE_URL}/buy/{one_time_page.pk}/",
        f"{settings.SITE_URL}/buy/{monthly.pk}/",
    ]
    assert "Lifetime access</strong> — $49.00" in html
    assert "Monthly</strong> — $19.00 / month after a 7-day free trial" in html
    assert "Old offer" not in html
    assert "<script" not in html.split("</head>", 1)[1]


def test_the_free_preview_opens_from_the_sales_page_for_anyone(client, course):
    Lesson.objects.create(
        course=course, position=2, title="Taster", free_preview=True, body_html="<p>Free part.</p>"
    )

    response = client.get("/c/watercolor/lessons/2/")

    assert response.status_code == 200 and "Free part." in response.content.decode()


def test_a_draft_or_archived_course_has_no_sales_page(client, creator):
    make_course(creator, slug="draft", published=False)
    make_course(creator, slug="old", archived_at=timezone.now())

    assert client.get("/courses/draft/").status_code == 404
    assert client.get("/courses/old/").status_code == 404
    assert client.get("/courses/nothing-here/").status_code == 404


def test_the_thumbnail_is_the_open_graph_image(client, course):
    type(course).objects.filter(pk=course.pk).update(thumbnail="thumbnails/cover.png")

    html = client.get(URL).content.decode()

    assert f'<meta property="og:image" content="{settings.SITE_URL}/media/thumbnails/cover.png">' in html
