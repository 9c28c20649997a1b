"""Creator-written email text is data: placeholders are substituted, nothing else is evaluated."""

from __future__ import annotations

import re

from django.utils.html import escape, linebreaks, urlize

from coursedesk.catalog.links import course_links
from coursedesk.customers.models import Customer

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")

PLACEHOLDERS = {
    "first_name": "The customer's first name",
    "last_name": "The customer's last name",
    "course_title": "The course's title",
    "login_url": "The course's sign-in page",
    "password_reset_url": "The page to set a new password",
    "creator_name": "Your name as students see it",
}


def placeholder_values(*, customer, course) -> dict[str, str]:
    links = course_links(course)
    return {
        "first_name": customer.first_name or "there",
        "last_name": customer.last_name,
        "course_title": course.title,
        "login_url": links["login_url"],
        "password_reset_url": links["password_reset_url"],
        "creator_name": course.creator.name,
    }


def substitute(text: str, values: dict[str, str]) -> str:
    """Plain text: known placeholders replaced; unknown ones and any other braces stay literal."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def substitute_html(text: str, values: dict[str, str]) -> str:
    """HTML part: the creator's text and every value escaped, then paragraphs and links."""
    escaped_values = {key: escape(value) for key, value in values.items()}
    html = PLACEHOLDER.sub(lambda m: escaped_values.get(m.group(1), escape(m.group(0))), escape(text))
    return urlize(linebreaks(html, autoescape=False), autoescape=False)


def unknown_placeholders(text: str) -> list[str]:
    """Names written like placeholders that are not placeholders (typos), in order of appearance."""
    seen: list[str] = []
    for match in PLACEHOLDER.finditer(text or ""):
        name = match.group(1)
        if name not in PLACEHOLDERS and name not in seen:
            seen.append(name)
    return seen


def sample_customer(creator):
    """Made-up data for previews when the course has no customers yet; never saved."""
    return Customer(creator=creator, first_name="Alex", last_name="Example", email="alex@example.com")
