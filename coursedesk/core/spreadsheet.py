"""Cells that are safe to open in a spreadsheet: every export (students CSV, audit log) writes its
text through `neutralise`."""

from __future__ import annotations

# A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Prefixes a quote to cells a spreadsheet would evaluate (CSV/formula injection)."""
    if value and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_all(value):
    """`neutralise` on every string inside a JSON value (dicts, lists), for exports of JSON data."""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, dict):
        return {key: neutralise_all(item) for key, item in value.items()}
    if isinstance(value, list):
        return [neutralise_all(item) for item in value]
    return value
