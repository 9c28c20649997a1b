"""Each request gets an id (the balancer's X-Request-ID, or a new one) that every log line carries.

Behind a balancer (BEHIND_PROXY=true) the client's address is the last one the balancer appended
to X-Forwarded-For, so sign-in throttling counts people, not the balancer.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar

from django.conf import settings

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
logger = logging.getLogger("coursedesk.request")


def current_request_id() -> str:
    return request_id_var.get()


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every log record (`-` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


def _forwarded_client(request) -> str | None:
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
    return addresses[-1] if addresses else None


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.behind_proxy = getattr(settings, "BEHIND_PROXY", False)

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request.id)
        if self.behind_proxy and (client := _forwarded_client(request)):
            request.META["REMOTE_ADDR"] = client
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response.headers["X-Request-ID"] = request.id
            if request.path == "/healthz":  # the balancer asks twice a second; not worth a line
                return response
            logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                },
            )
            return response
        finally:
            request_id_var.reset(token)
