"""Student sign-in state, kept apart from creators' sessions.

Students have their own session cookie (`coursedesk_student`), so a creator signing out never signs
a student out and the two never share a session. A student signed in to one course of a creator is
signed in to all that creator's courses, and to no other creator's. Their sessions are rows of the
same engine as creators' (SESSION_ENGINE), naming no person, so Django's `clearsessions` clears both.
"""

from __future__ import annotations

from functools import wraps
from importlib import import_module

from django.conf import settings
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from coursedesk.catalog.models import Course
from coursedesk.core.display import display_use
from coursedesk.customers.models import Customer
from coursedesk.usecases.display import display_for_creator
from coursedesk.usecases.student_view import student_view_entry, student_view_of

COOKIE_NAME = "coursedesk_student"
SESSION_AGE = 60 * 60 * 24 * 30


def _password_fingerprint(customer: Customer) -> str:
    # Changing the password (reset, creator edit) signs the student out everywhere.
    return salted_hmac("coursedesk.student", customer.password, algorithm="sha256").hexdigest()


class StudentSessionMiddleware:
    """Loads the student session from its own cookie and saves it when it changed."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.SessionStore = import_module(settings.SESSION_ENGINE).SessionStore

    def __call__(self, request):
        request.student_session = self.SessionStore(session_key=request.COOKIES.get(COOKIE_NAME))
        response = self.get_response(request)
        session = request.student_session
        if session.modified:
            if session.is_empty():
                response.delete_cookie(COOKIE_NAME, samesite="Lax")
            else:
                session.set_expiry(SESSION_AGE)
                session.save()
                response.set_cookie(
                    COOKIE_NAME,
                    session.session_key,
                    max_age=SESSION_AGE,
                    httponly=True,
                    secure=settings.SESSION_COOKIE_SECURE,
                    samesite="Lax",
                )
        return response


def student_login(request, customer: Customer) -> None:
    session = request.student_session
    if not session.session_key:
        session.create()
    else:
        session.cycle_key()  # a new key at sign-in: no session fixation
    students = dict(session.get("students", {}))
    students[str(customer.creator_id)] = {"id": customer.pk, "fp": _password_fingerprint(customer)}
    session["students"] = students


def student_logout(request, creator_id: int) -> None:
    students = dict(request.student_session.get("students", {}))
    students.pop(str(creator_id), None)
    request.student_session["students"] = students


def current_student(request, course: Course) -> Customer | None:
    """The customer signed in for this course's creator, or None.

    A creator viewing the course as one of their students (usecases/student_view.py) gets that
    student, and `request.student_view` is set so that the pages show the read-only banner."""
    viewed = student_view_of(getattr(request, "session", None), getattr(request, "user", None), course)
    if viewed is not None:
        request.student_view = viewed
        return viewed
    entry = request.student_session.get("students", {}).get(str(course.creator_id))
    if not entry:
        return None
    customer = Customer.objects.filter(
        pk=entry["id"], creator_id=course.creator_id, erased_at__isnull=True
    ).first()
    if customer is None or not constant_time_compare(entry["fp"], _password_fingerprint(customer)):
        return None
    return customer


def student_required(view):
    """Resolves `course_slug` to `course`, and the signed-in student to `student`, or redirects."""

    @wraps(view)
    def wrapper(request, course_slug: str, *args, **kwargs):
        course = get_object_or_404(Course.objects.select_related("creator"), slug=course_slug)
        display_use(display_for_creator(course.creator))
        student = current_student(request, course)
        if student is None:
            login_url = reverse("classroom:login", kwargs={"course_slug": course.slug})
            return redirect(f"{login_url}?next={request.path}")
        return view(request, *args, course=course, student=student, **kwargs)

    return wrapper


READS = frozenset({"GET", "HEAD", "OPTIONS"})


class StudentViewReadOnlyMiddleware:
    """While a creator views the student pages as a student, every student page that is asked to do
    something (a POST: sign in, mark complete, cancel, pay, reset a password) refuses with 403, so a
    viewing never changes or sends anything. Stopping the viewing is the one exception."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in READS:
            return None
        match = request.resolver_match
        if match is None or match.namespace != "classroom" or match.url_name == "student_view_stop":
            return None
        if student_view_entry(getattr(request, "session", None), getattr(request, "user", None)) is None:
            return None
        return render(request, "classroom/student_view_read_only.html", status=403)
