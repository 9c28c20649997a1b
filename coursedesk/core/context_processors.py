from django.conf import settings
from django.middleware.csrf import get_token
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html

from coursedesk.core.addresses import id_url_here


def coursedesk(request):
    return {"site_url": settings.SITE_URL, "debug": settings.DEBUG}


def page_csrf_token(request) -> str:
    """The masked CSRF token of this request's page, made once: Django masks a new one (32 random
    characters) at each `get_token`, and Jinja2's backend calls it wherever a page writes
    `csrf_token` or `csrf_input`. One per page is what Django's own templates write."""
    token = request.__dict__.get("_coursedesk_csrf_token")
    if token is None:
        token = request.__dict__["_coursedesk_csrf_token"] = get_token(request)
    return token


def csrf_once(request):
    token = SimpleLazyObject(lambda: page_csrf_token(request))
    field = SimpleLazyObject(
        lambda: format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', str(token))
    )
    return {"csrf_token": token, "csrf_input": field}


def page_addresses(request):
    """The page's `id_url`, reading the request's URL configuration and script prefix once."""
    return {"id_url": id_url_here()}
