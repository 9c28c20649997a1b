"""Creator accounts: sign up, sign in, sign out, forgotten password, settings and API tokens."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from coursedesk.accounts.forms import (
    ApiTokenForm,
    CreatorProfileForm,
    CreatorSignInForm,
    CreatorSignUpForm,
)
from coursedesk.accounts.models import ApiToken
from coursedesk.core import clock


class SignInView(auth_views.LoginView):
    form_class = CreatorSignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


def signup(request):
    if request.user.is_authenticated:
        return redirect("desk:activity")
    form = CreatorSignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        creator = form.save()
        login(request, creator, backend="django.contrib.auth.backends.ModelBackend")
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


@login_required
def settings_page(request):
    profile_form = CreatorProfileForm(request.POST or None, instance=request.user, prefix="profile")
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
            "token_form": ApiTokenForm(),
            "tokens": ApiToken.objects.for_creator(request.user).active(),
        },
    )


@login_required
@require_POST
def token_create(request):
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the token a name of at most 100 characters.")
        return redirect("accounts:settings")
    token, key = ApiToken.issue(creator=request.user, name=form.cleaned_data["name"])
    return render(request, "accounts/token_created.html", {"nav": "settings", "token": token, "key": key})


@login_required
@require_POST
def token_revoke(request, token_id: int):
    token = get_object_or_404(ApiToken.objects.for_creator(request.user).active(), pk=token_id)
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    messages.success(request, f"Token “{token.name}” revoked. Programs using it can no longer sign in.")
    return redirect("accounts:settings")
