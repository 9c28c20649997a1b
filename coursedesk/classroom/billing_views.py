"""Student payment pages: update the card of a subscription, cancel recurring payments, receipts.

The first two work on the signed-in student's own subscriptions of this course only; anything else
is 404. A receipt opens by its long random address alone, so the link in its email works signed out.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.billing.gateways import gateway_named
from coursedesk.billing.gateways.base import GatewayError
from coursedesk.billing.models import Gateway, Payment, Receipt, Subscription
from coursedesk.billing.selectors import payments_with_receipts, payments_with_refund_amounts, plan_balance
from coursedesk.billing.subscriptions import (
    customer_cancel_ends_at,
    subscription_cancel_by_customer,
    subscription_card_update_from_setup,
    subscription_card_update_with_test_card,
)
from coursedesk.classroom.auth import student_required
from coursedesk.classroom.forms import TestCardForm
from coursedesk.core.errors import DomainError
from coursedesk.usecases.receipts import receipt_display_use, receipt_filename, receipt_html
from coursedesk.usecases.receipts import receipt_pdf as receipt_pdf_bytes

OPEN_STATUSES = (Subscription.Status.ACTIVE, Subscription.Status.PAUSED, Subscription.Status.PAST_DUE)


def _subscriptions(student, course):
    return Subscription.objects.filter(customer=student, course=course).order_by("-started_at", "-pk")


def _own_subscription(request, student, course) -> Subscription:
    try:
        pk = int(request.POST.get("subscription") or request.GET.get("subscription") or "")
    except ValueError:
        raise Http404("No such subscription.") from None
    subscription = _subscriptions(student, course).filter(pk=pk).first()
    if subscription is None:
        raise Http404("No such subscription.")
    return subscription


@student_required
@require_http_methods(["GET", "POST"])
def billing(request, *, course, student):
    actor = Actor.customer(student)
    if request.method == "GET" and request.GET.get("card_session"):
        return _card_session_returned(request, course=course, student=student, actor=actor)
    card_form = TestCardForm(request.POST or None)
    if request.method == "POST":
        subscription = _own_subscription(request, student, course)
        if subscription.gateway == Gateway.STRIPE:
            return _card_session_start(request, course=course, subscription=subscription)
        if card_form.is_valid():
            was_past_due = subscription.status == Subscription.Status.PAST_DUE
            try:
                subscription = subscription_card_update_with_test_card(
                    subscription=subscription,
                    card_number=card_form.cleaned_data["card_number"],
                    actor=actor,
                    source=AuditSource.STUDENT,
                )
            except DomainError as refused:
                card_form.add_error("card_number", refused.message)
            else:
                messages.add_message(request, *_card_saved_message(was_past_due, subscription))
                return redirect("classroom:billing", course_slug=course.slug)
    subscriptions = list(_subscriptions(student, course))
    payments = payments_with_receipts(
        payments_with_refund_amounts(
            Payment.objects.filter(customer=student, course=course).order_by("-paid_at", "-pk")
        )
    )
    return render(
        request,
        "classroom/billing.html",
        {
            "course": course,
            "student": student,
            "subscriptions": subscriptions,
            "payments": payments,
            "card_form": card_form,
            "open_statuses": OPEN_STATUSES,
            "is_test_mode": any(s.gateway == Gateway.SANDBOX for s in subscriptions),
        },
        status=422 if card_form.errors else 200,
    )


def _card_saved_message(was_past_due: bool, subscription: Subscription) -> tuple[int, str]:
    """What the student reads after saving a card (a past-due payment was tried with it at once)."""
    if not was_past_due:
        return messages.SUCCESS, "Your card is updated: your next payment will use it."
    if subscription.status == Subscription.Status.PAST_DUE:
        return messages.ERROR, (
            "Your card is saved, but the payment did not go through. Please try another card."
        )
    return messages.SUCCESS, (
        "Your card is updated and the payment went through: your subscription is active again."
    )


def _card_session_start(request, *, course, subscription):
    billing_url = settings.SITE_URL + reverse("classroom:billing", kwargs={"course_slug": course.slug})
    try:
        gateway = gateway_named(Gateway.STRIPE, creator=course.creator)
        hosted = gateway.hosted_card_update_create(
            customer_reference=subscription.customer.gateway_customer_id,
            subscription_reference=subscription.gateway_subscription_id,
            currency=subscription.currency,
            success_url=f"{billing_url}?subscription={subscription.pk}&card_session={{CHECKOUT_SESSION_ID}}",
            cancel_url=billing_url,
        )
    except GatewayError as error:
        messages.error(request, f"Stripe could not open the card page: {error.message}")
        return redirect("classroom:billing", course_slug=course.slug)
    return redirect(hosted.url)


def _card_session_returned(request, *, course, student, actor):
    subscription = _own_subscription(request, student, course)
    try:
        gateway = gateway_named(Gateway.STRIPE, creator=course.creator)
        hosted = gateway.hosted_checkout_retrieve(checkout_reference=request.GET["card_session"])
        if hosted.mode != "setup" or not hosted.complete or not hosted.setup_reference:
            raise DomainError("The new card was not saved.", code="card_not_saved")
        subscription_card_update_from_setup(
            subscription=subscription,
            setup_reference=hosted.setup_reference,
            actor=actor,
            source=AuditSource.STUDENT,
        )
    except (GatewayError, DomainError) as error:
        messages.error(request, f"Your card was not updated: {getattr(error, 'message', error)}")
    else:
        messages.success(request, "Your card is updated: your next payment will use it.")
    return redirect("classroom:billing", course_slug=course.slug)


def _cancel_choice(subscription: Subscription) -> dict:
    """What cancelling this subscription would do, said before the student confirms."""
    return {
        "subscription": subscription,
        "ends_at": customer_cancel_ends_at(subscription),
        "plan": plan_balance(subscription),
    }


@student_required
@require_http_methods(["GET", "POST"])
def cancel(request, *, course, student):
    open_subscriptions = list(
        _subscriptions(student, course).filter(status__in=OPEN_STATUSES, cancel_at_period_end=False)
    )
    if request.method == "POST":
        subscription = _own_subscription(request, student, course)
        try:
            subscription = subscription_cancel_by_customer(
                subscription=subscription, actor=Actor.customer(student), source=AuditSource.STUDENT
            )
        except DomainError as refused:
            messages.error(request, refused.message)
            return redirect("classroom:cancel", course_slug=course.slug)
        return render(
            request,
            "classroom/canceled.html",
            {
                "course": course,
                "student": student,
                "subscription": subscription,
                "ends_at": subscription.next_payment_at if subscription.cancel_at_period_end else None,
                "plan": plan_balance(subscription),
            },
        )
    return render(
        request,
        "classroom/cancel.html",
        {
            "course": course,
            "student": student,
            "choices": [_cancel_choice(subscription) for subscription in open_subscriptions],
        },
    )


def _receipt_by_key(course_slug: str, key: str) -> Receipt:
    receipt = (
        Receipt.objects.select_related(
            "creator", "payment__customer", "payment__course", "payment__payment_page"
        )
        .filter(access_key=key, payment__course__slug=course_slug)
        .first()
    )
    if receipt is None or not key:
        raise Http404("No such receipt.")
    return receipt


@never_cache
@require_GET
def receipt(request, course_slug: str, key: str):
    """A receipt, opened by its long random address (from the receipt email or the billing page)."""
    found = _receipt_by_key(course_slug, key)
    receipt_display_use(found)
    pdf_url = reverse("classroom:receipt_pdf", kwargs={"course_slug": course_slug, "key": key})
    return HttpResponse(
        receipt_html(
            found,
            pdf_url=pdf_url,
            receipt_url=lambda other: reverse(
                "classroom:receipt", kwargs={"course_slug": course_slug, "key": other.access_key}
            ),
        )
    )


@never_cache
@require_GET
def receipt_pdf(request, course_slug: str, key: str):
    found = _receipt_by_key(course_slug, key)
    receipt_display_use(found)
    response = HttpResponse(receipt_pdf_bytes(found), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{receipt_filename(found)}"'
    return response
