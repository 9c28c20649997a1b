"""Forms of the payment pages: checkout, test card, payment settings."""

from __future__ import annotations

from django import forms

from coursedesk.billing.models import Gateway


class CheckoutForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100, required=False)
    email = forms.EmailField(max_length=254)
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="New customers choose one (8 characters or more). Already a student? Leave it empty.",
    )


class TestCardForm(forms.Form):
    card_number = forms.CharField(
        max_length=23,
        label="Card number",
        help_text="Test mode: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined.",
        widget=forms.TextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )


class CheckoutWithCardForm(CheckoutForm, TestCardForm):
    pass


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
