"""Forms of the buyer's and student's payment pages: checkout, test card."""

from __future__ import annotations

from django import forms

from coursedesk.billing.checkout import checkout_intent_issue, checkout_intent_key
from coursedesk.core.errors import DomainError
from coursedesk.core.validators import validate_one_line


class CheckoutForm(forms.Form):
    """The buyer's details, and the purchase intent this showing of the form stands for."""

    intent = forms.CharField(widget=forms.HiddenInput, max_length=200)
    first_name = forms.CharField(max_length=100, validators=[validate_one_line])
    last_name = forms.CharField(max_length=100, required=False, validators=[validate_one_line])
    email = forms.EmailField(max_length=254)
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="New customers choose one (at least 8 characters, not a common password). "
        "Already a student? Leave it empty.",
    )
    coupon = forms.CharField(
        label="Coupon code",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def __init__(self, *args, page, **kwargs):
        self.page = page
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["intent"] = checkout_intent_issue(page=page)

    def full_clean(self):
        super().full_clean()
        if self.is_bound and "intent" in self._errors:
            # The page shown again carries a new intent, so the buyer can simply send it.
            self.data = self.data.copy()
            self.data["intent"] = checkout_intent_issue(page=self.page)

    def clean_intent(self) -> str:
        """The intent's key (the form carries it signed)."""
        try:
            return checkout_intent_key(page=self.page, signed=self.cleaned_data["intent"])
        except DomainError as error:
            raise forms.ValidationError(error.message, code=error.code) from error


class TestCardForm(forms.Form):
    card_number = forms.CharField(
        max_length=23,
        label="Card number",
        help_text="Test mode: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined.",
        widget=forms.TextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )


class CheckoutWithCardForm(CheckoutForm, TestCardForm):
    pass
