"""A short list read inside the query of the row it belongs to, as one JSON array, so that it costs no
query of its own (the profile reads a customer's notes and address suppression with the customer)."""

from __future__ import annotations

import datetime as dt
import json

from django.db import models
from django.db.models import F, Subquery
from django.db.models.functions import JSONObject


class JSONRows(Subquery):
    """The rows of `queryset` (filtered with OuterRef, ordered and sliced) as a JSON array of objects,
    one key per concrete field; `json_rows_read` turns the array back into model instances."""

    def __init__(self, queryset: models.QuerySet):
        fields = {field.attname: F(field.attname) for field in queryset.model._meta.concrete_fields}
        super().__init__(queryset.values(row=JSONObject(**fields)), output_field=models.TextField())

    def as_sql(self, compiler, connection, template=None, **extra_context):
        if connection.vendor == "postgresql":
            template = "(SELECT COALESCE(JSON_AGG(json_rows.row), '[]')::text FROM (%(subquery)s) json_rows)"
        else:  # SQLite: each row is JSON text, read back as JSON so it is not quoted as a string
            template = "(SELECT JSON_GROUP_ARRAY(JSON(json_rows.row)) FROM (%(subquery)s) json_rows)"
        return super().as_sql(compiler, connection, template=template, **extra_context)


def _moment(text: str | None) -> dt.datetime | None:
    # PostgreSQL writes ISO 8601 with the offset; SQLite stores UTC without one.
    if text is None:
        return None
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def json_rows_read(value: str | None, model: type[models.Model]) -> list[models.Model]:
    """The instances of `model` that `JSONRows` wrote, in its order, as if read by a query. Times come
    back as aware datetimes; other values as JSON holds them (text, numbers, null), which is what
    fields of text, numbers and keys need."""
    rows = json.loads(value) if value else []
    fields = model._meta.concrete_fields
    names = [field.attname for field in fields]
    moments = {field.attname for field in fields if isinstance(field, models.DateTimeField)}
    return [
        model.from_db(None, names, [_moment(row[name]) if name in moments else row[name] for name in names])
        for row in rows
    ]
