"""The OpenAPI schema documents the error answers every route can give, in their one shape."""

from __future__ import annotations

from ninja import NinjaAPI

ERROR_SCHEMA = {
    "type": "object",
    "title": "Error",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        },
        "details": {"type": "array", "items": {"type": "object"}},
    },
}

# Every route is behind a token and may be handed a malformed or invalid input, an unknown id, or
# an action that a rule refuses (API.md, Errors).
ERROR_RESPONSES = {
    "400": "Malformed request",
    "401": "Missing or invalid API token",
    "404": "Not found (or another creator's)",
    "409": "Refused by a rule",
    "422": "Invalid value",
}


class CourseDeskAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        reference = {"$ref": "#/components/schemas/Error"}
        for methods in schema.get("paths", {}).values():
            for operation in methods.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_RESPONSES.items():
                    if status in responses or int(status) in responses:  # documented by the route
                        continue
                    responses.setdefault(
                        status,
                        {
                            "description": description,
                            "content": {"application/json": {"schema": reference}},
                        },
                    )
        return schema
