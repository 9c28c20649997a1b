"""Team roles and what each may do. Pages and API routes name a permission; a role either has it or
the request is refused (403) before anything changes.

- owner: everything;
- admin: everything but payment settings and the team;
- support: reads, customer care (profile, grant, revoke, expiration, resend, reset, notes) and refunds
  up to the limit the owner sets (checked by the refund service);
- viewer: reads only.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    SUPPORT = "support", "Support"
    VIEWER = "viewer", "Viewer"


class Permission(models.TextChoices):
    READ = "read", "see pages and data"
    # Any change not named below: courses, payment pages, emails, webhooks, subscriptions, settings.
    WRITE = "write", "change things"
    # The customer care a support person does on a profile.
    CUSTOMER_CARE = "customer_care", "look after customers"
    REFUND = "refund", "refund payments"
    PAYMENTS_SETTINGS = "payments_settings", "change payment settings"
    TEAM = "team", "manage the team"
    # Every member manages their own API tokens and two-factor sign-in.
    OWN_ACCESS = "own_access", "manage their own tokens"


ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(Permission.values),
    Role.ADMIN: frozenset(
        {
            Permission.READ,
            Permission.WRITE,
            Permission.CUSTOMER_CARE,
            Permission.REFUND,
            Permission.OWN_ACCESS,
        }
    ),
    Role.SUPPORT: frozenset(
        {Permission.READ, Permission.CUSTOMER_CARE, Permission.REFUND, Permission.OWN_ACCESS}
    ),
    Role.VIEWER: frozenset({Permission.READ, Permission.OWN_ACCESS}),
}

# What a request needs when its page or route names no permission: reading is open to every role,
# any other method changes something.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def role_can(role: str, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def default_permission(method: str) -> str:
    return Permission.READ if method in SAFE_METHODS else Permission.WRITE


def role_writes(role: str) -> bool:
    """Whether the role changes anything at all (a viewer's token can only be a read token)."""
    return any(role_can(role, permission) for permission in (Permission.WRITE, Permission.CUSTOMER_CARE))


def refusal_sentence(role: str, permission: str) -> str:
    label = Role(role).label.lower() if role in Role.values else role
    what = Permission(permission).label
    return f"Your role ({label}) does not let you {what} here. Ask an owner of this account."
