"""A course's outline: sections, lessons in order, their Markdown, video, drip and files.

A lesson's `position` is its place in the whole course: lessons outside any section first, then each
section's lessons, sections in order. Every change renumbers the course under its row lock, so two
creators' tabs never leave two lessons in one place.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils.text import get_valid_filename
from markdown_it import MarkdownIt

from coursedesk.audit.services import Actor, audit_record, change
from coursedesk.audit.types import AuditEventType
from coursedesk.catalog.models import Course, Lesson, LessonFile, Section
from coursedesk.catalog.sanitize import sanitize_html
from coursedesk.catalog.video import video_url_clean
from coursedesk.core import clock
from coursedesk.core.errors import DomainError, InvalidValue

TITLE_MAX = Lesson._meta.get_field("title").max_length
BODY_MAX = 200_000
DRIP_MAX_DAYS = 3650
FILE_MAX_BYTES = 200 * 1024 * 1024
# Renumbering moves every lesson out of the way first, so the unique (course, position) never clashes.
_PARKING = 1_000_000

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


def markdown_render(text: str) -> str:
    """Markdown as sanitised HTML: raw HTML in the text is shown as text, never run. Headings move one
    level down (# is h2), since the lesson's title is the page's h1."""
    env: dict = {}
    tokens = _markdown.parse(text or "", env)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 4)}"
    return sanitize_html(_markdown.renderer.render(tokens, _markdown.options, env))


def _title_clean(title: str, what: str = "lesson") -> str:
    title = " ".join((title or "").split())
    if not title:
        raise InvalidValue(f"Give the {what} a title.", code="title_missing")
    if len(title) > TITLE_MAX:
        raise InvalidValue(f"Keep the title under {TITLE_MAX} characters.", code="title_too_long")
    return title


def _body_clean(body: str) -> str:
    body = (body or "").replace("\r\n", "\n")
    if len(body) > BODY_MAX:
        raise InvalidValue(f"Keep the lesson under {BODY_MAX:,} characters.", code="body_too_long")
    return body


def _drip_clean(days) -> int | None:
    if days in (None, ""):
        return None
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= DRIP_MAX_DAYS:
        raise InvalidValue(
            f"Days after enrolment must be a whole number from 0 to {DRIP_MAX_DAYS}.", code="invalid_drip"
        )
    return days or None


def _audit(course: Course, type: AuditEventType, actor: Actor, source: str, subject=None, **data) -> None:
    audit_record(
        creator=course.creator,
        type=type,
        actor=actor,
        source=source,
        subject=subject if subject is not None else course,
        data={"course": course.title, "course_id": course.pk, **data},
    )


def _locked_course(course: Course) -> Course:
    return Course.objects.select_for_update().get(pk=course.pk)


# --- The outline ---------------------------------------------------------------------------------


def course_outline(*, course: Course) -> list[tuple[Section | None, list[Lesson]]]:
    """The course's lessons grouped by section, in order; lessons outside a section come first."""
    sections = list(course.sections.order_by("position", "pk"))
    lessons = list(course.lessons.order_by("position"))
    groups: list[tuple[Section | None, list[Lesson]]] = [(None, [])]
    by_section: dict[int | None, list[Lesson]] = {None: groups[0][1]}
    for section in sections:
        groups.append((section, []))
        by_section[section.pk] = groups[-1][1]
    for lesson in lessons:
        by_section[lesson.section_id].append(lesson)
    if not groups[0][1]:
        groups.pop(0)
    return groups


def _renumber(course: Course, groups: list[tuple[Section | None, list[Lesson]]]) -> None:
    """Writes the order of `groups` (of `course`, whose row lock the caller holds): section positions
    1..n, lesson positions 1..m across the course."""
    for number, (section, _) in enumerate((g for g in groups if g[0] is not None), start=1):
        if section.position != number:
            Section.objects.filter(pk=section.pk).update(position=number)
            section.position = number
    ordered = [(section, lesson) for section, lessons in groups for lesson in lessons]
    Lesson.objects.filter(course=course).update(position=F("position") + _PARKING)
    for number, (section, lesson) in enumerate(ordered, start=1):
        lesson.position = number
        lesson.section = section
        Lesson.objects.filter(pk=lesson.pk).update(position=number, section=section)


def _with_lesson_at(groups, lesson: Lesson, section: Section | None, index: int | None):
    """`groups` with `lesson` taken out and put in `section` at `index` (None: last)."""
    groups = [(s, [item for item in items if item.pk != lesson.pk]) for s, items in groups]
    target = next(
        (items for s, items in groups if (s.pk if s else None) == (section.pk if section else None)), None
    )
    if target is None:
        groups.insert(0 if section is None else len(groups), (section, []))
        target = groups[0][1] if section is None else groups[-1][1]
    target.insert(len(target) if index is None else max(0, min(index, len(target))), lesson)
    return groups


def _section_of(course: Course, section_id) -> Section | None:
    if section_id in (None, ""):
        return None
    section = (
        Section.objects.filter(course=course, pk=section_id).first() if str(section_id).isdigit() else None
    )
    if section is None:
        raise InvalidValue("That section is not part of this course.", code="invalid_section")
    return section


# --- Sections ------------------------------------------------------------------------------------


def section_create(*, course: Course, title: str, actor: Actor, source: str) -> Section:
    title = _title_clean(title, "section")
    with transaction.atomic():
        course = _locked_course(course)
        last = course.sections.order_by("-position").values_list("position", flat=True).first() or 0
        section = Section.objects.create(course=course, title=title, position=last + 1)
        _audit(course, AuditEventType.COURSE_SECTION_ADDED, actor, source, subject=section, section=title)
    return section


def section_rename(*, section: Section, title: str, actor: Actor, source: str) -> Section:
    title = _title_clean(title, "section")
    with transaction.atomic():
        course = _locked_course(section.course)
        section = Section.objects.get(pk=section.pk)
        if section.title == title:
            return section
        old, section.title = section.title, title
        section.save(update_fields=["title"])
        _audit(course, AuditEventType.COURSE_OUTLINE_CHANGED, actor, source, section=change(old, title))
    return section


def section_delete(*, section: Section, actor: Actor, source: str) -> None:
    """Removes an empty section; one with lessons is refused (move or delete its lessons first)."""
    with transaction.atomic():
        course = _locked_course(section.course)
        if section.lessons.exists():
            raise DomainError(
                "This section still has lessons. Move or delete them first.", code="section_not_empty"
            )
        title = section.title
        section.delete()
        _renumber(course, course_outline(course=course))
        _audit(course, AuditEventType.COURSE_OUTLINE_CHANGED, actor, source, section=change(title, None))


# --- Lessons -------------------------------------------------------------------------------------


def lesson_create(
    *,
    course: Course,
    title: str,
    body_markdown: str = "",
    video_url: str = "",
    section_id=None,
    position: int | None = None,
    available_after_days: int | None = None,
    free_preview: bool = False,
    actor: Actor,
    source: str,
) -> Lesson:
    """A new lesson, last in its section unless `position` (1 = first in the section) says otherwise."""
    title = _title_clean(title)
    body_markdown = _body_clean(body_markdown)
    video_url = video_url_clean(video_url)
    available_after_days = _drip_clean(available_after_days)
    if position is not None and (isinstance(position, bool) or not isinstance(position, int) or position < 1):
        raise InvalidValue("A position starts at 1.", code="invalid_position")
    with transaction.atomic():
        course = _locked_course(course)
        section = _section_of(course, section_id)
        groups = course_outline(course=course)
        last = course.lessons.order_by("-position").values_list("position", flat=True).first() or 0
        lesson = Lesson.objects.create(
            course=course,
            section=section,
            position=last + 1 + _PARKING,
            title=title,
            body_markdown=body_markdown,
            body_html=markdown_render(body_markdown),
            video_url=video_url,
            available_after_days=available_after_days,
            free_preview=bool(free_preview),
        )
        _renumber(
            course, _with_lesson_at(groups, lesson, section, None if position is None else position - 1)
        )
        lesson.refresh_from_db()
        _audit(
            course,
            AuditEventType.COURSE_LESSON_ADDED,
            actor,
            source,
            subject=lesson,
            lesson=title,
            lesson_id=lesson.pk,
        )
    return lesson


LESSON_FIELDS = ("title", "body_markdown", "video_url", "available_after_days", "free_preview")


def lesson_update(*, lesson: Lesson, actor: Actor, source: str, **changes) -> Lesson:
    """Changes any of title, Markdown, video, drip days, free preview, section and position (within
    the section, 1 = first); the others stay as they are."""
    unknown = set(changes) - {*LESSON_FIELDS, "section_id", "position"}
    if unknown:
        raise TypeError(f"lesson_update cannot change {', '.join(sorted(unknown))}")
    cleaners = {
        "title": _title_clean,
        "body_markdown": _body_clean,
        "video_url": video_url_clean,
        "available_after_days": _drip_clean,
        "free_preview": bool,
    }
    cleaned = {field: cleaners[field](value) for field, value in changes.items() if field in cleaners}
    position = changes.get("position")
    if position is not None and (isinstance(position, bool) or not isinstance(position, int) or position < 1):
        raise InvalidValue("A position starts at 1.", code="invalid_position")
    with transaction.atomic():
        course = _locked_course(lesson.course)
        lesson = Lesson.objects.get(pk=lesson.pk)
        data = {}
        for field, value in cleaned.items():
            if getattr(lesson, field) != value:
                old = getattr(lesson, field)
                data[field] = change(
                    old if field != "body_markdown" else len(old),
                    value if field != "body_markdown" else len(value),
                )
                setattr(lesson, field, value)
        if "body_markdown" in data:
            lesson.body_html = markdown_render(lesson.body_markdown)
        if data:
            lesson.save(update_fields=[*cleaned, "body_html"])
        moving = "section_id" in changes or position is not None
        if moving:
            section = (
                _section_of(course, changes["section_id"]) if "section_id" in changes else lesson.section
            )
            before = (lesson.section_id, lesson.position)
            _renumber(
                course,
                _with_lesson_at(
                    course_outline(course=course), lesson, section, None if position is None else position - 1
                ),
            )
            lesson.refresh_from_db()
            if (lesson.section_id, lesson.position) != before:
                data["position"] = change(before[1], lesson.position)
        if data:
            _audit(
                course,
                AuditEventType.COURSE_LESSON_UPDATED,
                actor,
                source,
                subject=lesson,
                lesson=lesson.title,
                lesson_id=lesson.pk,
                **data,
            )
    return lesson


def lesson_delete(*, lesson: Lesson, actor: Actor, source: str) -> None:
    """Removes the lesson, its progress and its files; the others close up."""
    with transaction.atomic():
        course = _locked_course(lesson.course)
        names = list(lesson.files.values_list("file", flat=True))
        title, pk = lesson.title, lesson.pk
        lesson.delete()
        _renumber(course, course_outline(course=course))
        _audit(course, AuditEventType.COURSE_LESSON_DELETED, actor, source, lesson=title, lesson_id=pk)
        storage = LessonFile._meta.get_field("file").storage
        transaction.on_commit(lambda: [storage.delete(name) for name in names])


def lesson_move(*, lesson: Lesson, direction: str, actor: Actor, source: str) -> Lesson:
    """One place up or down (the buttons beside each lesson); past a section's edge it joins the next
    section, so a keyboard reaches every place a drag can."""
    if direction not in ("up", "down"):
        raise InvalidValue("Move a lesson up or down.", code="invalid_direction")
    with transaction.atomic():
        course = _locked_course(lesson.course)
        lesson = Lesson.objects.get(pk=lesson.pk)
        groups = course_outline(course=course)
        sections = [section for section, _ in groups]
        index = next(
            i
            for i, (section, _) in enumerate(groups)
            if (section.pk if section else None) == lesson.section_id
        )
        items = groups[index][1]
        place = [item.pk for item in items].index(lesson.pk)
        if direction == "up" and place > 0:
            target, at = groups[index][0], place - 1
        elif direction == "down" and place < len(items) - 1:
            target, at = groups[index][0], place + 1
        elif direction == "up" and index > 0:
            target, at = sections[index - 1], None
        elif direction == "down" and index < len(groups) - 1:
            target, at = sections[index + 1], 0
        else:
            return lesson  # already first or last: nothing to do
        before = lesson.position
        _renumber(course, _with_lesson_at(groups, lesson, target, at))
        lesson.refresh_from_db()
        _audit(
            course,
            AuditEventType.COURSE_OUTLINE_CHANGED,
            actor,
            source,
            lesson=lesson.title,
            position=change(before, lesson.position),
        )
    return lesson


def course_outline_set(*, course: Course, sections: list[dict], actor: Actor, source: str) -> None:
    """The whole order at once, as a drag and drop leaves it: `[{"id": section id or None, "lessons":
    [lesson ids]}]`, naming each of the course's sections and lessons exactly once."""
    with transaction.atomic():
        course = _locked_course(course)
        known_sections = {section.pk: section for section in course.sections.all()}
        known_lessons = {lesson.pk: lesson for lesson in course.lessons.all()}
        refused = InvalidValue(
            "The new order does not match the course's lessons; reload the page and try again.",
            code="outline_mismatch",
        )
        groups, seen_sections, seen_lessons = [], [], []
        try:
            for entry in sections:
                section_id = entry.get("id")
                section = known_sections[int(section_id)] if section_id not in (None, "") else None
                lessons = [known_lessons[int(pk)] for pk in entry.get("lessons", [])]
                seen_sections.append(section.pk if section else None)
                seen_lessons.extend(lesson.pk for lesson in lessons)
                groups.append((section, lessons))
        except (KeyError, ValueError, TypeError, AttributeError) as error:
            raise refused from error
        named = [pk for pk in seen_sections if pk is not None]
        if sorted(named) != sorted(known_sections) or len(set(named)) != len(named):
            raise refused
        if sorted(seen_lessons) != sorted(known_lessons):
            raise refused
        before = list(course.lessons.order_by("position").values_list("pk", flat=True))
        groups.sort(key=lambda group: group[0] is not None)  # unsectioned lessons stay first
        _renumber(course, groups)
        after = list(course.lessons.order_by("position").values_list("pk", flat=True))
        section_order = list(course.sections.order_by("position").values_list("pk", flat=True))
        if after != before or section_order != named:
            _audit(course, AuditEventType.COURSE_OUTLINE_CHANGED, actor, source, order=change(before, after))


# --- Files ---------------------------------------------------------------------------------------


def lesson_file_add(*, lesson: Lesson, upload, actor: Actor, source: str) -> LessonFile:
    """Stores a download for the course's students under a random folder outside any public path."""
    size = getattr(upload, "size", 0) or 0
    if size <= 0:
        raise InvalidValue("Choose a file to upload.", code="file_missing")
    if size > FILE_MAX_BYTES:
        raise InvalidValue("Files are limited to 200 MB.", code="file_too_large")
    name = get_valid_filename((upload.name or "file").rsplit("/", 1)[-1])[:150] or "file"
    with transaction.atomic():
        course = _locked_course(lesson.course)
        item = LessonFile(lesson=lesson, name=name, size=size, created_at=clock.now())
        item.file.save(name, upload, save=False)
        item.save()
        _lesson_file_audit(course, lesson, change(None, name), actor, source)
    return item


def _lesson_file_audit(course, lesson, file_change, actor: Actor, source: str) -> None:
    """A lesson's file added or removed: the lesson's update event, with the file's name old → new."""
    _audit(
        course,
        AuditEventType.COURSE_LESSON_UPDATED,
        actor,
        source,
        subject=lesson,
        lesson=lesson.title,
        lesson_id=lesson.pk,
        file=file_change,
    )


def lesson_file_delete(*, lesson_file: LessonFile, actor: Actor, source: str) -> None:
    with transaction.atomic():
        lesson = lesson_file.lesson
        course = _locked_course(lesson.course)
        name, stored = lesson_file.name, lesson_file.file.name
        lesson_file.delete()
        _lesson_file_audit(course, lesson, change(name, None), actor, source)
        storage = LessonFile._meta.get_field("file").storage
        transaction.on_commit(lambda: storage.delete(stored))


def lesson_opens_at(*, lesson: Lesson, enrolled_at: dt.datetime) -> dt.datetime | None:
    """When a dripped lesson opens for a student enrolled at `enrolled_at`; None when it is not dripped."""
    if not lesson.available_after_days:
        return None
    return enrolled_at + dt.timedelta(days=lesson.available_after_days)
