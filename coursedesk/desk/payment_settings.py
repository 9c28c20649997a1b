"""The creator's payment settings pages: gateway, Stripe keys (never shown back), webhook address;
and the payment policy (failed payments, expiry reminders, the student's cancel, receipt details)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from coursedesk.accounts.access import creator_required
from coursedesk.accounts.roles import Permission
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.billing.dunning import payment_policy_of, payment_policy_update, retry_days_parse
from coursedesk.billing.gateway_accounts import gateway_account_update
from coursedesk.billing.gateways import gateway_account
from coursedesk.billing.models import Gateway, PaymentPolicy
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


class GatewaySettingsForm(forms.Form):
    gateway = forms.ChoiceField(choices=Gateway.choices, widget=forms.RadioSelect)
    stripe_publishable_key = forms.CharField(max_length=255, required=False, label="Publishable key")
    stripe_secret_key = forms.CharField(
        max_length=255,
        required=False,
        label="Secret key",
        widget=forms.PasswordInput(render_value=False),
        help_text="Starts with sk_live_ or sk_test_ (or rk_… for a restricted key). "
        "Leave empty to keep the saved one.",
    )
    stripe_webhook_secret = forms.CharField(
        max_length=255,
        required=False,
        label="Webhook signing secret",
        widget=forms.PasswordInput(render_value=False),
        help_text="Starts with whsec_. Leave empty to keep the saved one.",
    )

    def clean_stripe_secret_key(self):
        key = self.cleaned_data["stripe_secret_key"].strip()
        if key and not key.startswith(("sk_live_", "sk_test_", "rk_live_", "rk_test_")):
            raise forms.ValidationError(
                "A Stripe secret key starts with sk_live_, sk_test_, rk_live_ or rk_test_."
            )
        return key

    def clean_stripe_webhook_secret(self):
        secret = self.cleaned_data["stripe_webhook_secret"].strip()
        if secret and not secret.startswith("whsec_"):
            raise forms.ValidationError("A webhook signing secret starts with whsec_.")
        return secret

    def clean_stripe_publishable_key(self):
        key = self.cleaned_data["stripe_publishable_key"].strip()
        if key and not key.startswith(("pk_live_", "pk_test_")):
            raise forms.ValidationError("A publishable key starts with pk_live_ or pk_test_.")
        return key


def masked(secret: str) -> str:
    """Enough of a key to recognise it, never enough to use it."""
    if not secret:
        return ""
    parts = secret.split("_")
    shown = "".join(part + "_" for part in parts[: min(len(parts) - 1, 2)])  # sk_test_, whsec_
    return f"{shown}…{secret[-4:]}"


@creator_required(permission=Permission.PAYMENTS_SETTINGS)
@require_http_methods(["GET", "POST"])
def settings_page(request):
    account = gateway_account(request.creator)
    form = GatewaySettingsForm(
        request.POST or None,
        initial={"gateway": account.gateway, "stripe_publishable_key": account.stripe_publishable_key},
    )
    if request.method == "POST" and form.is_valid():
        try:
            gateway_account_update(
                creator=request.creator,
                gateway=form.cleaned_data["gateway"],
                publishable_key=form.cleaned_data["stripe_publishable_key"],
                secret_key=form.cleaned_data["stripe_secret_key"],
                webhook_secret=form.cleaned_data["stripe_webhook_secret"],
                actor=Actor.creator(request.creator),
                source=AuditSource.DESK,
            )
        except DomainError as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, "Payment settings saved.")
            return redirect("desk:payment_settings")
    webhook_url = settings.SITE_URL + reverse(
        "billing:stripe_webhook", kwargs={"endpoint_id": account.webhook_endpoint_id}
    )
    return render(
        request,
        "desk/payment_settings.html",
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


class PaymentPolicyForm(forms.Form):
    retry_days = forms.CharField(
        max_length=100,
        required=False,
        label="Retry days",
        help_text="Days after the failure on which the payment is tried again, e.g. 3, 5, 7. "
        "Leave empty for no retries.",
    )
    final_action = forms.ChoiceField(
        choices=PaymentPolicy.FinalAction.choices,
        widget=forms.RadioSelect,
        label="After the last retry fails",
    )
    access_while_past_due = forms.BooleanField(
        required=False, label="Students keep access to the course while a payment is past due"
    )
    expiry_reminder_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=90,
        label="Expiry reminder: days before access ends",
        help_text="Leave empty to send no reminders.",
    )
    customer_cancel_at_period_end = forms.TypedChoiceField(
        choices=[
            ("false", "At once: their access ends when they cancel"),
            ("true", "At the end of the period they paid for"),
        ],
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
        label="When a student cancels their own subscription",
    )
    business_name = forms.CharField(max_length=200, required=False, label="Business name")
    business_address = forms.CharField(
        max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Address"
    )
    tax_id = forms.CharField(max_length=100, required=False, label="Tax id (VAT number, EIN…)")

    def clean_retry_days(self):
        try:
            return retry_days_parse(self.cleaned_data["retry_days"])
        except DomainError as refused:
            raise forms.ValidationError(refused.message) from None


@creator_required(permission=Permission.PAYMENTS_SETTINGS)
@require_http_methods(["GET", "POST"])
def policy_page(request):
    policy = payment_policy_of(request.creator)
    form = PaymentPolicyForm(
        request.POST or None,
        initial={
            "retry_days": ", ".join(str(day) for day in policy.retry_days),
            "final_action": policy.final_action,
            "access_while_past_due": policy.access_while_past_due,
            "expiry_reminder_days": policy.expiry_reminder_days,
            "customer_cancel_at_period_end": "true" if policy.customer_cancel_at_period_end else "false",
            "business_name": policy.business_name,
            "business_address": policy.business_address,
            "tax_id": policy.tax_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            payment_policy_update(
                creator=request.creator,
                actor=Actor.creator(request.creator),
                source=AuditSource.DESK,
                **form.cleaned_data,
            )
        except DomainError as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, "Payment policy saved.")
            return redirect("desk:payment_policy")
    return render(
        request,
        "desk/payment_policy.html",
        {"nav": "payments", "form": form, "account": gateway_account(request.creator)},
        status=422 if form.errors else 200,
    )
