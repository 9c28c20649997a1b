"""The studio's forms: what a creator types. The rules that check it live in the catalog's services."""

from __future__ import annotations

from django import forms
from django.urls import reverse_lazy

from coursedesk.catalog.lessons import BODY_MAX, DRIP_MAX_DAYS
from coursedesk.catalog.models import Coupon, PaymentPage
from coursedesk.catalog.services import DESCRIPTION_MAX, SLUG_MAX, THUMBNAIL_MAX_BYTES, TITLE_MAX
from coursedesk.catalog.video import ALLOWED_DESCRIPTION
from coursedesk.core.money import Money


class CourseForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX)
    slug = forms.CharField(
        label="Address",
        max_length=SLUG_MAX,
        required=False,
        help_text="Used in the course's links, e.g. /c/watercolor-basics/. "
        "Leave empty to make it from the title.",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=DESCRIPTION_MAX,
        required=False,
        help_text="Shown on the sales page.",
    )
    contact_email = forms.EmailField(
        required=False, help_text="Shown to students who need help. Empty: your account's email."
    )
    thumbnail = forms.FileField(
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
        help_text=f"JPEG, PNG, WebP or GIF, up to {THUMBNAIL_MAX_BYTES // (1024 * 1024)} MB; "
        "resized to at most 1280×720.",
    )


class SectionForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX, label="Section title")


class LessonForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX)
    section = forms.ChoiceField(required=False, choices=[])
    body_markdown = forms.CharField(
        label="Lesson text (Markdown)",
        required=False,
        max_length=BODY_MAX,
        widget=forms.Textarea(
            attrs={
                "rows": 14,
                "hx-post": reverse_lazy("studio:markdown_preview"),
                "hx-trigger": "input changed delay:400ms, load",
                "hx-target": "#markdown-preview",
                "hx-swap": "innerHTML",
            }
        ),
        help_text="**bold**, _italic_, # headings, - lists, [links](https://…). The preview below shows "
        "what students see.",
    )
    video_url = forms.CharField(
        label="Video address",
        required=False,
        max_length=500,
        help_text=f"{ALLOWED_DESCRIPTION[0].upper()}{ALLOWED_DESCRIPTION[1:]}.",
    )
    available_after_days = forms.IntegerField(
        label="Available after (days)",
        required=False,
        min_value=0,
        max_value=DRIP_MAX_DAYS,
        help_text="Drip: the lesson opens this many days after each student's enrolment. Empty: at once.",
    )
    free_preview = forms.BooleanField(
        label="Free preview", required=False, help_text="Anyone can open it from the sales page."
    )
    file = forms.FileField(
        label="Add a downloadable file",
        required=False,
        help_text="Up to 200 MB; only students can download it.",
    )

    def __init__(self, *args, sections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [("", "No section"), *[(str(s.pk), s.title) for s in sections]]


def _money_field(**kwargs) -> forms.CharField:
    return forms.CharField(
        label="Price",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "49.00"}),
        **kwargs,
    )


class PriceCleaning:
    """The price as typed ("49", "1,299.50") in the page's currency, turned into minor units."""

    def _minor_units(self, currency: str) -> int | None:
        text = (self.cleaned_data.get("price") or "").strip()
        if not text:
            return None
        try:
            return Money.from_decimal(text, currency).amount
        except (ValueError, ArithmeticError, TypeError):
            self.add_error("price", "Enter the price as money, e.g. 49.00 or 1,299.50.")
            return None


class PaymentPageForm(PriceCleaning, forms.Form):
    name = forms.CharField(max_length=120, help_text="Buyers see it, e.g. Lifetime access or Monthly.")
    kind = forms.ChoiceField(
        label="How students pay",
        choices=PaymentPage.Kind.choices,
        widget=forms.RadioSelect,
        initial=PaymentPage.Kind.ONE_TIME,
    )
    price = _money_field(required=False, help_text="Per payment, in money (not cents). Not needed when free.")
    currency = forms.CharField(max_length=3, initial="usd", help_text="Three letters, e.g. usd, eur, gbp.")
    interval = forms.ChoiceField(
        label="Every",
        choices=[("", "—"), *PaymentPage.Interval.choices],
        required=False,
        help_text="Subscriptions and payment plans.",
    )
    installments = forms.IntegerField(
        label="Number of payments", required=False, min_value=2, max_value=60, help_text="Payment plans only."
    )
    trial_days = forms.IntegerField(
        label="Free trial (days)", required=False, min_value=1, max_value=730, help_text="Subscriptions only."
    )
    access_days = forms.IntegerField(
        label="Access length (days)", required=False, min_value=1, help_text="Empty: lifetime access."
    )

    def clean(self):
        data = super().clean()
        currency = (data.get("currency") or "usd").lower()
        data["amount"] = self._minor_units(currency)
        return data


class PaymentPageChangeForm(PriceCleaning, forms.Form):
    name = forms.CharField(max_length=120)
    price = _money_field(
        required=False,
        help_text="A new price is for new buyers only: running subscriptions keep the price they "
        "signed up at.",
    )
    active = forms.BooleanField(required=False, help_text="Inactive: nobody new can buy through this page.")

    def __init__(self, *args, page, **kwargs):
        self.page = page
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        data["amount"] = None if self.page.is_free else self._minor_units(self.page.currency)
        return data


class CouponForm(forms.Form):
    """A new coupon as the creator types it: a percentage or an amount of money off."""

    code = forms.CharField(max_length=40, help_text="What buyers type, e.g. SPRING25. Letters and digits.")
    kind = forms.ChoiceField(
        label="Discount",
        choices=[("percent", "Percentage off"), ("amount", "Amount off")],
        widget=forms.RadioSelect,
        initial="percent",
    )
    percent_off = forms.IntegerField(label="Percent off", required=False, min_value=1, max_value=99)
    price = _money_field(required=False, help_text="An amount of money (not cents), e.g. 10.00.")
    currency = forms.CharField(
        max_length=3, required=False, initial="usd", help_text="The currency of the amount off."
    )
    duration = forms.ChoiceField(
        label="On subscriptions",
        choices=Coupon.Duration.choices,
        widget=forms.RadioSelect,
        initial=Coupon.Duration.ONCE,
    )
    last_day = forms.DateField(
        label="Last day",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Empty: no end date.",
    )
    max_redemptions = forms.IntegerField(
        label="Number of uses", required=False, min_value=1, help_text="Empty: unlimited."
    )
    payment_pages = forms.MultipleChoiceField(
        label="Valid for",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every payment page.",
    )

    def __init__(self, *args, pages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["price"].label = "Amount off"
        self.fields["payment_pages"].choices = [(str(page.pk), str(page)) for page in pages]

    def clean(self):
        data = super().clean()
        data["amount_off"] = None
        if data.get("kind") == "amount":
            data["percent_off"] = None
            text = (data.get("price") or "").strip()
            try:
                data["amount_off"] = Money.from_decimal(text, (data.get("currency") or "usd").lower()).amount
            except (ValueError, ArithmeticError, TypeError):
                self.add_error("price", "Enter the amount off as money, e.g. 10.00.")
        elif (
            data.get("kind") == "percent"
            and data.get("percent_off") is None
            and "percent_off" not in self.errors
        ):
            self.add_error("percent_off", "Enter a percentage from 1 to 99.")
        return data
