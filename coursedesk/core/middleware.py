"""Security headers that Django 5.2 does not set by itself."""

from __future__ import annotations

from django.conf import settings

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
