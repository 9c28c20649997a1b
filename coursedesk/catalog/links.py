"""The links a creator hands to students, absolute (SITE_URL), for pages, emails and the API."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def course_links(course) -> dict[str, str]:
    login_url = absolute(reverse("classroom:login", kwargs={"course_slug": course.slug}))
    return {
        "course_url": absolute(reverse("classroom:course", kwargs={"course_slug": course.slug})),
        "login_url": login_url,
        "password_reset_url": absolute(
            reverse("classroom:password_reset", kwargs={"course_slug": course.slug})
        ),
        # SPEC §5.5: the billing URL is the login URL with "login" replaced by "billing".
        "billing_url": login_url[: login_url.rindex("login")] + "billing/",
        "cancel_url": absolute(reverse("classroom:cancel", kwargs={"course_slug": course.slug})),
    }


def checkout_url(page) -> str:
    return absolute(reverse("classroom:checkout", kwargs={"page_id": page.pk}))


def sales_url(course) -> str:
    """The public page that sells the course (published courses only)."""
    return absolute(reverse("classroom:sales", kwargs={"course_slug": course.slug}))
