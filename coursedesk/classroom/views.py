"""Student pages, under each course's URL.

Access is read fresh on every request and pages are sent with `Cache-Control: no-store`, so a
revoke or an expiration set by the creator shows on the student's next page view.
"""

from __future__ import annotations

import logging

from django.contrib.auth.hashers import make_password
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.billing.expiry import renewal_page_of
from coursedesk.billing.models import Subscription
from coursedesk.catalog.links import absolute, checkout_url
from coursedesk.catalog.models import Course, Lesson, LessonFile
from coursedesk.catalog.video import video_embed
from coursedesk.classroom.auth import current_student, student_login, student_logout, student_required
from coursedesk.classroom.selectors import (
    course_access,
    course_checkout_pages,
    course_outline_for,
    lesson_row,
)
from coursedesk.core import throttle
from coursedesk.core.display import display_use
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import Customer, Enrolment
from coursedesk.customers.passwords import (
    ResetLinkProblem,
    password_reset_complete,
    password_reset_token_check,
)
from coursedesk.customers.services import customer_login_record
from coursedesk.usecases.display import display_for_creator
from coursedesk.usecases.password_reset import password_reset_send
from coursedesk.usecases.progress import (
    Progress,
    completed_lesson_ids,
    course_progress,
    lesson_completed_set,
    with_progress,
)
from coursedesk.usecases.student_view import student_view_end

THROTTLE_SCOPE = "student"
RESET_THROTTLE_SCOPE = "student-reset"
NOTICE_KEY = "notice"

logger = logging.getLogger(__name__)


def _course(course_slug: str) -> Course:
    course = get_object_or_404(Course.objects.select_related("creator"), slug=course_slug)
    display_use(display_for_creator(course.creator))  # the creator's dates on their students' pages
    return course


def _customer_by_email(course: Course, email: str) -> Customer | None:
    """The account of this address; a customer merged into another signs in as that survivor (their
    address is the survivor's alias)."""
    if not email:
        return None
    customer = (
        Customer.objects.for_creator(course.creator)
        .with_email(email)
        .filter(erased_at__isnull=True)
        .select_related("merged_into")
        .first()
    )
    if customer is not None and customer.merged_into is not None:
        return customer.merged_into if customer.merged_into.erased_at is None else None
    return customer


def _account_key(course: Course, email: str) -> str:
    # The same address at two creators is two accounts.
    return f"{course.creator_id}:{email.strip().lower()}"


def _pop_notice(request) -> str:
    notice = request.student_session.get(NOTICE_KEY, "")
    if notice:
        del request.student_session[NOTICE_KEY]
    return notice


def _offers(course: Course) -> list[dict]:
    return [{"page": page, "url": checkout_url(page)} for page in course_checkout_pages(course)]


@never_cache
def course(request, course_slug: str):
    course = _course(course_slug)
    student = current_student(request, course)
    access = course_access(customer=student, course=course)
    context = {
        "course": course,
        "student": student,
        "access": access,
        "notice": _pop_notice(request),
    }
    if access.is_active:
        context["outline"] = course_outline_for(course=course, enrolment=access.enrolment)
        context["completed"] = completed_lesson_ids(customer=student, course=course)
        context["progress"] = course_progress(customer=student, course=course)
        return render(request, "classroom/course.html", context)
    if access.status == "revoked":
        # A student who canceled their own subscription reads when it ended, not a revoke.
        context["ended_subscription"] = (
            Subscription.objects.filter(
                customer=student,
                course=course,
                status=Subscription.Status.CANCELED,
                canceled_by_customer=True,
            )
            .order_by("-canceled_at")
            .first()
        )
        context["offers"] = _offers(course)
    if access.status == "expired":
        renewal = renewal_page_of(access.enrolment)
        context["renewal"] = {"page": renewal, "url": checkout_url(renewal)} if renewal else None
    if access.status in ("revoked", "expired", "past_due"):
        return render(request, f"classroom/{access.status}.html", context, status=403)
    context["offers"] = _offers(course)
    return render(request, "classroom/not_enrolled.html", context)


@require_GET
def sales(request, course_slug: str):
    """The public page that sells a published course: what it teaches, its outline (free previews
    open), and a checkout button per price. Plain links and forms: it needs no JavaScript."""
    course = _course(course_slug)
    if not course.published or course.archived_at is not None:
        raise Http404("This course is not on sale.")
    outline = course_outline_for(course=course, enrolment=None)
    return render(
        request,
        "classroom/sales.html",
        {
            "course": course,
            "student": current_student(request, course),
            "outline": outline,
            "lesson_count": sum(len(rows) for _section, rows in outline),
            "offers": _offers(course),
            "page_url": absolute(request.path),
            "image_url": absolute(course.thumbnail.url) if course.thumbnail else "",
        },
    )


def _lesson_at(course: Course, position: int) -> Lesson:
    return get_object_or_404(course.lessons.select_related("section"), position=position)


@never_cache
def lesson(request, course_slug: str, position: int):
    """An open lesson for an active student; a free preview for anyone while the course is on sale;
    a dripped lesson before its date shows when it opens, and nothing of its content."""
    course = _course(course_slug)
    student = current_student(request, course)
    access = course_access(customer=student, course=course)
    current = _lesson_at(course, position)
    if not access.is_active:
        if current.free_preview and course.published:
            return _lesson_page(request, course, student, current, preview=True)
        if student is None:
            login_url = reverse("classroom:login", kwargs={"course_slug": course.slug})
            return redirect(f"{login_url}?next={request.path}")
        return redirect("classroom:course", course_slug=course.slug)
    row = lesson_row(lesson=current, enrolment=access.enrolment)
    if row.is_locked:
        return render(
            request,
            "classroom/lesson_locked.html",
            {"course": course, "student": student, "lesson": current, "opens_at": row.opens_at},
            status=403,
        )
    return _lesson_page(request, course, student, current, preview=False)


@student_required
@require_POST
def lesson_complete(request, position: int, *, course: Course, student: Customer):
    """Marks an open lesson complete for the signed-in student ("completed=0": not complete)."""
    current = _lesson_at(course, position)
    access = course_access(customer=student, course=course)
    if not access.is_active or lesson_row(lesson=current, enrolment=access.enrolment).is_locked:
        raise Http404("No such lesson.")
    completed = request.POST.get("completed", "1") == "1"
    lesson_completed_set(
        customer=student,
        lesson=current,
        completed=completed,
        actor=Actor.customer(student),
        source=AuditSource.STUDENT,
    )
    return redirect("classroom:lesson", course_slug=course.slug, position=current.position)


@student_required
@require_GET
def my_courses(request, *, course: Course, student: Customer):
    """Every course of this creator the student can open now, with their progress in each."""
    rows = []
    for enrolment in with_progress(
        Enrolment.objects.filter(customer=student).select_related("course").order_by("course__title", "pk")
    ):
        if course_access(customer=student, course=enrolment.course).is_active:
            rows.append(
                (enrolment.course, Progress(done=enrolment.lessons_done, total=enrolment.lessons_total))
            )
    return render(request, "classroom/my_courses.html", {"course": course, "student": student, "rows": rows})


def _lesson_page(request, course: Course, student, current: Lesson, *, preview: bool):
    lessons = list(course.lessons.order_by("position").only("position", "title", "free_preview"))
    if preview:
        lessons = [item for item in lessons if item.free_preview]
    index = [item.pk for item in lessons].index(current.pk)
    return render(
        request,
        "classroom/lesson.html",
        {
            "course": course,
            "student": student,
            "lesson": current,
            "preview": preview,
            "video": video_embed(current.video_url),
            "files": [] if preview else list(current.files.all()),
            "is_completed": not preview
            and current.pk in completed_lesson_ids(customer=student, course=course),
            "previous": lessons[index - 1] if index > 0 else None,
            "next": lessons[index + 1] if index + 1 < len(lessons) else None,
        },
    )


@never_cache
@require_GET
def lesson_file(request, course_slug: str, lesson_file_id: int):
    """A lesson's download, only for a student whose access is active and whose lesson is open."""
    course = _course(course_slug)
    student = current_student(request, course)
    if student is None:
        login_url = reverse("classroom:login", kwargs={"course_slug": course.slug})
        return redirect(f"{login_url}?next={request.path}")
    item = get_object_or_404(
        LessonFile.objects.select_related("lesson"), pk=lesson_file_id, lesson__course=course
    )
    access = course_access(customer=student, course=course)
    if not access.is_active or lesson_row(lesson=item.lesson, enrolment=access.enrolment).is_locked:
        raise Http404("No such file.")
    try:
        stream = item.file.open("rb")
    except FileNotFoundError:
        # The row outlived its file (storage restored from an older backup, a file removed by hand).
        logger.error("lesson file %s is missing from storage: %s", item.pk, item.file.name)
        raise Http404("This file is not available right now.") from None
    response = FileResponse(stream, as_attachment=True, filename=item.name)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _safe_next(request, course: Course) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    prefix = reverse("classroom:course", kwargs={"course_slug": course.slug})
    if target.startswith(prefix) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return prefix


@never_cache
@require_http_methods(["GET", "POST"])
def login(request, course_slug: str):
    course = _course(course_slug)
    context = {
        "course": course,
        "next": _safe_next(request, course),
        "email": "",
        "error": "",
        "throttled": False,
    }
    status = 200
    if request.method == "POST":
        email = request.POST.get("email", "").strip()[:254]
        password = request.POST.get("password", "")
        address = throttle.client_address(request)
        account = _account_key(course, email)
        context["email"] = email
        if throttle.signin_is_throttled(scope=THROTTLE_SCOPE, account=account, address=address):
            context["error"] = throttle.THROTTLED_MESSAGE
            context["throttled"] = True
            status = 429
        else:
            customer = _customer_by_email(course, email)
            if customer is not None and customer.check_password(password):
                throttle.signin_succeeded(scope=THROTTLE_SCOPE, account=account)
                customer = customer_login_record(customer=customer, course=course)
                student_login(request, customer)
                return redirect(_safe_next(request, course))
            if customer is None:
                make_password(password)  # same work as a real check: timing says nothing
            throttle.signin_failed(scope=THROTTLE_SCOPE, account=account, address=address)
            context["error"] = "That email and password do not match an account for this course."
            status = 400
    elif current_student(request, course) is not None:
        return redirect("classroom:course", course_slug=course.slug)
    return render(request, "classroom/login.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def logout(request, course_slug: str):
    course = _course(course_slug)
    if request.method == "POST":
        student_logout(request, course.creator_id)
        return redirect("classroom:login", course_slug=course.slug)
    return render(
        request,
        "classroom/logout.html",
        {
            "course": course,
            "student": current_student(request, course),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset(request, course_slug: str):
    """Always answers the same way, so it never tells whether an account exists."""
    course = _course(course_slug)
    if request.method == "POST":
        email = request.POST.get("email", "").strip()[:254]
        account = _account_key(course, email)
        customer = _customer_by_email(course, email)
        # Counted per account, whoever asks: the form cannot flood a mailbox, and one visitor's
        # requests never stop another account's email (the page states the limit).
        allowed = throttle.reset_email_allowed(scope=RESET_THROTTLE_SCOPE, account=account)
        if customer is not None and allowed:
            password_reset_send(
                customer=customer,
                course=course,
                actor=Actor.customer(customer),
                source=AuditSource.STUDENT,
            )
        return render(
            request,
            "classroom/password_reset_sent.html",
            {"course": course, "email": email, "limit": throttle.RESET_LIMIT_MESSAGE},
        )
    return render(request, "classroom/password_reset.html", {"course": course})


def _link_problem(request, course: Course, problem: ResetLinkProblem):
    return render(
        request, "classroom/password_reset_problem.html", {"course": course, "problem": problem}, status=410
    )


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_confirm(request, course_slug: str, token: str):
    course = _course(course_slug)
    try:
        reset = password_reset_token_check(course=course, token=token)
    except ResetLinkProblem as problem:
        return _link_problem(request, course, problem)
    context = {"course": course, "customer": reset.customer, "error": ""}
    if request.method == "POST":
        password = request.POST.get("password", "")
        if password != request.POST.get("password_again", ""):
            context["error"] = "The two passwords are not the same."
        else:
            try:
                customer = password_reset_complete(course=course, token=token, password=password)
            except ResetLinkProblem as problem:
                return _link_problem(request, course, problem)
            except DomainError as error:
                context["error"] = error.message
            else:
                student_login(request, customer)
                customer_login_record(customer=customer, course=course)
                request.student_session[NOTICE_KEY] = "Your new password is set and you are signed in."
                return redirect("classroom:course", course_slug=course.slug)
        return render(request, "classroom/password_reset_confirm.html", context, status=400)
    return render(request, "classroom/password_reset_confirm.html", context)


@never_cache
@require_POST
def student_view_stop(request, course_slug: str):
    """Ends a creator's view-as-student and goes back to that customer's profile."""
    ended = student_view_end(request.session)
    if ended is None:
        return redirect("classroom:course", course_slug=course_slug)
    return redirect(reverse("desk:customer", kwargs={"customer_id": ended["customer_id"]}))
