"""Creator accounts: sign up, sign in, sign out, forgotten password, settings and API tokens."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from coursedesk.accounts.access import creator_required
from coursedesk.accounts.backends import PATH as CREATOR_BACKEND
from coursedesk.accounts.forms import (
    ApiTokenForm,
    CreatorProfileForm,
    CreatorSignInForm,
    CreatorSignUpForm,
)
from coursedesk.accounts.models import ApiToken
from coursedesk.accounts.roles import Permission, Role
from coursedesk.accounts.two_factor import two_factor_enabled
from coursedesk.accounts.two_factor_views import sign_in_pending
from coursedesk.audit.services import audit_record
from coursedesk.audit.types import AuditEventType, AuditSource


class SignInView(auth_views.LoginView):
    """The password first; with two-factor sign-in on, the code next (two_factor_views.sign_in_code)."""

    form_class = CreatorSignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        person = form.get_user()
        if two_factor_enabled(person):
            sign_in_pending(self.request, person, self.get_redirect_url())
            return redirect("accounts:login_code")
        return super().form_valid(form)


def signup(request):
    if request.user.is_authenticated:
        return redirect("desk:activity")
    form = CreatorSignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        creator = form.save()
        login(request, creator, backend=CREATOR_BACKEND)
        messages.success(request, "Welcome to CourseDesk! Your account is ready.")
        return redirect("studio:home")
    return render(request, "accounts/signup.html", {"form": form})


password_reset = auth_views.PasswordResetView.as_view(
    template_name="accounts/password_reset.html",
    email_template_name="accounts/password_reset_email.txt",
    subject_template_name="accounts/password_reset_subject.txt",
    success_url=reverse_lazy("accounts:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="accounts/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="accounts/password_reset_confirm.html",
    success_url=reverse_lazy("accounts:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)


@creator_required
def settings_page(request):
    acting = request.member
    profile_form = CreatorProfileForm(request.POST or None, instance=request.creator, prefix="profile")
    if request.method == "POST" and profile_form.is_valid():
        profile_form.save()
        messages.success(request, "Saved.")
        return redirect("accounts:settings")
    return render(
        request,
        "accounts/settings.html",
        {
            "nav": "settings",
            "profile_form": profile_form,
            "token_form": ApiTokenForm(role=acting.role),
            "tokens": _tokens_shown(request),
            "two_factor_on": two_factor_enabled(request.user),
        },
    )


def _tokens_shown(request):
    """Owners see and revoke every token of the account; other members their own."""
    tokens = ApiToken.objects.for_creator(request.creator).active().select_related("member")
    if request.member.role == Role.OWNER:
        return tokens
    return tokens.filter(member=request.member.person)


@creator_required(permission=Permission.OWN_ACCESS)
@require_POST
def token_create(request):
    acting = request.member
    form = ApiTokenForm(request.POST, role=acting.role)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect("accounts:settings")
    token, key = ApiToken.issue(
        creator=request.creator,
        member=acting.person,
        name=form.cleaned_data["name"],
        scope=form.cleaned_data["scope"],
    )
    audit_record(
        creator=request.creator,
        type=AuditEventType.API_TOKEN_CREATED,
        actor=acting.actor,
        source=AuditSource.SETTINGS,
        subject=token,
        data={"subject": f"{token.name} ({token.scope})"},
    )
    return render(request, "accounts/token_created.html", {"nav": "settings", "token": token, "key": key})


@creator_required(permission=Permission.OWN_ACCESS)
@require_POST
def token_revoke(request, token_id: int):
    token = get_object_or_404(_tokens_shown(request), pk=token_id)
    token.revoke()
    audit_record(
        creator=request.creator,
        type=AuditEventType.API_TOKEN_REVOKED,
        actor=request.member.actor,
        source=AuditSource.SETTINGS,
        subject=token,
        data={"subject": token.name},
    )
    messages.success(request, f"Token “{token.name}” revoked. Programs using it can no longer sign in.")
    return redirect("accounts:settings")
