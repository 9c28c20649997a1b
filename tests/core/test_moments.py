"""Moments read as UTC text (coursedesk.core.moments) are written as the API writes a datetime."""

import datetime as dt

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from coursedesk.core.moments import from_utc_text, json_text, utc_text_sql
from coursedesk.customers.models import Customer

moments = st.datetimes(
    min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(9999, 12, 31), timezones=st.just(dt.UTC)
)


def django_writes(moment):
    return DjangoJSONEncoder().default(moment)


@given(moments)
def test_the_text_of_either_database_is_written_as_django_writes_the_datetime(moment):
    naive = moment.replace(tzinfo=None)
    sqlite_text = str(naive)  # how Django keeps it in SQLite: microseconds only when there are some
    postgres_text = naive.strftime("%Y-%m-%d %H:%M:%S.%f")  # to_char(… 'YYYY-MM-DD HH24:MI:SS.US')
    assert json_text(sqlite_text) == django_writes(moment)
    assert json_text(postgres_text) == django_writes(moment)
    assert from_utc_text(sqlite_text) == moment
    assert from_utc_text(postgres_text) == moment


@pytest.mark.parametrize(
    "text, written",
    [
        ("2026-11-21T10:00:00", "2026-11-21T10:00:00Z"),
        ("2026-11-21 10:00:00.5", "2026-11-21T10:00:00.500Z"),
        ("2026-11-21 11:00:00+01:00", "2026-11-21T10:00:00Z"),
        (None, None),
    ],
)
def test_another_form_is_read_in_full(text, written):
    assert json_text(text) == written


@pytest.mark.django_db
@pytest.mark.parametrize("microsecond", [0, 500, 120_000, 123_456, 999_999])
def test_a_column_read_as_text_gives_what_the_orm_gives(creator, microsecond):
    created = dt.datetime(2026, 3, 4, 5, 6, 7, microsecond, tzinfo=dt.UTC)
    customer = Customer.objects.create(creator=creator, email=f"m{microsecond}@example.com")
    Customer.objects.filter(pk=customer.pk).update(created_at=created)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {utc_text_sql('created_at', connection.vendor)} FROM customers_customer WHERE id = %s",
            [customer.pk],
        )
        (text,) = cursor.fetchone()
    assert isinstance(text, str)
    assert from_utc_text(text) == Customer.objects.get(pk=customer.pk).created_at == created
    assert json_text(text) == django_writes(created)
