"""The creator API (API.md): one NinjaAPI, one router per resource, errors in one shape."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from coursedesk.api.auth import CreatorToken
from coursedesk.api.openapi import CourseDeskAPI
from coursedesk.api.renderers import OrjsonRenderer
from coursedesk.core.errors import DomainError


class JsonObjectParser(Parser):
    """A JSON body is one object: a list, a number, a string, null or NaN is a malformed request
    (400), never read as an empty change."""

    def parse_body(self, request):
        data = json.loads(request.body, parse_constant=_no_constant)
        if not isinstance(data, dict):
            raise ValueError("The request body must be a JSON object.")
        return data


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number.")


api = CourseDeskAPI(
    parser=JsonObjectParser(),
    renderer=OrjsonRenderer(),
    title="CourseDesk creator API",
    version="1",
    description="Search customers, read profiles and act on their behalf. "
    "Authenticate with `Authorization: Bearer <token>` (Settings → API tokens).",
    auth=CreatorToken(),
    urls_namespace="api",
)


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


@api.exception_handler(DomainError)
def on_domain_error(request, error: DomainError):
    return api.create_response(request, error.as_dict(), status=error.status)


@api.exception_handler(Http404)
def on_not_found(request, error):
    return api.create_response(request, error_body("not_found", "Not found."), status=404)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, error):
    return api.create_response(
        request,
        error_body("unauthenticated", "Send a valid API token as 'Authorization: Bearer <token>'."),
        status=401,
    )


@api.exception_handler(ValidationError)
def on_invalid(request, error: ValidationError):
    # Malformed JSON or a missing field is 400; a well-formed but invalid value is 422.
    details = error.errors
    malformed = any(item.get("type") in {"json_invalid", "missing"} for item in details)
    first = details[0] if details else {}
    where = ".".join(str(part) for part in first.get("loc", []) if part not in {"body", "payload"})
    text = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    message = f"{where}: {text}" if where else text
    response = api.create_response(
        request,
        {**error_body("malformed_request" if malformed else "invalid_value", message), "details": details},
        status=400 if malformed else 422,
    )
    return response


@api.exception_handler(RequestDataTooBig)
def on_too_large(request, error):
    return api.create_response(
        request,
        error_body(
            "request_too_large",
            f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024} KB.",
        ),
        status=400,
    )


@api.exception_handler(HttpError)
def on_http_error(request, error: HttpError):
    if error.status_code == 400 and str(error).startswith("Cannot parse request body"):
        return api.create_response(
            request,
            error_body("malformed_request", "The request body must be a JSON object."),
            status=400,
        )
    return api.create_response(request, error_body("http_error", str(error)), status=error.status_code)


# Routers register themselves here as the API grows: api.add_router("/customers", ...).
from coursedesk.api import (  # noqa: E402
    activity,
    audit_log,
    bulk_actions,
    courses,
    customers,
    enrolments,
    events,
    imports,
    me,
    payments,
    studio,
    subscriptions,
    webhooks,
)

api.add_router("/courses", courses.router)
api.add_router("/customers", customers.router)
api.add_router("/enrolments", enrolments.router)
api.add_router("/payments", payments.router)
api.add_router("/subscriptions", subscriptions.router)
api.add_router("/activity", activity.router)
api.add_router("/me", me.router)
api.add_router("", audit_log.router)
api.add_router("", bulk_actions.router)
api.add_router("", imports.router)
api.add_router("", events.router)
api.add_router("", webhooks.router)
api.add_router("", studio.router)
