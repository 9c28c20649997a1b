"""A digest of the values a page is made from: equal digests mean equal values.

It reads every field, annotation and related object of model instances, and lists, dicts and
dataclasses of them, down to plain values (text, numbers, moments, and the like). Anything else it
refuses (`NotDigestible`) rather than guess: an object it cannot read could hide a difference.

Rows as the database answered them (lists of tuples of plain values) are read faster by
`answered_digest`: one `repr` of them all, where model instances are read field by field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import hashlib
import itertools
import uuid

from django.db.models import Model

_PLAIN = (
    type(None),
    bool,
    int,
    float,
    str,
    bytes,
    decimal.Decimal,
    dt.date,
    dt.time,
    dt.timedelta,
    uuid.UUID,
)
_DEEPEST = 12


class NotDigestible(TypeError):
    """A value whose content the digest cannot read."""


_PLAIN_TYPES = frozenset(_PLAIN)
# What a database driver answers in a row's cells. `repr` writes each in full, tells 1 from "1",
# True from 1 and 1.0, and carries a moment's zone; a type outside these (a memoryview, whose repr
# is its address) is refused.
_CELL_TYPES = frozenset({*_PLAIN, dt.datetime})


def _write(value, out: list[str], depth: int) -> None:
    if depth > _DEEPEST:
        raise NotDigestible("the values nest too deeply (or refer to themselves)")
    if isinstance(value, _PLAIN):
        # repr tells 1 from "1" and True from 1, and carries a moment's zone.
        out.append(f"{type(value).__name__}:{value!r}")
    elif isinstance(value, Model):
        out.append(f"<{value._meta.label}")
        for name, item in vars(value).items():
            if name == "_state":
                continue
            out.append(name)
            if type(item) in _PLAIN_TYPES:  # most fields: written here, without a call
                out.append(f"{type(item).__name__}:{item!r}")
            else:
                _write(item, out, depth + 1)
        for name, related in value._state.fields_cache.items():
            out.append(f"~{name}")
            _write(related, out, depth + 1)
        out.append(">")
    elif isinstance(value, list | tuple):
        out.append(f"[{len(value)}")
        for item in value:
            _write(item, out, depth + 1)
        out.append("]")
    elif isinstance(value, dict):
        out.append(f"{{{len(value)}")
        for key, item in value.items():
            _write(key, out, depth + 1)
            _write(item, out, depth + 1)
        out.append("}")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        out.append(f"<{type(value).__qualname__}")
        for item in dataclasses.fields(value):
            out.append(item.name)
            _write(getattr(value, item.name), out, depth + 1)
        out.append(">")
    else:
        raise NotDigestible(f"cannot read a {type(value).__qualname__}")


def _hashed(out: list[str]) -> str:
    return hashlib.blake2b("\x1f".join(out).encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


def _answered_text(answered: list[list[tuple]]) -> str:
    cells = itertools.chain.from_iterable(itertools.chain.from_iterable(answered))
    kinds = set(map(type, cells))
    if not kinds <= _CELL_TYPES:
        strange = ", ".join(sorted(kind.__qualname__ for kind in kinds - _CELL_TYPES))
        raise NotDigestible(f"cannot read a cell of type {strange}")
    if any(type(row) is not tuple for rows in answered for row in rows):
        raise NotDigestible("rows are tuples")
    return repr(answered)


def answered_digest(answered: list[list[tuple]], *values) -> str:
    """A digest of the rows of one or more queries, as the database answered them (lists of tuples),
    and of `values` (read as `digest` reads them): equal digests mean equal rows and values. The rows
    are written by one `repr`, where model instances made from them are read field by field."""
    out: list[str] = []
    _write(values, out, 0)
    # repr escapes the separator inside any text, so the rows' part cannot be taken for the values'.
    out.append(_answered_text(answered))
    return _hashed(out)


def digest(*values) -> str:
    """A digest of `values`, the same for equal values and (but for a hash collision) different for
    different ones."""
    out: list[str] = []
    _write(values, out, 0)
    return _hashed(out)
