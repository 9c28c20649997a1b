"""The studio's lesson pages: sections, lessons (Markdown with a live preview, video, drip, free
preview, files) and their order, by drag and drop or by the buttons beside each lesson."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from coursedesk.accounts.access import creator_required
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.catalog.lessons import (
    BODY_MAX,
    course_outline_set,
    lesson_create,
    lesson_delete,
    lesson_file_add,
    lesson_file_delete,
    lesson_move,
    lesson_update,
    markdown_render,
    section_create,
    section_delete,
    section_rename,
)
from coursedesk.catalog.models import Course, Lesson, LessonFile, Section
from coursedesk.core.errors import DomainError
from coursedesk.studio.forms import LessonForm, SectionForm

SOURCE = AuditSource.DESK
FIELD_OF_ERROR = {
    "title_missing": "title",
    "title_too_long": "title",
    "body_too_long": "body_markdown",
    "video_url_not_allowed": "video_url",
    "invalid_drip": "available_after_days",
    "invalid_section": "section",
    "file_too_large": "file",
    "file_missing": "file",
}


def _course(request, course_id: int) -> Course:
    return get_object_or_404(Course.objects.for_creator(request.creator), pk=course_id)


def _lesson(request, lesson_id: int) -> Lesson:
    return get_object_or_404(
        Lesson.objects.for_creator(request.creator).select_related("course"), pk=lesson_id
    )


def _back_to_outline(course: Course):
    return redirect(f"/studio/courses/{course.pk}/#lessons")


@creator_required
@require_POST
def section_new(request, course_id: int):
    course = _course(request, course_id)
    form = SectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the section a title.")
        return _back_to_outline(course)
    try:
        section_create(
            course=course,
            title=form.cleaned_data["title"],
            actor=Actor.creator(request.creator),
            source=SOURCE,
        )
    except DomainError as error:
        messages.error(request, error.message)
    return _back_to_outline(course)


@creator_required
@require_POST
def section_change(request, section_id: int):
    section = get_object_or_404(Section.objects.for_creator(request.creator), pk=section_id)
    try:
        section_rename(
            section=section,
            title=request.POST.get("title", ""),
            actor=Actor.creator(request.creator),
            source=SOURCE,
        )
    except DomainError as error:
        messages.error(request, error.message)
    return _back_to_outline(section.course)


@creator_required
@require_POST
def section_remove(request, section_id: int):
    section = get_object_or_404(Section.objects.for_creator(request.creator), pk=section_id)
    try:
        section_delete(section=section, actor=Actor.creator(request.creator), source=SOURCE)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Section “{section.title}” removed.")
    return _back_to_outline(section.course)


def _lesson_form(course: Course, data=None, files=None, initial=None) -> LessonForm:
    return LessonForm(data, files, initial=initial, sections=course.sections.order_by("position"))


def _show_error(form: LessonForm, error: DomainError) -> None:
    form.add_error(FIELD_OF_ERROR.get(error.code), error.message)


@creator_required
@require_http_methods(["GET", "POST"])
def lesson_new(request, course_id: int):
    course = _course(request, course_id)
    initial = {"section": request.GET.get("section", "")}
    form = _lesson_form(course, request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data, actor = form.cleaned_data, Actor.creator(request.creator)
        try:
            lesson = lesson_create(
                course=course,
                title=data["title"],
                body_markdown=data["body_markdown"],
                video_url=data["video_url"],
                section_id=data["section"] or None,
                available_after_days=data["available_after_days"],
                free_preview=data["free_preview"],
                actor=actor,
                source=SOURCE,
            )
            if data.get("file"):
                lesson_file_add(lesson=lesson, upload=data["file"], actor=actor, source=SOURCE)
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(request, f"Lesson “{lesson.title}” added.")
            return _back_to_outline(course)
    return render(
        request,
        "studio/lesson.html",
        {"nav": "studio", "course": course, "form": form, "lesson": None},
        status=422 if form.errors else 200,
    )


@creator_required
@require_http_methods(["GET", "POST"])
def lesson_edit(request, lesson_id: int):
    lesson = _lesson(request, lesson_id)
    course = lesson.course
    initial = {
        "title": lesson.title,
        "section": str(lesson.section_id or ""),
        "body_markdown": lesson.body_markdown,
        "video_url": lesson.video_url,
        "available_after_days": lesson.available_after_days,
        "free_preview": lesson.free_preview,
    }
    form = _lesson_form(course, request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data, actor = form.cleaned_data, Actor.creator(request.creator)
        try:
            changes = {
                "title": data["title"],
                "body_markdown": data["body_markdown"],
                "video_url": data["video_url"],
                "available_after_days": data["available_after_days"],
                "free_preview": data["free_preview"],
            }
            if (data["section"] or None) != (str(lesson.section_id) if lesson.section_id else None):
                changes["section_id"] = data["section"] or None
            lesson = lesson_update(lesson=lesson, actor=actor, source=SOURCE, **changes)
            if data.get("file"):
                lesson_file_add(lesson=lesson, upload=data["file"], actor=actor, source=SOURCE)
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(request, "Lesson saved.")
            return redirect("studio:lesson", lesson.pk)
    return render(
        request,
        "studio/lesson.html",
        {"nav": "studio", "course": course, "form": form, "lesson": lesson, "files": lesson.files.all()},
        status=422 if form.errors else 200,
    )


@creator_required
@require_POST
def lesson_remove(request, lesson_id: int):
    lesson = _lesson(request, lesson_id)
    lesson_delete(lesson=lesson, actor=Actor.creator(request.creator), source=SOURCE)
    messages.success(request, f"Lesson “{lesson.title}” deleted.")
    return _back_to_outline(lesson.course)


@creator_required
@require_POST
def lesson_move_view(request, lesson_id: int):
    """The keyboard's way to reorder: one place up or down."""
    lesson = _lesson(request, lesson_id)
    try:
        lesson_move(
            lesson=lesson,
            direction=request.POST.get("direction", ""),
            actor=Actor.creator(request.creator),
            source=SOURCE,
        )
    except DomainError as error:
        messages.error(request, error.message)
    return _back_to_outline(lesson.course)


@creator_required
@require_POST
def outline_save(request, course_id: int):
    """The order a drag and drop left: `outline` is JSON, [{"id": section id or null, "lessons": [ids]}]."""
    course = _course(request, course_id)
    try:
        outline = json.loads(request.POST.get("outline", ""))
        if not isinstance(outline, list) or not all(isinstance(entry, dict) for entry in outline):
            raise ValueError
    except ValueError:
        return JsonResponse(
            {"error": {"code": "malformed_request", "message": "Send the outline."}}, status=400
        )
    try:
        course_outline_set(
            course=course, sections=outline, actor=Actor.creator(request.creator), source=SOURCE
        )
    except DomainError as error:
        return JsonResponse(error.as_dict(), status=error.status)
    return JsonResponse({"saved": True})


@creator_required
@require_POST
def lesson_file_remove(request, lesson_file_id: int):
    item = get_object_or_404(
        LessonFile.objects.for_creator(request.creator).select_related("lesson"), pk=lesson_file_id
    )
    lesson_file_delete(lesson_file=item, actor=Actor.creator(request.creator), source=SOURCE)
    messages.success(request, f"“{item.name}” removed.")
    return redirect("studio:lesson", item.lesson_id)


@creator_required
@require_POST
def markdown_preview(request):
    """The live preview beside the Markdown field: the lesson as students will see it."""
    html = markdown_render(request.POST.get("body_markdown", "")[:BODY_MAX])
    return HttpResponse(html or '<p class="muted">The preview shows here as you write.</p>')
