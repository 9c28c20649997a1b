"""The studio's payment pages: how a course is sold. Prices are typed as money, never in cents."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from coursedesk.accounts.access import creator_required
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.catalog.models import Course, PaymentPage
from coursedesk.catalog.payment_pages import (
    payment_page_create,
    payment_page_delete,
    payment_page_has_sales,
    payment_page_update,
)
from coursedesk.core.errors import DomainError
from coursedesk.core.money import Money
from coursedesk.studio.forms import PaymentPageChangeForm, PaymentPageForm

SOURCE = AuditSource.DESK
FIELD_OF_ERROR = {
    "name_missing": "name",
    "name_too_long": "name",
    "invalid_amount": "price",
    "invalid_currency": "currency",
    "invalid_interval": "interval",
    "invalid_installments": "installments",
    "invalid_access_days": "access_days",
    "invalid_trial": "trial_days",
    "invalid_kind": "kind",
}


def _back(course: Course):
    return redirect(f"/studio/courses/{course.pk}/#payment-pages")


@creator_required
@require_http_methods(["GET", "POST"])
def payment_page_new(request, course_id: int):
    course = get_object_or_404(Course.objects.for_creator(request.creator), pk=course_id)
    form = PaymentPageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        kind = data["kind"]
        try:
            page = payment_page_create(
                course=course,
                name=data["name"],
                kind=kind,
                amount=data["amount"] if kind != PaymentPage.Kind.FREE else None,
                currency=data["currency"],
                interval=data["interval"],
                installments=data["installments"] if kind == PaymentPage.Kind.PAYMENT_PLAN else None,
                access_days=data["access_days"],
                trial_days=data["trial_days"] if kind == PaymentPage.Kind.SUBSCRIPTION else None,
                actor=Actor.creator(request.creator),
                source=SOURCE,
            )
        except DomainError as error:
            form.add_error(FIELD_OF_ERROR.get(error.code), error.message)
        else:
            messages.success(request, f"Payment page “{page.name}” added: {page.describe_price()}.")
            return _back(course)
    return render(
        request,
        "studio/payment_page.html",
        {"nav": "studio", "course": course, "form": form, "page": None},
        status=422 if form.errors else 200,
    )


@creator_required
@require_http_methods(["GET", "POST"])
def payment_page_edit(request, payment_page_id: int):
    page = get_object_or_404(
        PaymentPage.objects.for_creator(request.creator).select_related("course"), pk=payment_page_id
    )
    initial = {
        "name": page.name,
        "price": "" if page.is_free else Money(page.amount, page.currency).format_number(),
        "active": page.active,
    }
    form = PaymentPageChangeForm(request.POST or None, initial=initial, page=page)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment_page_update(
                page=page,
                name=data["name"],
                active=data["active"],
                amount=data["amount"],
                actor=Actor.creator(request.creator),
                source=SOURCE,
            )
        except DomainError as error:
            form.add_error(FIELD_OF_ERROR.get(error.code), error.message)
        else:
            messages.success(request, "Payment page saved.")
            return _back(page.course)
    return render(
        request,
        "studio/payment_page.html",
        {
            "nav": "studio",
            "course": page.course,
            "form": form,
            "page": page,
            "has_sales": payment_page_has_sales(page=page),
        },
        status=422 if form.errors else 200,
    )


@creator_required
@require_POST
def payment_page_remove(request, payment_page_id: int):
    page = get_object_or_404(
        PaymentPage.objects.for_creator(request.creator).select_related("course"), pk=payment_page_id
    )
    try:
        payment_page_delete(page=page, actor=Actor.creator(request.creator), source=SOURCE)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Payment page “{page.name}” deleted.")
    return _back(page.course)
