"""A course's outline: sections, ordered lessons, Markdown, the video allowlist, drip and files."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.catalog.lessons import (
    course_outline,
    course_outline_set,
    lesson_create,
    lesson_delete,
    lesson_file_add,
    lesson_move,
    lesson_update,
    markdown_render,
    section_create,
    section_delete,
)
from coursedesk.catalog.models import Lesson, LessonFile
from coursedesk.catalog.video import video_embed
from coursedesk.core.errors import DomainError
from tests.factories import make_course


@pytest.fixture
def empty_course(creator):
    course = make_course(creator, title="Ink", slug="ink", published=False)
    course.lessons.all().delete()
    return course


def by(creator):
    return {"actor": Actor.creator(creator), "source": "desk"}


def outline_titles(course):
    return [
        (section.title if section else None, [lesson.title for lesson in lessons])
        for section, lessons in course_outline(course=course)
    ]


def positions(course):
    return list(course.lessons.order_by("position").values_list("title", "position"))


def test_lessons_are_numbered_across_sections_in_order(creator, empty_course):
    basics = section_create(course=empty_course, title="Basics", **by(creator))
    advanced = section_create(course=empty_course, title="Advanced", **by(creator))
    lesson_create(course=empty_course, title="Glazing", section_id=advanced.pk, **by(creator))
    lesson_create(course=empty_course, title="Brushes", section_id=basics.pk, **by(creator))
    lesson_create(course=empty_course, title="Paper", section_id=basics.pk, position=1, **by(creator))
    lesson_create(course=empty_course, title="Welcome", **by(creator))

    assert outline_titles(empty_course) == [
        (None, ["Welcome"]),
        ("Basics", ["Paper", "Brushes"]),
        ("Advanced", ["Glazing"]),
    ]
    assert positions(empty_course) == [("Welcome", 1), ("Paper", 2), ("Brushes", 3), ("Glazing", 4)]
    types = list(AuditEvent.objects.filter(creator=creator).values_list("type", flat=True).order_by("pk"))
    assert types == ["course.section_added"] * 2 + ["course.lesson_added"] * 4


def test_the_buttons_move_a_lesson_one_place_and_across_a_section_edge(creator, empty_course):
    basics = section_create(course=empty_course, title="Basics", **by(creator))
    advanced = section_create(course=empty_course, title="Advanced", **by(creator))
    paper = lesson_create(course=empty_course, title="Paper", section_id=basics.pk, **by(creator))
    lesson_create(course=empty_course, title="Brushes", section_id=basics.pk, **by(creator))
    glazing = lesson_create(course=empty_course, title="Glazing", section_id=advanced.pk, **by(creator))

    lesson_move(lesson=paper, direction="down", **by(creator))
    assert outline_titles(empty_course) == [("Basics", ["Brushes", "Paper"]), ("Advanced", ["Glazing"])]

    lesson_move(lesson=glazing, direction="up", **by(creator))
    assert outline_titles(empty_course) == [("Basics", ["Brushes", "Paper", "Glazing"]), ("Advanced", [])]
    assert positions(empty_course) == [("Brushes", 1), ("Paper", 2), ("Glazing", 3)]


def test_moving_the_first_lesson_up_changes_nothing(creator, empty_course):
    first = lesson_create(course=empty_course, title="First", **by(creator))
    before = AuditEvent.objects.count()

    lesson_move(lesson=first, direction="up", **by(creator))

    assert positions(empty_course) == [("First", 1)]
    assert AuditEvent.objects.count() == before


def test_a_drag_and_drop_order_is_saved_whole(creator, empty_course):
    basics = section_create(course=empty_course, title="Basics", **by(creator))
    advanced = section_create(course=empty_course, title="Advanced", **by(creator))
    a = lesson_create(course=empty_course, title="A", section_id=basics.pk, **by(creator))
    b = lesson_create(course=empty_course, title="B", section_id=basics.pk, **by(creator))
    c = lesson_create(course=empty_course, title="C", section_id=advanced.pk, **by(creator))

    course_outline_set(
        course=empty_course,
        sections=[
            {"id": str(advanced.pk), "lessons": [str(b.pk), str(c.pk)]},
            {"id": basics.pk, "lessons": [a.pk]},
        ],
        **by(creator),
    )

    assert outline_titles(empty_course) == [("Advanced", ["B", "C"]), ("Basics", ["A"])]
    assert positions(empty_course) == [("B", 1), ("C", 2), ("A", 3)]
    event = AuditEvent.objects.filter(type="course.outline_changed").get()
    assert event.data["order"] == {"old": [a.pk, b.pk, c.pk], "new": [b.pk, c.pk, a.pk]}


@pytest.mark.parametrize(
    "outline",
    [
        [{"id": None, "lessons": ["A"]}],  # a lesson left out
        [{"id": None, "lessons": ["A", "B", "B"]}],  # one twice
        [{"id": None, "lessons": ["A", "B", "FOREIGN"]}],  # another course's lesson
        [{"id": "nope", "lessons": ["A", "B"]}],
    ],
)
def test_an_order_that_does_not_match_the_lessons_is_refused(creator, other_creator, empty_course, outline):
    a = lesson_create(course=empty_course, title="A", **by(creator))
    b = lesson_create(course=empty_course, title="B", **by(creator))
    foreign = make_course(other_creator).lessons.get()
    ids = {"A": a.pk, "B": b.pk, "FOREIGN": foreign.pk}
    outline = [{**entry, "lessons": [ids[name] for name in entry["lessons"]]} for entry in outline]
    before = AuditEvent.objects.count()

    with pytest.raises(DomainError) as refused:
        course_outline_set(course=empty_course, sections=outline, **by(creator))

    assert refused.value.code == "outline_mismatch"
    assert positions(empty_course) == [("A", 1), ("B", 2)]
    assert AuditEvent.objects.count() == before


def test_a_section_with_lessons_is_not_removed(creator, empty_course):
    basics = section_create(course=empty_course, title="Basics", **by(creator))
    lesson_create(course=empty_course, title="A", section_id=basics.pk, **by(creator))

    with pytest.raises(DomainError) as refused:
        section_delete(section=basics, **by(creator))

    assert refused.value.message == "This section still has lessons. Move or delete them first."
    assert empty_course.sections.count() == 1


def test_deleting_a_lesson_closes_the_gap(creator, empty_course):
    lesson_create(course=empty_course, title="A", **by(creator))
    b = lesson_create(course=empty_course, title="B", **by(creator))
    lesson_create(course=empty_course, title="C", **by(creator))

    lesson_delete(lesson=b, **by(creator))

    assert positions(empty_course) == [("A", 1), ("C", 2)]


def test_markdown_is_rendered_and_html_in_it_is_never_run():
    html = markdown_render(
        "# Mixing\n\n**Wet** on _wet_.\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))"
    )

    assert html.startswith("<h2>Mixing</h2>")  # h1 is the lesson's title
    assert "<strong>Wet</strong> on <em>wet</em>." in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<a" not in html and "[x](javascript:alert(1))" in html  # not a link


def test_a_lesson_keeps_its_markdown_and_its_rendered_html(creator, empty_course):
    lesson = lesson_create(course=empty_course, title="A", body_markdown="# Tools\n\n- brush", **by(creator))

    assert lesson.body_markdown == "# Tools\n\n- brush"
    assert lesson.body_html == "<h2>Tools</h2>\n<ul>\n<li>brush</li>\n</ul>\n"


@pytest.mark.parametrize(
    ("url", "embed"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871"),
        ("https://home.wistia.com/medias/e4a27b971d", "https://fast.wistia.net/embed/iframe/e4a27b971d"),
        (
            "https://www.loom.com/share/0281766fa2d04bb788eaf19e65135184",
            "https://www.loom.com/embed/0281766fa2d04bb788eaf19e65135184",
        ),
        ("https://cdn.example.com/lessons/intro.mp4", "https://cdn.example.com/lessons/intro.mp4"),
    ],
)
def test_allowed_video_addresses_become_their_embed(url, embed):
    assert video_embed(url).src == embed


@pytest.mark.parametrize(
    "url",
    [
        "http://www.youtube.com/watch?v=dQw4w9WgXcQ",  # not https
        "https://evil.example/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com.evil.example/embed/dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=<script>",
        "javascript:alert(1)//.mp4",
        "https://user:pass@cdn.example.com/a.mp4",
        'https://cdn.example.com/a.mp4"onerror=alert(1)',
        "https://dailymotion.com/video/x7tgad0",
    ],
)
def test_a_video_outside_the_allowlist_is_refused_and_nothing_is_saved(creator, empty_course, url):
    with pytest.raises(DomainError) as refused:
        lesson_create(course=empty_course, title="A", video_url=url, **by(creator))

    assert (refused.value.code, refused.value.status) == ("video_url_not_allowed", 422)
    assert Lesson.objects.filter(course=empty_course).count() == 0


def test_the_policy_allows_frames_from_exactly_the_embed_origins():
    from coursedesk.catalog.video import EMBED_ORIGINS
    from coursedesk.core.middleware import DEFAULT_POLICY, VIDEO_FRAME_ORIGINS

    assert VIDEO_FRAME_ORIGINS == EMBED_ORIGINS
    assert f"frame-src {' '.join(EMBED_ORIGINS)};" in DEFAULT_POLICY


def test_editing_a_lesson_records_what_changed(creator, empty_course):
    lesson = lesson_create(course=empty_course, title="A", **by(creator))

    lesson_update(lesson=lesson, title="Colour", available_after_days=7, free_preview=True, **by(creator))

    lesson.refresh_from_db()
    assert (lesson.title, lesson.available_after_days, lesson.free_preview) == ("Colour", 7, True)
    event = AuditEvent.objects.filter(type="course.lesson_updated").get()
    assert event.data["title"] == {"old": "A", "new": "Colour"}
    assert event.data["available_after_days"] == {"old": None, "new": 7}


@pytest.mark.parametrize("days", [-1, 3651, True, "7"])
def test_drip_days_must_be_a_whole_number_in_range(creator, empty_course, days):
    lesson = lesson_create(course=empty_course, title="A", **by(creator))

    with pytest.raises(DomainError):
        lesson_update(lesson=lesson, available_after_days=days, **by(creator))

    assert Lesson.objects.get(pk=lesson.pk).available_after_days is None


def test_a_file_is_stored_in_a_random_folder_outside_public_paths(creator, empty_course, media_root):
    lesson = lesson_create(course=empty_course, title="A", **by(creator))

    item = lesson_file_add(
        lesson=lesson,
        upload=SimpleUploadedFile("../../Palette sheet.pdf", b"%PDF-1.4 palette"),
        **by(creator),
    )

    parts = item.file.name.split("/")
    assert parts[0:2] == ["lesson-files", str(empty_course.pk)]
    assert len(parts[2]) == 32 and parts[3] == "Palette_sheet.pdf"
    assert (item.name, item.size) == ("Palette_sheet.pdf", 16)
    assert (media_root / item.file.name).read_bytes() == b"%PDF-1.4 palette"
    assert LessonFile.objects.count() == 1
