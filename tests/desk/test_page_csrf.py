"""The CSRF token of a desk page (see coursedesk.core.context_processors.csrf_once)."""

import re

from django.test import Client
from django.urls import reverse


def test_a_page_writes_one_csrf_token_and_it_is_accepted(creator, customer, enrolment):
    """Jinja2's backend would mask a new token at each use; a page carries one, as with Django's
    templates, in its forms and in the htmx header alike, and a form posted with it is accepted."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(creator)
    page = client.get(f"/desk/customers/{customer.pk}/").content.decode()
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"|"X-CSRFToken": "([^"]+)"', page))
    values = {value for pair in tokens for value in pair if value}
    assert len(values) == 1
    assert page.count(next(iter(values))) >= 3  # the header, sign-out and "View as student"

    response = client.post(
        reverse("desk:note_add", args=[customer.pk]),
        {"body": "Asked about the certificate.", "confirmed": "yes", "csrfmiddlewaretoken": values.pop()},
    )
    assert response.status_code in (200, 302)
    assert customer.notes.get().body == "Asked about the certificate."
