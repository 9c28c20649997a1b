"""The studio's coupons: codes buyers type at checkout. Amounts are typed as money, never in cents."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from coursedesk.accounts.access import creator_required
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.catalog.coupons import coupon_create, coupon_update
from coursedesk.catalog.models import Coupon, PaymentPage
from coursedesk.core import clock
from coursedesk.core.errors import DomainError
from coursedesk.studio.forms import CouponForm

SOURCE = AuditSource.DESK
FIELD_OF_ERROR = {
    "invalid_code": "code",
    "coupon_code_taken": "code",
    "invalid_percent_off": "percent_off",
    "invalid_amount_off": "price",
    "invalid_currency": "currency",
    "invalid_duration": "duration",
    "invalid_expires_at": "last_day",
    "invalid_max_redemptions": "max_redemptions",
    "invalid_payment_pages": "payment_pages",
}


@creator_required
@require_http_methods(["GET", "POST"])
def coupons(request):
    """The creator's coupons, and the form that adds one."""
    pages = list(
        PaymentPage.objects.for_creator(request.creator)
        .exclude(kind=PaymentPage.Kind.FREE)
        .select_related("course")
        .order_by("course__title", "pk")
    )
    form = CouponForm(request.POST or None, pages=pages)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = {int(pk) for pk in data["payment_pages"]}
        last_day = data["last_day"]
        try:
            coupon = coupon_create(
                creator=request.creator,
                code=data["code"],
                percent_off=data["percent_off"],
                amount_off=data["amount_off"],
                currency=data["currency"] if data["amount_off"] is not None else "",
                duration=data["duration"],
                # The code works through its last day, in the creator's time zone.
                expires_at=clock.start_of_day(last_day + dt.timedelta(days=1)) if last_day else None,
                max_redemptions=data["max_redemptions"],
                payment_pages=[page for page in pages if page.pk in chosen],
                actor=Actor.creator(request.creator),
                source=SOURCE,
            )
        except DomainError as error:
            form.add_error(FIELD_OF_ERROR.get(error.code), error.message)
        else:
            messages.success(request, f"Coupon {coupon.code} added: {coupon.describe()}.")
            return redirect("studio:coupons")
    rows = Coupon.objects.for_creator(request.creator).prefetch_related("payment_pages__course")
    return render(
        request,
        "studio/coupons.html",
        {"nav": "studio", "form": form, "coupons": rows, "now": clock.now()},
        status=422 if form.errors else 200,
    )


@creator_required
@require_POST
def coupon_active(request, coupon_id: int):
    """Deactivates a coupon, or activates it again."""
    coupon = get_object_or_404(Coupon.objects.for_creator(request.creator), pk=coupon_id)
    active = request.POST.get("active") == "1"
    coupon_update(coupon=coupon, active=active, actor=Actor.creator(request.creator), source=SOURCE)
    messages.success(
        request,
        f"Coupon {coupon.code} {'is active again' if active else 'deactivated: no new checkout takes it'}.",
    )
    return redirect("studio:coupons")
