from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm

from coursedesk.accounts.models import ApiToken, Creator
from coursedesk.accounts.roles import role_writes
from coursedesk.core.display import time_zone_names
from coursedesk.core.throttle import (
    THROTTLED_MESSAGE,
    client_address,
    signin_failed,
    signin_is_throttled,
    signin_succeeded,
)
from coursedesk.core.validators import validate_one_line


class CreatorSignInForm(AuthenticationForm):
    """Django's sign-in with throttling per account and per address."""

    def clean(self):
        email = self.cleaned_data.get("username", "")
        address = client_address(self.request) if self.request else ""
        if signin_is_throttled(scope="creator", account=email, address=address):
            raise forms.ValidationError(THROTTLED_MESSAGE, code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            signin_failed(scope="creator", account=email, address=address)
            raise
        signin_succeeded(scope="creator", account=email)
        return cleaned


class OneLineDisplayName:
    """The creator's name goes into every email's From header: one line, no control characters."""

    def clean_display_name(self):
        name = self.cleaned_data["display_name"]
        validate_one_line(name)
        return name


class CreatorSignUpForm(OneLineDisplayName, forms.ModelForm):
    password = forms.CharField(
        widget=forms.PasswordInput,
        strip=False,
        help_text=password_validation.password_validators_help_text_html(),
    )

    class Meta:
        model = Creator
        fields = ["display_name", "email"]
        labels = {"display_name": "Your name or business name"}

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if Creator.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email already exists. Sign in instead.")
        return email

    def clean_password(self):
        password = self.cleaned_data["password"]
        candidate = Creator(
            email=self.cleaned_data.get("email", ""), display_name=self.cleaned_data.get("display_name", "")
        )
        password_validation.validate_password(password, candidate)
        return password

    def save(self, commit=True):
        creator = super().save(commit=False)
        creator.set_password(self.cleaned_data["password"])
        if commit:
            creator.save()
        return creator


class CreatorProfileForm(OneLineDisplayName, forms.ModelForm):
    time_zone = forms.ChoiceField(
        label="Time zone",
        help_text="Every time on your pages and your students' pages is shown in this zone.",
    )

    class Meta:
        model = Creator
        fields = ["display_name", "time_zone", "date_format"]
        labels = {"display_name": "Name shown to students", "date_format": "Date format"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(name, name.replace("_", " ")) for name in time_zone_names()]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, initial="API token", label="Token name", validators=[validate_one_line]
    )
    scope = forms.ChoiceField(
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        label="Scope",
        help_text="A read-only token can look but never change anything.",
    )

    def __init__(self, *args, role: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.role = role

    def clean_scope(self):
        scope = self.cleaned_data["scope"]
        if scope == ApiToken.Scope.WRITE and not role_writes(self.role):
            raise forms.ValidationError("Your role only reads, so your tokens are read-only.")
        return scope
