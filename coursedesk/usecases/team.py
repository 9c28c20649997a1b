"""A creator's team: invitations by an emailed link that expires, roles, support's refund limit,
removal, and the owner's requirement of two-factor sign-in. Every change is audited on the account.

Members are people with their own sign-in (their own Creator row: one password, reset and two-factor
for everyone). A removed member stops acting for the account at their next request (their
membership is read on every page) and their tokens for it are refused at once (this process) or
within a few seconds (ApiToken's short trust window in other processes).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse

from coursedesk.accounts.models import (
    INVITATION_VALID_FOR,
    ApiToken,
    Creator,
    Invitation,
    Membership,
    api_tokens_forget_member,
    hash_token,
)
from coursedesk.accounts.roles import Role
from coursedesk.audit.services import Actor, audit_record, change
from coursedesk.audit.types import AuditEventType, AuditSource
from coursedesk.core import clock
from coursedesk.core.errors import DomainError, InvalidValue
from coursedesk.core.money import Money
from coursedesk.core.text import has_control_characters
from coursedesk.mail.models import OutboundEmail
from coursedesk.mail.services import email_queue

INVITATION_KEY_PREFIX = "inv_"
MAX_REFUND_LIMIT = 10**12


def _role_valid(role: str) -> str:
    if role not in Role.values:
        raise InvalidValue("Choose a role: owner, admin, support or viewer.", code="invalid_role")
    return role


def _refund_limit_valid(amount, currency: str) -> Money:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= MAX_REFUND_LIMIT:
        raise InvalidValue("The refund limit must be zero or more.", code="invalid_amount")
    try:
        return Money(amount, (currency or "").lower())
    except (TypeError, ValueError) as error:
        raise InvalidValue("Choose the refund limit's currency.", code="invalid_currency") from error


def team_member_invite(
    *,
    account: Creator,
    email: str,
    role: str,
    refund_limit: int = 0,
    refund_limit_currency: str = "usd",
    actor: Actor,
    source: str = AuditSource.SETTINGS,
) -> tuple[Invitation, str]:
    """Emails `email` a link to join `account`'s team with `role`; returns the invitation and its key.

    The link works once, for INVITATION_VALID_FOR. Inviting the same address again replaces the open
    invitation (the older link stops working)."""
    email = (email or "").strip().lower()
    try:
        if has_control_characters(email):
            raise ValidationError("control characters")
        validate_email(email)
    except ValidationError as error:
        raise InvalidValue("Enter a valid email address.", code="invalid_email") from error
    _role_valid(role)
    limit = _refund_limit_valid(refund_limit, refund_limit_currency)
    if email == account.email.lower():
        raise DomainError(
            "This is the account's own address: its owner is already on the team.", code="already_member"
        )
    with transaction.atomic():
        Creator.objects.select_for_update().filter(pk=account.pk).first()  # one invitation at a time
        if Membership.objects.filter(account=account, person__email__iexact=email).exists():
            raise DomainError(f"{email} is already on the team.", code="already_member")
        now = clock.now()
        Invitation.objects.filter(
            account=account, email=email, accepted_at__isnull=True, canceled_at__isnull=True
        ).update(canceled_at=now)
        key = INVITATION_KEY_PREFIX + secrets.token_urlsafe(32)
        invitation = Invitation.objects.create(
            account=account,
            email=email,
            role=role,
            refund_limit=limit.amount,
            refund_limit_currency=limit.currency,
            key_hash=hash_token(key),
            invited_by_id=actor.creator_id,
            created_at=now,
            expires_at=now + INVITATION_VALID_FOR,
        )
        audit_record(
            creator=account,
            type=AuditEventType.TEAM_MEMBER_INVITED,
            actor=actor,
            source=source,
            subject=invitation,
            data={"subject": email, "role": role, "expires_at": clock.iso(invitation.expires_at)},
        )
        link = settings.SITE_URL + reverse("desk:team_join", args=[key])
        days = INVITATION_VALID_FOR.days
        email_queue(
            creator=account,
            kind=OutboundEmail.Kind.TEAM_INVITATION,
            to=email,
            subject=f"Join {account.name} on CourseDesk",
            text_body=(
                f"Hello,\n\n{actor.label} invites you to work on {account.name}'s courses and customers "
                f"on CourseDesk, as {Role(role).label.lower()}.\n\nAccept within {days} days with this "
                f"link (it works once):\n{link}\n\nYou sign in with your own email and password; create "
                "them on that page if you have none yet.\n\nCourseDesk"
            ),
            actor=actor,
            source=source,
        )
    return invitation, key


def team_invitation_find(key: str) -> Invitation | None:
    if not key or not key.startswith(INVITATION_KEY_PREFIX):
        return None
    return Invitation.objects.select_related("account").filter(key_hash=hash_token(key)).first()


def _invitation_usable(invitation: Invitation | None) -> Invitation:
    if invitation is None or invitation.canceled_at is not None:
        raise DomainError(
            "This invitation link is not valid (any more). Ask for a new one.", code="invitation_invalid"
        )
    if invitation.accepted_at is not None:
        raise DomainError("This invitation was already accepted. Sign in to go on.", code="invitation_used")
    if invitation.expires_at <= clock.now():
        raise DomainError(
            "This invitation has expired. Ask the person who invited you for a new one.",
            code="invitation_expired",
        )
    return invitation


def team_invitation_check(key: str) -> Invitation:
    """The invitation a link names, or the reason it cannot be accepted."""
    return _invitation_usable(team_invitation_find(key))


def team_invitation_accept(*, key: str, person: Creator) -> Membership:
    """`person` (signed in, with the invited address) joins the team with the invitation's role."""
    with transaction.atomic():
        found = team_invitation_find(key)
        invitation = _invitation_usable(
            Invitation.objects.select_for_update().filter(pk=found.pk).first() if found else None
        )
        if person.email.lower() != invitation.email.lower():
            raise DomainError(
                f"This invitation is for {invitation.email}. Sign in with that address to accept it.",
                code="invitation_other_address",
            )
        if person.pk == invitation.account_id:
            raise DomainError("You own this account already.", code="already_member")
        membership, created = Membership.objects.get_or_create(
            account_id=invitation.account_id,
            person=person,
            defaults={
                "role": invitation.role,
                "refund_limit": invitation.refund_limit,
                "refund_limit_currency": invitation.refund_limit_currency,
            },
        )
        invitation.accepted_at = clock.now()
        invitation.save(update_fields=["accepted_at"])
        if created:
            audit_record(
                creator=invitation.account,
                type=AuditEventType.TEAM_MEMBER_JOINED,
                actor=Actor.member(person=person, role=membership.role, membership_id=membership.pk),
                source=AuditSource.SETTINGS,
                subject=membership,
                data={"subject": person.email, "role": membership.role},
            )
    return membership


def team_invitation_cancel(*, invitation: Invitation, actor: Actor) -> None:
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None or invitation.canceled_at is not None:
            raise DomainError("This invitation is no longer open.", code="invitation_closed")
        invitation.canceled_at = clock.now()
        invitation.save(update_fields=["canceled_at"])
        audit_record(
            creator=invitation.account,
            type=AuditEventType.TEAM_INVITATION_CANCELED,
            actor=actor,
            source=AuditSource.SETTINGS,
            subject=invitation,
            data={"subject": invitation.email},
        )


def _locked(membership: Membership) -> Membership:
    found = (
        Membership.objects.select_for_update()
        .select_related("person", "account")
        .filter(pk=membership.pk)
        .first()
    )
    if found is None:
        raise DomainError("This person is no longer on the team.", code="not_a_member")
    return found


def team_member_role_set(*, membership: Membership, role: str, actor: Actor) -> Membership:
    _role_valid(role)
    with transaction.atomic():
        membership = _locked(membership)
        if membership.pk == actor.membership_id and role != membership.role:
            raise DomainError("You cannot change your own role. Ask another owner.", code="own_membership")
        old = membership.role
        if old == role:
            return membership
        membership.role = role
        membership.save(update_fields=["role"])
        audit_record(
            creator=membership.account,
            type=AuditEventType.TEAM_MEMBER_ROLE_CHANGED,
            actor=actor,
            source=AuditSource.SETTINGS,
            subject=membership,
            data={"subject": membership.person.email, "role": change(old, role)},
        )
        _tokens_forget(account_id=membership.account_id, person_id=membership.person_id)
    return membership


def team_member_refund_limit_set(
    *, membership: Membership, amount: int, currency: str, actor: Actor
) -> Membership:
    limit = _refund_limit_valid(amount, currency)
    with transaction.atomic():
        membership = _locked(membership)
        old = Money(membership.refund_limit, membership.refund_limit_currency)
        if old == limit:
            return membership
        membership.refund_limit, membership.refund_limit_currency = limit.amount, limit.currency
        membership.save(update_fields=["refund_limit", "refund_limit_currency"])
        audit_record(
            creator=membership.account,
            type=AuditEventType.TEAM_MEMBER_REFUND_LIMIT_CHANGED,
            actor=actor,
            source=AuditSource.SETTINGS,
            subject=membership,
            data={
                "subject": membership.person.email,
                "refund_limit": change(old.format(), limit.format()),
            },
        )
    return membership


def team_member_remove(*, membership: Membership, actor: Actor) -> None:
    """Removes the member: their pages stop acting for the account at their next request and their
    tokens for it are revoked."""
    with transaction.atomic():
        membership = _locked(membership)
        if membership.pk == actor.membership_id:
            raise DomainError("You cannot remove yourself. Ask another owner.", code="own_membership")
        account, person = membership.account, membership.person
        revoked = ApiToken.objects.for_creator(account).active().filter(member=person)
        revoked_hashes = list(revoked.values_list("key_hash", flat=True))
        revoked.update(revoked_at=clock.now())
        membership.delete()
        audit_record(
            creator=account,
            type=AuditEventType.TEAM_MEMBER_REMOVED,
            actor=actor,
            source=AuditSource.SETTINGS,
            data={"subject": person.email, "role": membership.role, "tokens_revoked": len(revoked_hashes)},
        )
        _tokens_forget(account_id=account.pk, person_id=person.pk)


def _tokens_forget(*, account_id: int, person_id: int) -> None:
    """This process forgets what it trusted of the member's tokens now, and again after the commit
    (a request in between could have remembered the old role)."""
    api_tokens_forget_member(account_id=account_id, person_id=person_id)
    transaction.on_commit(lambda: api_tokens_forget_member(account_id=account_id, person_id=person_id))


def team_two_factor_require(*, account: Creator, required: bool, actor: Actor) -> None:
    with transaction.atomic():
        account = Creator.objects.select_for_update().get(pk=account.pk)
        if account.team_requires_two_factor == required:
            return
        old = account.team_requires_two_factor
        account.team_requires_two_factor = required
        account.save(update_fields=["team_requires_two_factor"])
        audit_record(
            creator=account,
            type=AuditEventType.TEAM_TWO_FACTOR_REQUIREMENT_CHANGED,
            actor=actor,
            source=AuditSource.SETTINGS,
            data={"team_requires_two_factor": change(old, required)},
        )
