"""Security headers that Django 5.2 does not set by itself."""

from __future__ import annotations

from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from coursedesk.core.text import has_control_characters

# Pages work with no inline script or style: htmx is a static file, its indicator styles are in
# our stylesheet. Stripe's hosted Checkout is reached by a redirect, so no Stripe origin is needed.
# Lesson videos: frames only from the embed origins of catalog.video.EMBED_ORIGINS (a test keeps the
# two lists equal), and direct .mp4 files from any https address.
VIDEO_FRAME_ORIGINS = (
    "https://www.youtube-nocookie.com",
    "https://player.vimeo.com",
    "https://fast.wistia.net",
    "https://www.loom.com",
)
DEFAULT_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    f"frame-src {' '.join(VIDEO_FRAME_ORIGINS)}; media-src 'self' https:; "
    "base-uri 'self'; object-src 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "CONTENT_SECURITY_POLICY", DEFAULT_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(("/admin/", "/api/v1/docs")):
            response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


API_PREFIX = "/api/"
API_PAGES = ("/api/v1/docs",)  # the interactive docs are a page: they keep the whole stack


def for_api(request) -> bool:
    path = request.path_info
    return path.startswith(API_PREFIX) and not path.startswith(API_PAGES)


# The creator API authenticates every request with its bearer token and keeps no state between
# requests: a session, the signed-in user and messages are work it never reads (its views are
# exempt from CSRF, which stays whole: the deploy check asks for it by name). Each class
# below is the stock middleware (so Django's checks still find it), doing nothing on the API; the
# authentication one is coursedesk.accounts.middleware.AuthenticationOutsideApi.


class SessionOutsideApi(SessionMiddleware):
    def process_request(self, request):
        if not for_api(request):
            super().process_request(request)

    def process_response(self, request, response):
        return response if for_api(request) else super().process_response(request, response)


class MessagesOutsideApi(MessageMiddleware):
    def process_request(self, request):
        if not for_api(request):
            super().process_request(request)

    def process_response(self, request, response):
        return response if for_api(request) else super().process_response(request, response)


class ControlCharacterMiddleware:
    """NUL and the other control characters have no place in an address, a query parameter or a form
    field (form fields keep tab, CR and LF: boxes of several lines). A request carrying one is refused
    before any view runs (400; an address holding one is not found, 404), so no page, API route or
    webhook inbox ever hands one to the database (PostgreSQL refuses NUL in text) or to a mail header.
    API JSON bodies are checked field by field by the API's input types (api/fields.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if has_control_characters(request.path):
            # No address holds one: like any unknown address (or id), it is not found.
            if request.path.startswith("/api/"):
                return JsonResponse({"error": {"code": "not_found", "message": "Not found."}}, status=404)
            return render(request, "404.html", status=404)
        where = self._control_character_in(request)
        if where:
            message = f"The {where} holds a control character (such as NUL or a line break); remove it."
            if request.path.startswith("/api/"):
                return JsonResponse({"error": {"code": "malformed_request", "message": message}}, status=400)
            return render(request, "400.html", {"message": message}, status=400)
        return self.get_response(request)

    @staticmethod
    def _control_character_in(request) -> str:
        for key, values in request.GET.lists():
            if has_control_characters(key) or any(has_control_characters(value) for value in values):
                return "query parameter"
        if request.method == "POST" and request.content_type in FORM_TYPES:
            for key, values in request.POST.lists():
                if has_control_characters(key) or any(
                    has_control_characters(value, multiline=True) for value in values
                ):
                    return "form field"
        return ""


FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


class CreatorPagesNoStoreMiddleware:
    """Every page and export a signed-in creator sees, and every API answer, holds personal data:
    `Cache-Control: no-store` (and private) so no browser or proxy keeps a copy, as students' pages
    already do."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)
        return response
