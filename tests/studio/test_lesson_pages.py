"""The studio's lesson pages: add and edit lessons, the live preview, the order buttons, drag and drop."""

from __future__ import annotations

import json

from coursedesk.audit.models import AuditEvent
from coursedesk.catalog.models import Lesson, LessonFile
from tests.factories import make_course
from tests.studio.conftest import image_upload


def test_adding_a_lesson_with_markdown_video_drip_and_a_file(creator_client, creator, course, media_root):
    response = creator_client.post(
        f"/studio/courses/{course.pk}/lessons/new/",
        {
            "title": "Mixing greens",
            "section": "",
            "body_markdown": "Yellow and **blue**.",
            "video_url": "https://youtu.be/dQw4w9WgXcQ",
            "available_after_days": "3",
            "free_preview": "on",
            "file": image_upload(name="swatches.png"),
        },
    )

    assert response.status_code == 302
    lesson = Lesson.objects.get(title="Mixing greens")
    assert (lesson.position, lesson.body_html, lesson.available_after_days, lesson.free_preview) == (
        2,
        "<p>Yellow and <strong>blue</strong>.</p>\n",
        3,
        True,
    )
    assert LessonFile.objects.get(lesson=lesson).name == "swatches.png"


def test_a_video_outside_the_allowlist_is_shown_on_its_field(creator_client, course):
    response = creator_client.post(
        f"/studio/courses/{course.pk}/lessons/new/", {"title": "Bad", "video_url": "https://evil.example/v"}
    )

    assert response.status_code == 422
    assert (
        "This video address is not supported. Use YouTube, Vimeo, Wistia, Loom" in response.content.decode()
    )
    assert not Lesson.objects.filter(title="Bad").exists()


def test_the_live_preview_renders_markdown_safely(creator_client):
    response = creator_client.post(
        "/studio/markdown-preview/", {"body_markdown": "# Hi\n\n<img src=x onerror=alert(1)>"}
    )

    assert response.content.decode() == "<h2>Hi</h2>\n<p>&lt;img src=x onerror=alert(1)&gt;</p>\n"


def test_the_course_page_has_order_buttons_and_sections(creator_client, creator, course):
    creator_client.post(f"/studio/courses/{course.pk}/sections/", {"title": "Basics"})
    creator_client.post(f"/studio/courses/{course.pk}/lessons/new/", {"title": "Second"})
    first = course.lessons.get(position=1)

    html = creator_client.get(f"/studio/courses/{course.pk}/").content.decode()
    assert "<h3>Basics</h3>" in html
    assert 'aria-label="Move “First lesson” down"' in html

    creator_client.post(f"/studio/lessons/{first.pk}/move/", {"direction": "down"})
    assert list(course.lessons.order_by("position").values_list("title", flat=True)) == [
        "Second",
        "First lesson",
    ]


def test_the_drag_and_drop_order_is_saved(creator_client, course):
    creator_client.post(f"/studio/courses/{course.pk}/lessons/new/", {"title": "Second"})
    first, second = course.lessons.order_by("position")

    response = creator_client.post(
        f"/studio/courses/{course.pk}/outline/",
        {"outline": json.dumps([{"id": None, "lessons": [str(second.pk), str(first.pk)]}])},
    )

    assert response.json() == {"saved": True}
    assert list(course.lessons.order_by("position").values_list("title", flat=True)) == [
        "Second",
        "First lesson",
    ]


def test_a_drag_and_drop_order_with_a_foreign_lesson_is_refused(creator_client, other_creator, course):
    foreign = make_course(other_creator).lessons.get()
    mine = course.lessons.get()
    before = AuditEvent.objects.count()

    response = creator_client.post(
        f"/studio/courses/{course.pk}/outline/",
        {"outline": json.dumps([{"id": None, "lessons": [mine.pk, foreign.pk]}])},
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "outline_mismatch"
    assert Lesson.objects.get(pk=foreign.pk).course_id != course.pk
    assert AuditEvent.objects.count() == before


def test_another_creators_lesson_is_not_found(creator_client, other_creator):
    foreign = make_course(other_creator).lessons.get()

    for url in (
        f"/studio/lessons/{foreign.pk}/",
        f"/studio/lessons/{foreign.pk}/move/",
        f"/studio/lessons/{foreign.pk}/delete/",
    ):
        assert creator_client.post(url, {"title": "Mine", "direction": "up"}).status_code == 404
    assert Lesson.objects.get(pk=foreign.pk).title == "First lesson"
