"""The second step of signing in (a code after the password), and Settings → Two-factor sign-in."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from coursedesk.accounts.access import TWO_FACTOR_VERIFIED_SESSION_KEY
from coursedesk.accounts.backends import PATH as CREATOR_BACKEND
from coursedesk.accounts.two_factor import (
    authenticator_pending,
    authenticator_qr_svg,
    recovery_codes_regenerate,
    two_factor_disable,
    two_factor_enable,
    two_factor_enabled,
    two_factor_verify,
)
from coursedesk.core import clock
from coursedesk.core.errors import DomainError
from coursedesk.core.throttle import (
    THROTTLED_MESSAGE,
    client_address,
    signin_failed,
    signin_is_throttled,
    signin_succeeded,
)

# Between the password and the code: who typed the right password, when, and where to go next.
PENDING_SESSION_KEY = "coursedesk_pending_sign_in"
PENDING_FOR_SECONDS = 300


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=20,
        label="Code",
        help_text="The six digits your authenticator app shows, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class ProofForm(forms.Form):
    password_or_code = forms.CharField(
        max_length=128,
        label="Your password or a current code",
        widget=forms.PasswordInput,
        strip=False,
    )


def sign_in_pending(request, user, next_url: str) -> None:
    request.session[PENDING_SESSION_KEY] = {
        "person": user.pk,
        "backend": getattr(user, "backend", CREATOR_BACKEND),
        "at": clock.now().timestamp(),
        "next": next_url,
    }


@never_cache
def sign_in_code(request):
    pending = request.session.get(PENDING_SESSION_KEY)
    if not pending or clock.now().timestamp() - pending["at"] > PENDING_FOR_SECONDS:
        request.session.pop(PENDING_SESSION_KEY, None)
        messages.info(request, "Sign in again with your password.")
        return redirect("accounts:login")
    person = get_user_model().objects.filter(pk=pending["person"], is_active=True).first()
    if person is None:
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = client_address(request)
        if signin_is_throttled(scope="creator-code", account=person.email, address=address):
            form.add_error("code", THROTTLED_MESSAGE)
        elif two_factor_verify(person=person, code=form.cleaned_data["code"]):
            signin_succeeded(scope="creator-code", account=person.email)
            request.session.pop(PENDING_SESSION_KEY, None)
            login(request, person, backend=pending["backend"])
            request.session[TWO_FACTOR_VERIFIED_SESSION_KEY] = True
            next_url = pending.get("next") or ""
            if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
                next_url = ""
            return redirect(next_url or "desk:activity")
        else:
            signin_failed(scope="creator-code", account=person.email, address=address)
            form.add_error("code", "That code does not work. Try the code your app shows now.")
    return render(request, "accounts/login_code.html", {"form": form})


@login_required
def two_factor_page(request):
    """Set up (QR code, then a code to confirm), see the recovery codes once, turn off, or make new
    recovery codes."""
    person = request.user
    enabled = two_factor_enabled(person)
    context = {"nav": "settings", "enabled": enabled, "proof_form": ProofForm(), "code_form": CodeForm()}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "enable":
                code_form = CodeForm(request.POST)
                code = code_form.data.get("code", "")
                codes = two_factor_enable(person=person, code=code)
                request.session[TWO_FACTOR_VERIFIED_SESSION_KEY] = True
                return render(request, "accounts/recovery_codes.html", {"nav": "settings", "codes": codes})
            if action == "verify":
                if not two_factor_verify(person=person, code=request.POST.get("code", "")):
                    raise DomainError("That code does not work.", code="invalid_code")
                request.session[TWO_FACTOR_VERIFIED_SESSION_KEY] = True
                return redirect("desk:activity")
            proof = request.POST.get("password_or_code", "")
            if action == "disable":
                two_factor_disable(person=person, password_or_code=proof)
                request.session.pop(TWO_FACTOR_VERIFIED_SESSION_KEY, None)
                messages.success(request, "Two-factor sign-in is off.")
                return redirect("accounts:two_factor")
            if action == "regenerate":
                codes = recovery_codes_regenerate(person=person, password_or_code=proof)
                return render(request, "accounts/recovery_codes.html", {"nav": "settings", "codes": codes})
        except DomainError as error:
            context["error"] = error.message
    if not enabled:
        device = authenticator_pending(person)
        context["qr_svg"] = authenticator_qr_svg(device)
        context["secret"] = device.config_url.split("secret=", 1)[1].split("&", 1)[0]
    context["verified"] = bool(request.session.get(TWO_FACTOR_VERIFIED_SESSION_KEY))
    return render(request, "accounts/two_factor.html", context)
