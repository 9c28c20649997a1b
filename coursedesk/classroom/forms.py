"""Forms of the buyer's and student's payment pages: checkout, test card."""

from __future__ import annotations

from django import forms


class CheckoutForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100, required=False)
    email = forms.EmailField(max_length=254)
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="New customers choose one (at least 8 characters, not a common password). "
        "Already a student? Leave it empty.",
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
