"""Creators (the auth user), their sessions and their API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.cache import cache
from django.db import models, transaction
from django.db.models.functions import Lower

from coursedesk.accounts.roles import Role, role_writes
from coursedesk.core import clock
from coursedesk.core.display import DATE_FORMATS, DEFAULT_DATE_FORMAT, DEFAULT_TIME_ZONE

TOKEN_PREFIX = "cd_"
LAST_USED_PRECISION = dt.timedelta(minutes=1)
# A token's identity, once looked up, is kept in the shared cache (CACHE_URL) for ten seconds, so a
# burst of API calls costs one look-up; its last use is written once a minute. Whatever changes what a token
# may do removes it from the cache at once, for every process: the token saved (revoked) or deleted,
# its creator or member saved (deactivated, another email) or deleted, the member's membership
# saved (another role) or deleted. It is removed again after the commit, in case a request read the
# old rows just before.
# Ten seconds, not longer: a request that read the token just before a revocation committed may put
# the old identity back after the revocation removed it, and such an identity lives only this long.
TOKEN_CACHED_FOR = dt.timedelta(seconds=10)


def _token_cache_key(key_hash: str) -> str:
    return f"api-token:{key_hash}"


def api_tokens_forget(key_hashes) -> None:
    """Every process looks these tokens up again at their next use."""
    keys = [_token_cache_key(key_hash) for key_hash in key_hashes]
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def api_tokens_forget_person(*, person_id: int) -> None:
    """The tokens of an account (as its creator) and those a person made as a member."""
    hashes = ApiToken.objects.filter(models.Q(creator_id=person_id) | models.Q(member_id=person_id))
    api_tokens_forget(hashes.values_list("key_hash", flat=True))


class CreatorManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **fields):
        if not email:
            raise ValueError("A creator needs an email address")
        creator = self.model(email=self.normalize_email(email).lower(), **fields)
        creator.set_password(password)
        creator.save(using=self._db)
        return creator

    def create_user(self, email, password=None, **fields):
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email, password=None, **fields):
        fields["is_staff"] = True
        fields["is_superuser"] = True
        return self._create(email, password, **fields)


class Creator(AbstractUser):
    """A person who sells courses. Operators are creators with is_staff."""

    username = None
    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(
        max_length=120, blank=True, help_text="Shown to students, e.g. in emails."
    )

    time_zone = models.CharField(
        max_length=64,
        default=DEFAULT_TIME_ZONE,
        help_text="Every time on your pages and your students' pages is shown in this zone.",
    )
    date_format = models.CharField(
        max_length=20,
        default=DEFAULT_DATE_FORMAT,
        choices=[(key, example) for key, example in DATE_FORMATS.items()],
        help_text="How dates read on your pages and your students' pages.",
    )

    # Set by the owner on the Team page: everyone acting for this account signs in with a second factor.
    team_requires_two_factor = models.BooleanField(default=False)
    # Signed up from a team invitation: they act for the team's account by default, not their own.
    joined_as_member = models.BooleanField(default=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = CreatorManager()

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="creator_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.email

    # What a token acting for or made by this creator may do depends on whether they are active,
    # and /api/v1/me shows their email: a change of either is seen by the next API call.
    TOKEN_FIELDS = frozenset({"is_active", "email"})

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        if update_fields is None or self.TOKEN_FIELDS & set(update_fields):
            api_tokens_forget_person(person_id=self.pk)

    def delete(self, *args, **kwargs):
        api_tokens_forget_person(person_id=self.pk)
        return super().delete(*args, **kwargs)


class Session(AbstractBaseSession):
    """Django's database session (key, signed data, expiry), with the signed-in person's id in a
    column of its own, so that a page reads the session and its person in one query
    (coursedesk/accounts/sessions.py). Students' sessions (their own cookie) are rows here too,
    with no person.

    No database constraint: a session saved in the same moment as its person is deleted must not
    fail the request; it reads as signed out, and deleting a person deletes their sessions."""

    person = models.ForeignKey(
        "accounts.Creator",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="+",
    )

    class Meta(AbstractBaseSession.Meta):
        db_table = "accounts_session"

    @classmethod
    def get_session_store_class(cls):
        from coursedesk.accounts.sessions import SessionStore  # noqa: PLC0415 - it imports this module

        return SessionStore


class Membership(models.Model):
    """A person (their own Creator row, so they sign in, reset their password and use two-factor like
    any creator) working for another creator's account with a role. The account's own creator is its
    owner without a row here."""

    account = models.ForeignKey(Creator, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Creator, on_delete=models.CASCADE, related_name="team_memberships")
    role = models.CharField(max_length=10, choices=Role.choices)
    # The most a support member may refund in one refund, in minor units of refund_limit_currency.
    refund_limit = models.PositiveBigIntegerField(default=0)
    refund_limit_currency = models.CharField(max_length=3, default="usd")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "person"], name="membership_once_per_account"),
            models.CheckConstraint(
                condition=~models.Q(account=models.F("person")), name="membership_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.role}) for {self.account}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        api_tokens_forget_member(account_id=self.account_id, person_id=self.person_id)

    def delete(self, *args, **kwargs):
        api_tokens_forget_member(account_id=self.account_id, person_id=self.person_id)
        return super().delete(*args, **kwargs)


INVITATION_VALID_FOR = dt.timedelta(days=7)


class Invitation(models.Model):
    """An emailed link to join an account's team. Only the SHA-256 of its key is stored."""

    account = models.ForeignKey(Creator, on_delete=models.CASCADE, related_name="team_invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=10, choices=Role.choices)
    refund_limit = models.PositiveBigIntegerField(default=0)
    refund_limit_currency = models.CharField(max_length=3, default="usd")
    key_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(Creator, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.email} ({self.role}) to {self.account}"

    @property
    def open(self) -> bool:
        return self.accepted_at is None and self.canceled_at is None and self.expires_at > clock.now()


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def for_creator(self, creator):
        return self.filter(creator=creator)

    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A bearer token for the creator API. Only its SHA-256 is stored; the key is shown once.

    `creator` is the account the token acts for; `member` the person who made it (empty: the account's
    own creator, the owner). A member's token carries that member's current role, and its `scope`
    (read or write) narrows it further.
    """

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        WRITE = "write", "Read and write"

    creator = models.ForeignKey(Creator, on_delete=models.CASCADE, related_name="api_tokens")
    member = models.ForeignKey(
        Creator, on_delete=models.CASCADE, null=True, blank=True, related_name="member_api_tokens"
    )
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.WRITE)
    name = models.CharField(max_length=100, default="API token")
    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(
        cls, *, creator: Creator, name: str = "API token", member: Creator | None = None, scope: str = "write"
    ) -> tuple[ApiToken, str]:
        """Creates a token and returns it with its key, which is never stored."""
        key = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            creator=creator,
            member=member if member is not None and member.pk != creator.pk else None,
            scope=scope,
            name=name,
            prefix=key[:10],
            key_hash=hash_token(key),
        )
        return token, key

    @classmethod
    def identify(cls, key: str) -> TokenIdentity | None:
        """Who a key acts as: the account, the member, their role now and the token's scope."""
        if not key or not key.startswith(TOKEN_PREFIX):
            return None
        key_hash = hash_token(key)
        now = clock.now()
        cached = cache.get(_token_cache_key(key_hash))
        # The moment kept beside the identity follows the project's clock (tests move it).
        if cached is not None and cached[0] > now:
            return cached[1]
        identity = cls._identity_from_database(key_hash)
        if identity is None:
            return None
        # A write on every call would cost each API request a transaction; a minute is exact enough.
        if identity.last_used_at is None or now - identity.last_used_at >= LAST_USED_PRECISION:
            cls.objects.filter(pk=identity.token_id).update(last_used_at=now)
        cache.set(
            _token_cache_key(key_hash), (now + TOKEN_CACHED_FOR, identity), TOKEN_CACHED_FOR.total_seconds()
        )
        return identity

    @classmethod
    def _identity_from_database(cls, key_hash: str) -> TokenIdentity | None:
        token = cls.objects.active().select_related("creator", "member").filter(key_hash=key_hash).first()
        if token is None or not token.creator.is_active:
            return None
        membership_id = None
        if token.member_id is None:
            person, role = token.creator, Role.OWNER
        else:
            membership = (
                Membership.objects.filter(account_id=token.creator_id, person_id=token.member_id)
                .only("role")
                .first()
            )
            if membership is None or not token.member.is_active:
                return None
            person, role, membership_id = token.member, membership.role, membership.pk
        return TokenIdentity(
            account=token.creator,
            person=person,
            role=role,
            scope=token.scope,
            token_id=token.pk,
            membership_id=membership_id,
            last_used_at=token.last_used_at,
        )

    @classmethod
    def authenticate(cls, key: str) -> Creator | None:
        """The account a key acts for (see `identify` for who acts and how far)."""
        identity = cls.identify(key)
        return identity.account if identity is not None else None

    def revoke(self) -> None:
        """Refuses the token from now on, in every process."""
        self.revoked_at = clock.now()
        self.save(update_fields=["revoked_at"])

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        api_tokens_forget([self.key_hash])

    def delete(self, *args, **kwargs):
        api_tokens_forget([self.key_hash])
        return super().delete(*args, **kwargs)


def api_tokens_forget_member(*, account_id: int, person_id: int) -> None:
    """A member removed or given another role: every process looks their tokens up again."""
    hashes = ApiToken.objects.filter(creator_id=account_id, member_id=person_id)
    api_tokens_forget(hashes.values_list("key_hash", flat=True))


@dataclass(frozen=True)
class TokenIdentity:
    account: Creator
    person: Creator
    role: str
    scope: str
    token_id: int
    membership_id: int | None = None
    last_used_at: dt.datetime | None = None

    @property
    def scopes(self) -> list[str]:
        if self.scope == ApiToken.Scope.READ or not role_writes(self.role):
            return [ApiToken.Scope.READ]
        return [ApiToken.Scope.READ, ApiToken.Scope.WRITE]
