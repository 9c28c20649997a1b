"""The links a creator hands to students, absolute (SITE_URL), for pages, emails and the API."""

from __future__ import annotations

import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def course_links(course) -> dict[str, str]:
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return dict(_course_links(course.slug, settings.SITE_URL, urlconf, get_script_prefix()))


@functools.lru_cache(maxsize=4096)
def _course_links(slug: str, site_url: str, urlconf, prefix: str) -> dict[str, str]:
    """Reversed once per course address (a profile shows each of the customer's courses' links, and
    reversing them was a twentieth of its time); the site's address, the URL configuration and the
    script prefix are in the key."""
    login_url = site_url + reverse("classroom:login", kwargs={"course_slug": slug}, urlconf=urlconf)
    return {
        "course_url": site_url + reverse("classroom:course", kwargs={"course_slug": slug}, urlconf=urlconf),
        "login_url": login_url,
        "password_reset_url": site_url
        + reverse("classroom:password_reset", kwargs={"course_slug": slug}, urlconf=urlconf),
        # SPEC §5.5: the billing URL is the login URL with "login" replaced by "billing".
        "billing_url": login_url[: login_url.rindex("login")] + "billing/",
        "cancel_url": site_url + reverse("classroom:cancel", kwargs={"course_slug": slug}, urlconf=urlconf),
    }


def checkout_url(page) -> str:
    return absolute(reverse("classroom:checkout", kwargs={"page_id": page.pk}))


def sales_url(course) -> str:
    """The public page that sells the course (published courses only)."""
    return absolute(reverse("classroom:sales", kwargs={"course_slug": course.slug}))
