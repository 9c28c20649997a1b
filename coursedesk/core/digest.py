"""A digest of the values a page is made from: equal digests mean equal values.

It reads every field, annotation and related object of model instances, and lists, dicts and
dataclasses of them, down to plain values (text, numbers, moments, and the like). Anything else it
refuses (`NotDigestible`) rather than guess: an object it cannot read could hide a difference.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import hashlib
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


def digest(*values) -> str:
    """A digest of `values`, the same for equal values and (but for a hash collision) different for
    different ones."""
    out: list[str] = []
    _write(values, out, 0)
    return hashlib.blake2b("\x1f".join(out).encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()
