"""Student pages, under each course's URL."""

from django.shortcuts import get_object_or_404, render

from coursedesk.catalog.models import Course


def course(request, course_slug: str):
    course = get_object_or_404(Course, slug=course_slug)
    return render(request, "classroom/course.html", {"course": course})
