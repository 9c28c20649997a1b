"""The email providers' tracking webhooks, /anymail/<provider>/tracking/ (django-anymail's views).

Each must prove who sent it: basic auth (EMAIL_URL ...?webhook_secret=user:password) or the
provider's own signature key. anymail only warns when neither is configured and then trusts anyone;
here such a request is refused, so nobody can mark a customer's address undeliverable by posting a
made-up bounce. Only the tracking views are routed: CourseDesk receives no inbound email.
"""

from __future__ import annotations

import functools
import logging
import warnings

from anymail.exceptions import AnymailConfigurationError, AnymailInsecureWebhookWarning
from anymail.urls import urlpatterns as anymail_patterns
from django.http import HttpResponse
from django.urls import path

logger = logging.getLogger(__name__)
app_name = "anymail"


def _verified_only(view):
    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("error", AnymailInsecureWebhookWarning)
            try:
                return view(request, *args, **kwargs)
            except (AnymailInsecureWebhookWarning, AnymailConfigurationError) as error:
                logger.error(
                    "Refused an email tracking report (%s): set webhook_secret in EMAIL_URL, or the "
                    "provider's signing key, so CourseDesk can check who sends them.",
                    error,
                )
                return HttpResponse("Tracking webhooks are not configured.", status=503)

    return guarded


urlpatterns = [
    path(str(pattern.pattern), _verified_only(pattern.callback), name=pattern.name)
    for pattern in anymail_patterns
    if pattern.name and pattern.name.endswith("tracking_webhook")
]
