"""The API's input types: strict (an integer is an integer, a flag is true or false, text is a JSON
string), bounded (each text carries the length of the model field it is stored in) and free of control
characters. Every input schema builds its fields from these, so the OpenAPI schema states the limits
and a value outside them is a 422 that changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, StrictInt, StrictStr

from coursedesk.core.text import CONTROL_CHARACTERS_MESSAGE, has_control_characters

__all__ = ["Day", "Flag", "Moment", "Number", "Text", "model_text"]

Flag = StrictBool
Number = StrictInt


def _one_line(value: str) -> str:
    if has_control_characters(value):
        raise ValueError(CONTROL_CHARACTERS_MESSAGE)
    return value


def _multiline(value: str) -> str:
    if has_control_characters(value, multiline=True):
        raise ValueError("Use text only: no control characters.")
    return value


# What the OpenAPI schema states for text without a pattern of its own, so a client (or a fuzzer)
# reading the schema knows control characters are refused; the validators above enforce it with a
# sentence instead of the pattern.
ONE_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"
MULTILINE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]*$"


def Text(max_length: int, *, multiline: bool = False, **field: Any):
    """A JSON string of at most `max_length` characters, without control characters (a multiline
    text keeps tab, CR and LF)."""
    if "pattern" not in field:
        field["json_schema_extra"] = {"pattern": MULTILINE_PATTERN if multiline else ONE_LINE_PATTERN}
    return Annotated[
        StrictStr,
        Field(max_length=max_length, **field),
        AfterValidator(_multiline if multiline else _one_line),
    ]


def model_text(model, field_name: str, *, multiline: bool = False, **field: Any):
    """Text bounded by the length of `model.field_name`, where the value is stored."""
    return Text(model._meta.get_field(field_name).max_length, multiline=multiline, **field)


def _text_only(value: Any) -> Any:
    # Pydantic would read a number as seconds since 1970 and a bool as a number; a date is text.
    if value is not None and not isinstance(value, str | dt.date):
        raise ValueError("Give the date as text in ISO 8601, e.g. 2027-01-01T00:00:00Z.")
    if isinstance(value, str) and (len(value) > 40 or has_control_characters(value)):
        raise ValueError("Give the date as text in ISO 8601, e.g. 2027-01-01T00:00:00Z.")
    return value


Moment = Annotated[dt.datetime, BeforeValidator(_text_only)]
Day = Annotated[dt.date, BeforeValidator(_text_only)]
