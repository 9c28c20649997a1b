"""The creator's payment settings page: gateway, Stripe keys (never shown back), webhook address."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.billing.forms import GatewaySettingsForm
from coursedesk.billing.gateways import gateway_account
from coursedesk.billing.services import gateway_account_update
from coursedesk.core.errors import DomainError

# What to tick when adding the endpoint in Stripe's dashboard.
WEBHOOK_EVENTS = (
    "checkout.session.completed",
    "invoice.paid",
    "invoice.payment_failed",
    "charge.refunded",
    "refund.updated",
    "customer.subscription.updated",
    "customer.subscription.deleted",
)


def masked(secret: str) -> str:
    """Enough of a key to recognise it, never enough to use it."""
    if not secret:
        return ""
    parts = secret.split("_")
    shown = "".join(part + "_" for part in parts[: min(len(parts) - 1, 2)])  # sk_test_, whsec_
    return f"{shown}…{secret[-4:]}"


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request):
    account = gateway_account(request.user)
    form = GatewaySettingsForm(
        request.POST or None,
        initial={"gateway": account.gateway, "stripe_publishable_key": account.stripe_publishable_key},
    )
    if request.method == "POST" and form.is_valid():
        try:
            gateway_account_update(
                creator=request.user,
                gateway=form.cleaned_data["gateway"],
                publishable_key=form.cleaned_data["stripe_publishable_key"],
                secret_key=form.cleaned_data["stripe_secret_key"],
                webhook_secret=form.cleaned_data["stripe_webhook_secret"],
                actor=Actor.creator(request.user),
                source=AuditSource.DESK,
            )
        except DomainError as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, "Payment settings saved.")
            return redirect("billing:settings")
    webhook_url = settings.SITE_URL + reverse(
        "billing:stripe_webhook", kwargs={"endpoint_id": account.webhook_endpoint_id}
    )
    return render(
        request,
        "billing/settings.html",
        {
            "nav": "payments",
            "account": account,
            "form": form,
            "webhook_url": webhook_url,
            "webhook_events": WEBHOOK_EVENTS,
            "secret_key_masked": masked(account.stripe_secret_key),
            "webhook_secret_masked": masked(account.stripe_webhook_secret),
        },
        status=422 if form.errors else 200,
    )
