"""Security headers that Django 5.2 does not set by itself."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware

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
# below is the stock middleware (so Django's checks still find it), doing nothing on the API.


class SessionOutsideApi(SessionMiddleware):
    def process_request(self, request):
        if not for_api(request):
            super().process_request(request)

    def process_response(self, request, response):
        return response if for_api(request) else super().process_response(request, response)


class AuthenticationOutsideApi(AuthenticationMiddleware):
    def process_request(self, request):
        if not for_api(request):
            super().process_request(request)


class MessagesOutsideApi(MessageMiddleware):
    def process_request(self, request):
        if not for_api(request):
            super().process_request(request)

    def process_response(self, request, response):
        return response if for_api(request) else super().process_response(request, response)
