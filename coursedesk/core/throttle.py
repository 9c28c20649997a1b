"""Counting failed sign-ins so guessing passwords gets slow (creators and students alike)."""

from __future__ import annotations

import hashlib

from django.core.cache import cache

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


def _key(scope: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"signin-failures:{scope}:{digest}"


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def signin_is_throttled(*, scope: str, account: str, address: str) -> bool:
    """True when this account or this address failed too often in the last 15 minutes."""
    account_failures = cache.get(_key(f"{scope}:account", account), 0)
    address_failures = cache.get(_key(f"{scope}:address", address), 0)
    return account_failures >= MAX_FAILURES or address_failures >= MAX_FAILURES * 4


def signin_failed(*, scope: str, account: str, address: str) -> None:
    for key in (_key(f"{scope}:account", account), _key(f"{scope}:address", address)):
        cache.add(key, 0, WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, WINDOW_SECONDS)


def signin_succeeded(*, scope: str, account: str) -> None:
    cache.delete(_key(f"{scope}:account", account))


THROTTLED_MESSAGE = "Too many failed sign-in attempts. Wait 15 minutes and try again, or reset your password."
