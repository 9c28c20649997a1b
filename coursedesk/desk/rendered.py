"""The customer profile's HTML, kept in the process and keyed by everything it shows.

Rendering the profile's lists is most of what opening a profile costs. The same profile opened again
(after a dialog, on the way back from the customers list, by a second person on the team) shows the
same thing unless something it is made from changed. So the rendered HTML is kept under a digest of
all of it:
- every row the page was built from, as read for this request: the customer (with their notes and
  their address's suppression), the enrolments with their status now and progress, the payments with
  what was refunded, the subscriptions, the emails and the timeline, each with its course or
  payment page;
- the request's own messages (a notice, an error, the welcome-email offer);
- how this creator's dates, zones and amounts are written, the language and the site's address.

A profile opened from the customers list is read in one go (profile_open), and its rows are
digested as the database answered them, one `repr` of them all; a profile read again after an
action is digested from the instances made from its rows, field by field, which gives the same
guarantee at a higher cost.

The rows are read for every request, so a change made anywhere (a webhook, a worker, another node, a
bulk update) is seen at once: a different row is a different key. Nothing is ever invalidated by
hand. The one value unique to the viewer, the form's CSRF token, is written into the kept HTML at
each answer. Templates and code change only when the process restarts, which empties the store; a
change of settings empties it too.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections import OrderedDict

from django.conf import settings
from django.core.signals import setting_changed
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from coursedesk.core.addresses import id_url_here
from coursedesk.core.context_processors import page_csrf_token
from coursedesk.core.digest import NotDigestible, answered_digest, digest
from coursedesk.core.display import display_current

TEMPLATE = "desk/_profile.html"
# Stands for the CSRF token in kept HTML: random per process, so no text a customer typed can match it.
_TOKEN_MARK = secrets.token_hex(24)


class _Kept:
    """The newest rendered profiles, at most `size` of them."""

    def __init__(self):
        self._pages: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            html = self._pages.get(key)
            if html is not None:
                self._pages.move_to_end(key)
            return html

    def put(self, key: str, html: str) -> None:
        size = settings.DESK_PROFILES_KEPT
        with self._lock:
            self._pages[key] = html
            self._pages.move_to_end(key)
            while len(self._pages) > size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)


kept = _Kept()


def _settings_changed(**kwargs) -> None:
    kept.clear()


setting_changed.connect(_settings_changed)


def _key(profile, extra: dict) -> str | None:
    display = display_current()
    around = (
        sorted(extra.items()),
        (display.date_format, display.time_zone, display.currency_codes),
        (translation.get_language(), get_script_prefix(), settings.SITE_URL),
    )
    if profile.answered is not None:
        # The rows as the database answered them (profile_open reads them all together): the same
        # rows the instances below are made from, read by one repr instead of field by field.
        with contextlib.suppress(NotDigestible):
            return answered_digest(profile.answered, TEMPLATE, *around)
    try:
        return digest(
            TEMPLATE,
            profile.customer,
            profile.enrolments,
            profile.payments,
            profile.subscriptions,
            profile.emails,
            profile.timeline,
            profile.notes,
            *around,
        )
    except NotDigestible:
        return None


def profile_html(request, profile, **extra) -> SafeString:
    """desk/_profile.html for `profile` (a CustomerProfile) with `extra` (notice, error,
    offer_welcome_email), rendered or as kept from an earlier answer with the same content."""
    key = None if settings.DESK_PROFILES_KEPT <= 0 or settings.DEBUG else _key(profile, extra)
    html = kept.get(key) if key else None
    if html is None:
        context = {
            "profile": profile,
            "customer": profile.customer,
            "csrf_token": _TOKEN_MARK,
            "id_url": id_url_here(),
            **extra,
        }
        html = render_to_string(TEMPLATE, context)
        if key:
            kept.put(key, html)
    return mark_safe(html.replace(_TOKEN_MARK, page_csrf_token(request)))
