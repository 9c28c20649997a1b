"""The one error type for refused actions: a code for machines, a message for people."""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the action. Nothing was changed.

    `status` is the HTTP status the API answers with: 409 when a rule refuses it,
    422 when a value is invalid, 405 when the action is never allowed.
    """

    def __init__(self, message: str, *, code: str = "not_allowed", status: int = 409):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status

    def as_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


class InvalidValue(DomainError):
    def __init__(self, message: str, *, code: str = "invalid_value"):
        super().__init__(message, code=code, status=422)
