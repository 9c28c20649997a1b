"""The creator studio: courses and what they sell, made from the creator's own pages.

Pages only adapt: every change is a catalog or billing service, and another creator's object is a 404.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from coursedesk.accounts.access import creator_required
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.billing.selectors import course_revenue_since
from coursedesk.catalog.lessons import course_outline
from coursedesk.catalog.links import checkout_url, sales_url
from coursedesk.catalog.models import Course
from coursedesk.catalog.services import (
    course_archive,
    course_create,
    course_delete,
    course_has_students,
    course_publish,
    course_publish_missing,
    course_unpublish,
    course_update,
)
from coursedesk.core import clock
from coursedesk.core.errors import DomainError
from coursedesk.customers.selectors import course_students
from coursedesk.studio.checklist import studio_checklist
from coursedesk.studio.forms import CourseForm

SOURCE = AuditSource.DESK


def _course(request, course_id: int) -> Course:
    return get_object_or_404(Course.objects.for_creator(request.creator), pk=course_id)


def _month_start() -> dt.datetime:
    now = clock.now()
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@creator_required
@require_http_methods(["GET"])
def home(request):
    courses = list(Course.objects.for_creator(request.creator).filter(archived_at__isnull=True))
    archived = Course.objects.for_creator(request.creator).filter(archived_at__isnull=False)
    revenue = course_revenue_since(courses=courses, since=_month_start())
    rows = [(row, revenue[row.course.pk]) for row in course_students(courses=courses)]
    checklist = studio_checklist(creator=request.creator)
    return render(
        request,
        "studio/home.html",
        {"nav": "studio", "rows": rows, "archived": archived, "checklist": checklist},
    )


def _form_errors_from(form: CourseForm, error: DomainError) -> None:
    field = {
        "slug_taken": "slug",
        "invalid_slug": "slug",
        "title_missing": "title",
        "title_too_long": "title",
        "invalid_email": "contact_email",
        "description_too_long": "description",
    }.get(error.code)
    if error.code.startswith("thumbnail"):
        field = "thumbnail"
    form.add_error(field, error.message)


@creator_required
@require_http_methods(["GET", "POST"])
def course_new(request):
    form = CourseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        actor = Actor.creator(request.creator)
        try:
            course = course_create(
                creator=request.creator,
                title=form.cleaned_data["title"],
                slug=form.cleaned_data["slug"],
                description=form.cleaned_data["description"],
                contact_email=form.cleaned_data["contact_email"],
                thumbnail=form.cleaned_data.get("thumbnail") or None,
                actor=actor,
                source=SOURCE,
            )
        except DomainError as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, f"“{course.title}” is created as a draft. Next: add a lesson.")
            return redirect("studio:course", course.pk)
    return render(
        request, "studio/course_new.html", {"nav": "studio", "form": form}, status=422 if form.errors else 200
    )


@creator_required
@require_http_methods(["GET", "POST"])
def course_detail(request, course_id: int):
    course = _course(request, course_id)
    initial = {
        "title": course.title,
        "slug": course.slug,
        "description": course.description,
        "contact_email": course.contact_email,
    }
    form = CourseForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        actor = Actor.creator(request.creator)
        data = form.cleaned_data
        try:
            course_update(
                course=course,
                title=data["title"],
                slug=data["slug"] or course.slug,
                description=data["description"],
                contact_email=data["contact_email"] or course.contact_email,
                thumbnail=data.get("thumbnail") or None,
                actor=actor,
                source=SOURCE,
            )
        except DomainError as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, "Course saved.")
            return redirect("studio:course", course.pk)
    return render(
        request,
        "studio/course.html",
        _course_context(request, course, form),
        status=422 if form.errors else 200,
    )


def _course_context(request, course: Course, form: CourseForm) -> dict:
    pages = list(course.payment_pages.order_by("pk"))
    return {
        "nav": "studio",
        "course": course,
        "form": form,
        "outline": course_outline(course=course),
        "pages": [(page, checkout_url(page)) for page in pages],
        "sales_url": sales_url(course),
        "missing": course_publish_missing(course=course),
        "has_students": course_has_students(course=course),
        "counts": course_students(courses=[course])[0].counts,
    }


def _course_change(request, course_id: int, service, success: str):
    course = _course(request, course_id)
    try:
        service(course=course, actor=Actor.creator(request.creator), source=SOURCE)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success.format(title=course.title))
    return course


@creator_required
@require_POST
def course_publish_view(request, course_id: int):
    course = _course_change(
        request, course_id, course_publish, "“{title}” is published: its checkout links are open to buyers."
    )
    return redirect("studio:course", course.pk)


@creator_required
@require_POST
def course_unpublish_view(request, course_id: int):
    course = _course_change(
        request,
        course_id,
        course_unpublish,
        "“{title}” is unpublished: no new checkouts; current students keep their access.",
    )
    return redirect("studio:course", course.pk)


@creator_required
@require_POST
def course_archive_view(request, course_id: int):
    _course_change(
        request, course_id, course_archive, "“{title}” is archived. Its students keep their access."
    )
    return redirect("studio:home")


@creator_required
@require_POST
def course_delete_view(request, course_id: int):
    course = _course(request, course_id)
    try:
        course_delete(course=course, actor=Actor.creator(request.creator), source=SOURCE)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("studio:course", course.pk)
    messages.success(request, f"“{course.title}” is deleted.")
    return redirect("studio:home")
