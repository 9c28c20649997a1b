"""Who a creator page acts for, and whether they may.

Every creator page is wrapped in `creator_required`: it signs the visitor in (or sends them to the
sign-in page) and sets

- `request.creator`: the account whose courses, customers and money the page shows;
- `request.member`: who acts (`Acting`: the person, their role, their membership).

A person acts for their own account (as its owner) or, as a team member, for another account chosen
with the session key ACTING_FOR_SESSION_KEY. The membership is read again on every request, so a
removed member's sessions stop acting for the account at once.

Permissions are enforced here, once, for every page: a page that names none is open to every role for
GET and needs `write` for any other method; a page may name one (`permission="team"`) or a function
of the request's URL arguments that returns one. A refusal is a 403 page and nothing runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from coursedesk.accounts.models import Creator, Membership
from coursedesk.accounts.roles import Permission, Role, default_permission, refusal_sentence, role_can
from coursedesk.audit.services import Actor, acting_member_use

ACTING_FOR_SESSION_KEY = "coursedesk_acting_for"
WORKS_FOR_TEAMS_SESSION_KEY = "coursedesk_works_for_teams"
# Set once the second factor was checked at sign-in (or just set up).
TWO_FACTOR_VERIFIED_SESSION_KEY = "coursedesk_two_factor_verified"


@dataclass(frozen=True)
class Acting:
    """A person acting for an account with a role."""

    account: Creator
    person: Creator
    role: str
    membership: Membership | None = None

    @property
    def is_owner_account(self) -> bool:
        return self.account.pk == self.person.pk

    def can(self, permission: str) -> bool:
        return role_can(self.role, permission)

    @property
    def actor(self) -> Actor:
        return Actor.member(
            person=self.person,
            role=self.role,
            membership_id=self.membership.pk if self.membership is not None else None,
        )

    @property
    def permissions(self) -> dict[str, bool]:
        """For templates: `member.permissions.refund`."""
        return {permission: self.can(permission) for permission in Permission.values}


def acting_resolve(request) -> Acting | None:
    """The account the signed-in person acts for in this request (read once per request)."""
    if "_coursedesk_acting" in request.__dict__:
        return request.__dict__["_coursedesk_acting"]
    acting = None
    person = request.user
    if person.is_authenticated:
        acting = _acting_for(request, person)
    request.__dict__["_coursedesk_acting"] = acting
    return acting


def _acting_for(request, person) -> Acting:
    session = request.session
    chosen = session.get(ACTING_FOR_SESSION_KEY)

    # The memberships are asked for only for a person on a team: most pages are a creator's own,
    # and putting the queryset together cost every page a tenth of a millisecond.
    if chosen is not None and chosen != person.pk:
        membership = _memberships(person).filter(account_id=chosen).first()
        if membership is not None:
            return Acting(membership.account, person, membership.role, membership)
        # Removed from that team (or it closed): this session no longer acts for it.
        session.pop(ACTING_FOR_SESSION_KEY, None)
        return Acting(person, person, Role.OWNER)
    if chosen is None and person.joined_as_member:
        membership = _memberships(person).first()
        if membership is not None:
            return Acting(membership.account, person, membership.role, membership)
    return Acting(person, person, Role.OWNER)


def _memberships(person):
    """The person's memberships of teams that are still open, with their accounts."""
    return Membership.objects.select_related("account").filter(person=person, account__is_active=True)


def accounts_of(person) -> list[Acting]:
    """Every account a person may act for: their own first, then their teams."""
    own = Acting(person, person, Role.OWNER)
    teams = [
        Acting(membership.account, person, membership.role, membership) for membership in _memberships(person)
    ]
    return [own, *teams]


def remember_teams(sender, request, user, **kwargs) -> None:
    """At sign-in: whether the person works on other accounts (the header's account switch)."""
    if request is not None and hasattr(request, "session"):
        request.session[WORKS_FOR_TEAMS_SESSION_KEY] = Membership.objects.filter(person=user).exists()


def works_for_teams(request) -> bool:
    return bool(request.session.get(WORKS_FOR_TEAMS_SESSION_KEY))


def two_factor_is_verified(request) -> bool:
    return bool(request.session.get(TWO_FACTOR_VERIFIED_SESSION_KEY))


PermissionSpec = str | Callable[..., str | None] | None


def creator_required(view=None, *, permission: PermissionSpec = None):
    """Signs the visitor in, resolves who acts for which account, checks the permission, and sets
    `request.creator` and `request.member` before the view runs. Usable bare or with `permission=`."""
    if view is None:
        return lambda view: creator_required(view, permission=permission)

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        acting = acting_resolve(request)
        if acting.account.team_requires_two_factor and not two_factor_is_verified(request):
            messages.info(request, "This team signs in with a second factor. Set it up to go on.")
            return redirect("accounts:two_factor")
        needed = permission(request, **kwargs) if callable(permission) else permission
        needed = needed or default_permission(request.method)
        if not acting.can(needed):
            raise PermissionDenied(refusal_sentence(acting.role, needed))
        request.creator = acting.account
        request.member = acting
        acting_member_use(account_id=acting.account.pk, actor=acting.actor)
        try:
            return view(request, *args, **kwargs)
        finally:
            acting_member_use(account_id=None)

    return wrapped
