"""Creator pages for course emails: the welcome email editor with preview and test, the outbox."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from coursedesk.accounts.access import creator_required
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.catalog.models import Course
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import Customer
from coursedesk.mail import selectors, services
from coursedesk.mail.models import OutboundEmail
from coursedesk.mail.rendering import PLACEHOLDERS, sample_customer, unknown_placeholders


def _course(request, course_id: int) -> Course:
    return get_object_or_404(
        Course.objects.for_creator(request.creator).select_related("creator"), pk=course_id
    )


def _preview_customer(request, course: Course):
    """The customer chosen for the preview (404 if not the creator's), else the latest student."""
    chosen = request.POST.get("customer") or request.GET.get("customer")
    if chosen:
        try:
            return get_object_or_404(Customer.objects.for_creator(request.creator), pk=int(chosen))
        except ValueError:
            pass
    return selectors.course_preview_customers(course=course, limit=1).first() or sample_customer(
        request.creator
    )


def _draft(request, course: Course) -> tuple[str, str]:
    if request.method == "POST":
        return request.POST.get("subject", ""), request.POST.get("body", "")
    return course.welcome_email_subject, course.welcome_email_body


def _preview_context(request, course: Course) -> dict:
    subject, body = _draft(request, course)
    customer = _preview_customer(request, course)
    return {
        "course": course,
        "subject": subject,
        "body": body,
        "preview_customer": customer,
        "preview": services.welcome_email_render(
            course=course, customer=customer, subject=subject, body=body
        ),
        "unknown": unknown_placeholders(subject + "\n" + body),
    }


@creator_required
@require_http_methods(["GET", "POST"])
def welcome_email(request, course_id: int):
    course = _course(request, course_id)
    context = {
        "nav": "emails",
        "placeholders": PLACEHOLDERS,
        "customers": selectors.course_preview_customers(course=course),
        "error": "",
    }
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "save")
        subject, body = _draft(request, course)
        actor = Actor.creator(request.creator)
        try:
            if action == "save":
                services.welcome_email_update(
                    course=course, subject=subject, body=body, actor=actor, source=AuditSource.DESK
                )
                messages.success(request, "Welcome email saved.")
                return redirect("mail:welcome_email", course_id=course.pk)
            if action == "test":
                services.welcome_email_test_send(
                    course=course,
                    to=request.creator.email,
                    customer=_preview_customer(request, course),
                    subject=subject,
                    body=body,
                    actor=actor,
                    source=AuditSource.DESK,
                )
                context["sent_to"] = request.creator.email
        except DomainError as error:
            context["error"] = error.message
            status = 422
    context.update(_preview_context(request, course))
    return render(request, "mail/welcome_email.html", context, status=status)


@creator_required
@require_POST
def welcome_email_preview(request, course_id: int):
    """The preview alone, for live updates while typing (htmx)."""
    course = _course(request, course_id)
    return render(request, "mail/_welcome_preview.html", _preview_context(request, course))


@creator_required
def outbox(request):
    status = request.GET.get("status", "")
    if status not in OutboundEmail.Status.values:
        status = ""
    emails = selectors.creator_outbox(creator=request.creator, status=status or None)
    page = Paginator(emails, 50).get_page(request.GET.get("page"))
    courses = Course.objects.for_creator(request.creator)
    return render(
        request,
        "mail/outbox.html",
        {
            "nav": "emails",
            "page": page,
            "status": status,
            "statuses": OutboundEmail.Status.choices,
            "courses": courses,
        },
    )
