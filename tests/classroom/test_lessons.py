"""Lessons as students see them: sections, drip dates, free previews, videos and files for students only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from coursedesk.audit.services import Actor
from coursedesk.catalog.lessons import lesson_create, lesson_file_add, section_create
from coursedesk.core import clock
from tests.catalog.conftest import media_root  # noqa: F401  (fixture)
from tests.classroom.conftest import sign_in
from tests.factories import make_customer, make_enrolment


def by(creator):
    return {"actor": Actor.creator(creator), "source": "desk"}


@pytest.fixture
def lessons(creator, course, frozen_now):
    """The builder's first lesson, then a section with a video lesson, a dripped one and a preview."""
    basics = section_create(course=course, title="Basics", **by(creator))
    video = lesson_create(
        course=course,
        title="Mixing",
        section_id=basics.pk,
        body_markdown="Wet on **wet**.",
        video_url="https://vimeo.com/76979871",
        **by(creator),
    )
    dripped = lesson_create(
        course=course, title="Glazing", section_id=basics.pk, available_after_days=7, **by(creator)
    )
    preview = lesson_create(course=course, title="Tour", free_preview=True, **by(creator))
    item = lesson_file_add(
        lesson=video, upload=SimpleUploadedFile("palette.pdf", b"%PDF palette"), **by(creator)
    )
    for lesson in (video, dripped, preview):
        lesson.refresh_from_db()  # later lessons renumber the earlier ones
    return {"video": video, "dripped": dripped, "preview": preview, "file": item}


@pytest.fixture
def enrolled_client(client, customer, course, frozen_now):
    make_enrolment(customer, course, granted_at=frozen_now)
    assert sign_in(client, course, customer.email).status_code == 302
    return client


def test_the_course_page_shows_sections_and_the_dripped_lesson_locked_with_its_date(
    enrolled_client, course, lessons
):
    html = enrolled_client.get(f"/c/{course.slug}/").content.decode()

    assert "<h3>Basics</h3>" in html
    assert f'<a href="/c/{course.slug}/lessons/{lessons["video"].position}/">Mixing</a>' in html
    assert '<span class="locked">Glazing</span> <span class="pill">Opens on 2026-11-28</span>' in html
    assert f'/lessons/{lessons["dripped"].position}/"' not in html


def test_a_dripped_lesson_opens_on_its_date_and_not_before(enrolled_client, course, lessons):
    url = f"/c/{course.slug}/lessons/{lessons['dripped'].position}/"

    locked = enrolled_client.get(url)
    assert locked.status_code == 403
    assert (
        "This lesson opens on <strong>2026-11-28</strong>, 7 days after you joined the course."
        in locked.content.decode()
    )

    clock.advance(dt.timedelta(days=7))
    assert enrolled_client.get(url).status_code == 200


def test_a_lesson_shows_its_markdown_video_and_files(enrolled_client, course, lessons):
    html = enrolled_client.get(f"/c/{course.slug}/lessons/{lessons['video'].position}/").content.decode()

    assert "<p>Wet on <strong>wet</strong>.</p>" in html
    assert '<iframe src="https://player.vimeo.com/video/76979871"' in html
    assert f'href="/c/{course.slug}/files/{lessons["file"].pk}/" download>palette.pdf</a>' in html


def test_a_student_downloads_the_file(enrolled_client, course, lessons):
    response = enrolled_client.get(f"/c/{course.slug}/files/{lessons['file'].pk}/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF palette"
    assert response["Content-Disposition"] == 'attachment; filename="palette.pdf"'
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_a_file_missing_from_storage_is_not_found_instead_of_a_server_error(enrolled_client, course, lessons):
    # given the file's row outlived the stored file (storage restored from an older backup)
    lessons["file"].file.storage.delete(lessons["file"].file.name)

    response = enrolled_client.get(f"/c/{course.slug}/files/{lessons['file'].pk}/")

    assert response.status_code == 404


def test_nobody_else_gets_the_file(client, creator, other_creator, course, lessons, frozen_now):
    url = f"/c/{course.slug}/files/{lessons['file'].pk}/"

    assert client.get(url)["Location"] == f"/c/{course.slug}/login/?next={url}"  # a visitor
    outsider = make_customer(creator, email="outsider@example.com")  # a customer without this course
    assert sign_in(client, course, outsider.email).status_code == 302
    assert client.get(url).status_code == 404
    # and never at a public address
    assert client.get(f"/media/{lessons['file'].file.name}").status_code == 404
    assert client.get(f"/media/./{lessons['file'].file.name}").status_code == 404


def test_a_dripped_lessons_file_waits_for_its_date(enrolled_client, creator, course, lessons):
    item = lesson_file_add(
        lesson=lessons["dripped"], upload=SimpleUploadedFile("later.pdf", b"later"), **by(creator)
    )

    assert enrolled_client.get(f"/c/{course.slug}/files/{item.pk}/").status_code == 404


def test_a_revoked_student_gets_no_lesson_and_no_file(client, customer, course, lessons, frozen_now):
    make_enrolment(customer, course, granted_at=frozen_now, revoked_at=frozen_now)
    sign_in(client, course, customer.email)

    assert (
        client.get(f"/c/{course.slug}/lessons/{lessons['video'].position}/")["Location"]
        == f"/c/{course.slug}/"
    )
    assert client.get(f"/c/{course.slug}/files/{lessons['file'].pk}/").status_code == 404


def test_anyone_opens_a_free_preview_but_not_the_other_lessons(client, course, lessons):
    preview = client.get(f"/c/{course.slug}/lessons/{lessons['preview'].position}/")
    other = client.get(f"/c/{course.slug}/lessons/{lessons['video'].position}/")

    assert preview.status_code == 200
    assert "Free preview." in preview.content.decode()
    assert "palette.pdf" not in preview.content.decode()
    assert other.status_code == 302 and "/login/" in other["Location"]


def test_a_free_preview_of_an_unpublished_course_is_closed(client, course, lessons):
    course.published = False
    course.save()

    response = client.get(f"/c/{course.slug}/lessons/{lessons['preview'].position}/")

    assert response.status_code == 302
