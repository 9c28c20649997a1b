"""Settings → Team (owners only): invite people by email, change their role and support's refund
limit, remove them, require two-factor sign-in. The invitation's page, where the invited person signs
up or signs in and accepts. And the switch between the accounts a person works for."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from coursedesk.accounts.access import (
    ACTING_FOR_SESSION_KEY,
    WORKS_FOR_TEAMS_SESSION_KEY,
    accounts_of,
    creator_required,
)
from coursedesk.accounts.backends import PATH as CREATOR_BACKEND
from coursedesk.accounts.forms import CreatorSignUpForm
from coursedesk.accounts.models import Creator, Invitation, Membership
from coursedesk.accounts.roles import Permission, Role
from coursedesk.audit.services import Actor
from coursedesk.core.errors import DomainError
from coursedesk.core.money import Money
from coursedesk.usecases import team as team_services

CURRENCIES = [("usd", "USD"), ("eur", "EUR"), ("gbp", "GBP"), ("cad", "CAD"), ("aud", "AUD"), ("jpy", "JPY")]


class RefundLimitField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Refund limit (support)")
        kwargs.setdefault("help_text", "The most a support member may refund at once. 0: no refunds.")
        super().__init__(max_length=20, **kwargs)


def _limit_amount(form) -> int:
    text = (form.cleaned_data.get("refund_limit") or "0").strip().replace(",", "")
    currency = form.cleaned_data.get("refund_limit_currency") or "usd"
    try:
        value = Decimal(text)
        if not value.is_finite() or value < 0:
            raise InvalidOperation
        return Money.from_decimal(value, currency).amount
    except (InvalidOperation, ValueError) as error:
        raise forms.ValidationError({"refund_limit": "Enter an amount such as 50 or 49.50."}) from error


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.SUPPORT)
    refund_limit = RefundLimitField()
    refund_limit_currency = forms.ChoiceField(choices=CURRENCIES, label="Currency", initial="usd")

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            cleaned["refund_limit_amount"] = _limit_amount(self)
        return cleaned


class MemberForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    refund_limit = RefundLimitField()
    refund_limit_currency = forms.ChoiceField(choices=CURRENCIES, label="Currency")

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            cleaned["refund_limit_amount"] = _limit_amount(self)
        return cleaned


def _member_form(membership: Membership, data=None) -> MemberForm:
    limit = Money(membership.refund_limit, membership.refund_limit_currency)
    return MemberForm(
        data,
        prefix=f"member-{membership.pk}",
        initial={
            "role": membership.role,
            "refund_limit": limit.format_number().replace(",", ""),
            "refund_limit_currency": membership.refund_limit_currency,
        },
    )


@creator_required(permission=Permission.TEAM)
def team(request):
    account = request.creator
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team_services.team_member_invite(
                account=account,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                refund_limit=form.cleaned_data["refund_limit_amount"],
                refund_limit_currency=form.cleaned_data["refund_limit_currency"],
                actor=Actor.creator(account),
            )
        except DomainError as error:
            form.add_error(
                "email" if error.code in ("invalid_email", "already_member") else None, error.message
            )
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("desk:team")
    memberships = Membership.objects.filter(account=account).select_related("person")
    return render(
        request,
        "desk/team.html",
        {
            "nav": "settings",
            "form": form,
            "members": [(membership, _member_form(membership)) for membership in memberships],
            "invitations": [
                invitation
                for invitation in Invitation.objects.filter(
                    account=account, accepted_at__isnull=True, canceled_at__isnull=True
                )
                if invitation.open
            ],
            "account": account,
        },
    )


@creator_required(permission=Permission.TEAM)
def team_member_change(request, membership_id):
    membership = get_object_or_404(Membership.objects.filter(account=request.creator), pk=membership_id)
    if request.method != "POST":
        return redirect("desk:team")
    form = _member_form(membership, request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect("desk:team")
    actor = Actor.creator(request.creator)
    try:
        team_services.team_member_role_set(membership=membership, role=form.cleaned_data["role"], actor=actor)
        team_services.team_member_refund_limit_set(
            membership=membership,
            amount=form.cleaned_data["refund_limit_amount"],
            currency=form.cleaned_data["refund_limit_currency"],
            actor=actor,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Saved for {membership.person.email}.")
    return redirect("desk:team")


@creator_required(permission=Permission.TEAM)
def team_member_remove(request, membership_id):
    membership = get_object_or_404(
        Membership.objects.filter(account=request.creator).select_related("person"), pk=membership_id
    )
    if request.method != "POST":
        return redirect("desk:team")
    try:
        team_services.team_member_remove(membership=membership, actor=Actor.creator(request.creator))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, f"{membership.person.email} was removed from the team; their API tokens were revoked."
        )
    return redirect("desk:team")


@creator_required(permission=Permission.TEAM)
def team_invitation_cancel(request, invitation_id):
    invitation = get_object_or_404(Invitation.objects.filter(account=request.creator), pk=invitation_id)
    if request.method != "POST":
        return redirect("desk:team")
    try:
        team_services.team_invitation_cancel(invitation=invitation, actor=Actor.creator(request.creator))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"The invitation to {invitation.email} no longer works.")
    return redirect("desk:team")


@creator_required(permission=Permission.TEAM)
@require_POST
def team_two_factor(request):
    required = request.POST.get("required") == "yes"
    team_services.team_two_factor_require(
        account=request.creator, required=required, actor=Actor.creator(request.creator)
    )
    messages.success(
        request,
        "Everyone on the team now signs in with a second factor."
        if required
        else "A second factor is no longer required.",
    )
    return redirect("desk:team")


class JoinSignUpForm(CreatorSignUpForm):
    """Signs up with the invited address (it cannot be changed here)."""

    def __init__(self, *args, invited_email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.invited_email = invited_email
        self.fields["email"].disabled = True
        self.fields["email"].initial = invited_email
        self.fields["display_name"].label = "Your name"

    def clean_email(self):
        self.cleaned_data["email"] = self.invited_email
        return super().clean_email()


@never_cache
def team_join(request, key):
    """The invitation's page: signed in with the invited address → accept; otherwise sign up (new
    address) or sign in first."""
    try:
        invitation = team_services.team_invitation_check(key)
    except DomainError as error:
        return render(request, "desk/team_join.html", {"refusal": error.message}, status=410)
    person = request.user if request.user.is_authenticated else None
    has_account = Creator.objects.filter(email__iexact=invitation.email).exists()
    form = None
    if person is None and not has_account:
        form = JoinSignUpForm(request.POST or None, invited_email=invitation.email)
    if request.method == "POST":
        if person is None and form is not None and form.is_valid():
            person = form.save(commit=False)
            person.joined_as_member = True
            person.save()
            login(request, person, backend=CREATOR_BACKEND)
        if person is not None:
            try:
                membership = team_services.team_invitation_accept(key=key, person=person)
            except DomainError as error:
                return render(
                    request,
                    "desk/team_join.html",
                    {"invitation": invitation, "refusal": error.message},
                    status=409,
                )
            request.session[ACTING_FOR_SESSION_KEY] = membership.account_id
            request.session[WORKS_FOR_TEAMS_SESSION_KEY] = True
            messages.success(request, f"Welcome to the team of {invitation.account.name}.")
            return redirect("desk:activity")
    return render(
        request,
        "desk/team_join.html",
        {"invitation": invitation, "person": person, "form": form, "has_account": has_account},
    )


@login_required
@require_POST
def account_switch(request):
    """Acts for another of the person's accounts from now on in this session."""
    try:
        wanted = int(request.POST.get("account", ""))
    except ValueError:
        wanted = None
    choices = {acting.account.pk: acting for acting in accounts_of(request.user)}
    chosen = choices.get(wanted)
    if chosen is None:
        messages.error(request, "You are not on that account's team.")
    else:
        request.session[ACTING_FOR_SESSION_KEY] = chosen.account.pk
        messages.success(
            request, f"You now work on {chosen.account.name} as {Role(chosen.role).label.lower()}."
        )
    return redirect("desk:activity")
