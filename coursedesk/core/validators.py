"""Form and model validators shared by every interface."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from coursedesk.core.text import CONTROL_CHARACTERS_MESSAGE, has_control_characters


def validate_one_line(value: str) -> None:
    """A name, an email address, a title: one line of text, no control characters (a CR/LF in a
    creator's name would end up in every email's From header)."""
    if has_control_characters(value or ""):
        raise ValidationError(CONTROL_CHARACTERS_MESSAGE, code="control_characters")
