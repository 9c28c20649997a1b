"""Creators (the auth user) and their API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower

from coursedesk.core import clock
from coursedesk.core.display import DATE_FORMATS, DEFAULT_DATE_FORMAT, DEFAULT_TIME_ZONE

TOKEN_PREFIX = "cd_"
LAST_USED_PRECISION = dt.timedelta(minutes=1)
# Each process trusts a token it looked up for a few seconds without asking the database again, so
# a burst of API calls costs one look-up. A revoked token, or a deactivated creator's, is refused by
# every process within this time (at once by the process that revoked it).
RECENT_TOKEN_TRUSTED_FOR = dt.timedelta(seconds=10)
RECENT_TOKENS_KEPT = 1000
_recently_authenticated: dict[str, tuple[dt.datetime, Creator]] = {}


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


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def for_creator(self, creator):
        return self.filter(creator=creator)

    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A bearer token for the creator API. Only its SHA-256 is stored; the key is shown once."""

    creator = models.ForeignKey(Creator, on_delete=models.CASCADE, related_name="api_tokens")
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
    def issue(cls, *, creator: Creator, name: str = "API token") -> tuple[ApiToken, str]:
        """Creates a token and returns it with its key, which is never stored."""
        key = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(creator=creator, name=name, prefix=key[:10], key_hash=hash_token(key))
        return token, key

    @classmethod
    def authenticate(cls, key: str) -> Creator | None:
        if not key or not key.startswith(TOKEN_PREFIX):
            return None
        key_hash = hash_token(key)
        now = clock.now()
        known = _recently_authenticated.get(key_hash)
        if known is not None and known[0] > now:
            return known[1]
        token = cls.objects.active().select_related("creator").filter(key_hash=key_hash).first()
        if token is None or not token.creator.is_active:
            _recently_authenticated.pop(key_hash, None)
            return None
        # A write on every call would cost each API request a transaction; a minute is exact enough.
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
            cls.objects.filter(pk=token.pk).update(last_used_at=now)
        if len(_recently_authenticated) >= RECENT_TOKENS_KEPT:
            _recently_authenticated.clear()
        _recently_authenticated[key_hash] = (now + RECENT_TOKEN_TRUSTED_FOR, token.creator)
        return token.creator

    def revoke(self) -> None:
        """Refuses the token from now on (in this process at once, in others within
        RECENT_TOKEN_TRUSTED_FOR)."""
        self.revoked_at = clock.now()
        self.save(update_fields=["revoked_at"])
        _recently_authenticated.pop(self.key_hash, None)
