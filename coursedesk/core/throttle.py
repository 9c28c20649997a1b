"""Counting failed sign-ins so guessing passwords gets slow (creators and students alike), without
letting anyone lock someone else out.

- The client's address is the one the trusted proxies saw (TRUSTED_PROXY_COUNT entries from the right
  of X-Forwarded-For), never the proxy's own: behind a reverse proxy every visitor would share it.
- One address that fails MAX_FAILURES times for one account is refused for that account for
  WINDOW_SECONDS: a cool-down for the guesser's address only.
- One address that fails MAX_FAILURES * 4 times across accounts (spraying) is refused for every
  account for the same window.
- An account with MAX_FAILURES failures from any addresses is never refused: its right password still
  signs in, from an address that is not cooling down, after a short delay (ACCOUNT_DELAY_SECONDS) that
  makes guessing from many addresses slow.
- Reset emails are counted per account: at most RESET_EMAILS_PER_HOUR an hour, whoever asks.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time

from django.conf import settings
from django.core.cache import cache

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60
RESET_EMAILS_PER_HOUR = 3


def _key(scope: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"signin-failures:{scope}:{digest}"


def _valid_address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return ""


def client_address(request) -> str:
    """The client's address: with TRUSTED_PROXY_COUNT proxies in front, the address the outermost
    trusted proxy saw (that many entries from the right of X-Forwarded-For); else REMOTE_ADDR."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not forwarded:
        return remote
    # Each trusted proxy appends the address it received the request from; entries further left
    # were written by the client and prove nothing.
    chosen = forwarded[-proxies] if len(forwarded) >= proxies else forwarded[0]
    return _valid_address(chosen) or remote


def _count(key: str) -> int:
    return cache.get(key, 0)


def signin_is_throttled(*, scope: str, account: str, address: str) -> bool:
    """True when this address is cooling down, for this account or for every account. An account
    under attack from many addresses is only slowed down (a short delay here), never refused."""
    pair = _count(_key(f"{scope}:pair", f"{account}|{address}"))
    spraying = _count(_key(f"{scope}:address", address))
    if pair >= MAX_FAILURES or spraying >= MAX_FAILURES * 4:
        return True
    if _count(_key(f"{scope}:account", account)) >= MAX_FAILURES:
        time.sleep(getattr(settings, "SIGNIN_ACCOUNT_DELAY_SECONDS", 1.0))
    return False


def _increment(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout)
        return 1


def signin_failed(*, scope: str, account: str, address: str) -> None:
    for key in (
        _key(f"{scope}:pair", f"{account}|{address}"),
        _key(f"{scope}:address", address),
        _key(f"{scope}:account", account),
    ):
        _increment(key, WINDOW_SECONDS)


def signin_succeeded(*, scope: str, account: str) -> None:
    cache.delete(_key(f"{scope}:account", account))


def reset_email_allowed(*, scope: str, account: str) -> bool:
    """Counts one reset email for `account`; False once RESET_EMAILS_PER_HOUR were sent this hour
    (whoever asked, from wherever): the form cannot flood a mailbox, and nobody's asking uses up
    another account's allowance."""
    return _increment(_key(f"{scope}:reset", account), 60 * 60) <= RESET_EMAILS_PER_HOUR


THROTTLED_MESSAGE = (
    "Too many failed sign-in attempts from here. Wait 15 minutes and try again, or reset your password."
)
RESET_LIMIT_MESSAGE = (
    f"For safety, at most {RESET_EMAILS_PER_HOUR} reset emails an hour are sent to one address; "
    "if you asked several times, use the newest email."
)
