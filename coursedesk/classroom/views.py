"""Student pages, under each course's URL."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from coursedesk.catalog.models import Course


def course(request, course_slug: str):
    course = get_object_or_404(Course, slug=course_slug)
    return render(request, "classroom/course.html", {"course": course})


def login(request, course_slug: str):
    get_object_or_404(Course, slug=course_slug)
    return HttpResponse("Student sign-in is not built yet.", status=501)


def logout(request, course_slug: str):
    get_object_or_404(Course, slug=course_slug)
    return HttpResponse("Student sign-out is not built yet.", status=501)


def password_reset(request, course_slug: str):
    get_object_or_404(Course, slug=course_slug)
    return HttpResponse("Student password reset is not built yet.", status=501)
