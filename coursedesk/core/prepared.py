"""Querysets compiled to SQL once and run again with other values.

Compiling a queryset (resolving its joins, annotations and subqueries into SQL) costs a list of the
customer profile more than running it: 0.7 to 2 ms of Python each, where the database answers in 0.1
to 0.7 ms. A `PreparedQuery` compiles its queryset once per thread and database, then runs that SQL
with the values of each call (on PostgreSQL as a prepared statement, planned once per
connection). The rows become model instances as Django's ModelIterable makes them (`Model.from_db`,
Django's populators for the `select_related` objects, then the annotations), so they are the same
instances as the queryset's; what that iterable works out at every query is worked out once too.

The queryset is still written once, with the ORM, in its usual home: a prepared query only names
which of its values change between calls. It finds where they sit among the SQL's parameters by
compiling the queryset twice, with two different stand-ins for each value, and refuses a queryset
whose SQL is not the same both times or whose changing parameters it cannot tell apart.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connections, router
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, get_related_populators


@contextlib.contextmanager
def planned_once(connection):
    """On PostgreSQL, the query runs as a prepared statement of the connection: the server plans
    it once per connection instead of at every run (planning the profile's lists costs as long as
    running them). Off with DATABASE_PREPARED_STATEMENTS=false, for a PgBouncer older than 1.21 in
    transaction mode, which cannot keep a statement between two transactions."""
    if connection.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS:
        yield
        return
    from django.db.backends.postgresql.base import ServerBindingCursor  # noqa: PLC0415 - PostgreSQL only

    connection.ensure_connection()
    raw, features = connection.connection, connection.features
    saved = raw.cursor_factory, raw.prepare_threshold, features.uses_server_side_binding
    raw.cursor_factory, raw.prepare_threshold = ServerBindingCursor, 0
    features.uses_server_side_binding = True  # the query log shows the SQL as sent
    try:
        yield
    finally:
        raw.cursor_factory, raw.prepare_threshold, features.uses_server_side_binding = saved


# Two moments long past, to stand for "now" (or any time) in a prepared query.
MOMENTS = (dt.datetime(1901, 2, 3, 4, 5, 6, tzinfo=dt.UTC), dt.datetime(1902, 3, 4, 5, 6, 7, tzinfo=dt.UTC))


class NotPreparable(ValueError):
    """The queryset's SQL depends on its values in a way a prepared query cannot replay."""


def _adapter(value) -> Callable:
    """How a value of this kind is passed to the database as a parameter."""
    if isinstance(value, bool) or not isinstance(value, int | str | dt.datetime):
        raise NotPreparable(
            f"a prepared value must be an int, a str or a datetime, not {type(value).__name__}"
        )
    if isinstance(value, dt.datetime):
        return lambda ops, moment: ops.adapt_datetimefield_value(moment)
    return lambda ops, value: value


@dataclass
class _Compiled:
    """A queryset's SQL and how its rows become model instances, both worked out once.

    `instances` does what Django's ModelIterable does for each row (`Model.from_db`, then the
    `select_related` objects, then the annotations); what the iterable works out again at every
    query (the columns of each model, its related populators, the converters) is kept here, as
    the first compiling found it."""

    model: type
    sql: str
    params: list
    slots: list[tuple[int, str]]  # (position among the parameters, name of the value)
    converters: dict  # position → (converters, expression), as Django's compiler gives them
    apply_converters: Callable
    fields: slice  # the model's own columns in a row
    init_list: list[str]  # their attribute names
    populators: list  # Django's RelatedPopulator of each select_related object
    annotations: tuple[tuple[str, int], ...]  # (attribute, position in a row)
    connection: object

    def instances(self, fetched: list, alias: str) -> list:
        if self.converters:
            fetched = self.apply_converters(fetched, self.converters)
        from_db, init_list, fields = self.model.from_db, self.init_list, self.fields
        populators, annotations = self.populators, self.annotations
        made = []
        for row in fetched:
            instance = from_db(alias, init_list, row[fields])
            for populator in populators:
                populator.populate(row, instance)
            for name, position in annotations:
                setattr(instance, name, row[position])
            made.append(instance)
        return made


@dataclass
class _Bound:
    """A compiled query with the values of one call."""

    compiled: _Compiled
    alias: str
    connection: object
    sql: str
    params: tuple

    def rows(self, fetched: list) -> list:
        """The model instances of the rows `fetched` for this SQL."""
        return self.compiled.instances(fetched, self.alias)


def run_together(*calls: tuple[PreparedQuery, dict], answered: list | None = None) -> list[list]:
    """The rows of several prepared queries, each call a (query, values) pair, in the calls' order.

    On PostgreSQL they are sent in one pipeline: the server receives them all at once and the
    answers come back together, one round trip instead of one per query (each costs about as
    long as running one of the profile's lists). Elsewhere, and when the queries read different
    databases, they run one after the other.

    `answered`, a list, receives each query's rows as the database answered them (tuples, before
    they are made model instances): what a digest of the results reads fastest."""
    bound = [query._bind(values) for query, values in calls]
    connection = bound[0].connection if bound else None
    if (
        len(bound) < 2
        or connection.vendor != "postgresql"
        or not settings.DATABASE_PREPARED_STATEMENTS
        or any(one.connection is not connection for one in bound)
    ):
        fetched = []
        for one in bound:
            with planned_once(one.connection), one.connection.cursor() as cursor:
                cursor.execute(one.sql, one.params)
                fetched.append(cursor.fetchall())
    else:
        with planned_once(connection), connection.wrap_database_errors:
            cursors = []
            try:
                with connection.connection.pipeline():
                    for one in bound:
                        cursor = connection.cursor()  # Django's cursor: the query log and wrappers see each
                        cursors.append(cursor)
                        cursor.execute(one.sql, one.params)
                fetched = [cursor.fetchall() for cursor in cursors]
            finally:
                for cursor in cursors:
                    cursor.close()
    if answered is not None:
        answered.extend(fetched)
    return [one.rows(rows) for one, rows in zip(bound, fetched, strict=True)]


class PreparedQuery:
    """`build(**values)` returns the queryset; `stand_ins` gives, for each name, two different values
    of the same kind that never occur in the data (negative ids, a moment long past)."""

    def __init__(self, build: Callable[..., QuerySet], **stand_ins: tuple):
        self.build = build
        self.stand_ins = stand_ins
        self.adapters = {}
        for name, (first, second) in stand_ins.items():
            if first == second or type(first) is not type(second):
                raise NotPreparable(f"{name}: two different stand-ins of one kind are needed")
            self.adapters[name] = _adapter(first)
        self._local = threading.local()
        self._model_class = None

    def _compile(self, alias: str) -> _Compiled:
        connection = connections[alias]
        compiled = []
        for index in (0, 1):
            queryset = self.build(**{name: pair[index] for name, pair in self.stand_ins.items()})
            if (
                queryset._prefetch_related_lookups
                or queryset._known_related_objects
                or queryset._iterable_class is not ModelIterable
            ):
                raise NotPreparable("only a queryset of model instances without prefetches is prepared")
            compiler = queryset.query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            compiled.append((queryset, compiler, sql, list(params)))
        (queryset, compiler, sql, params), (_, _, other_sql, other_params) = compiled
        if sql != other_sql or len(params) != len(other_params):
            raise NotPreparable("the SQL changes with the values")
        slots = []
        for position, (first, second) in enumerate(zip(params, other_params, strict=True)):
            if first == second:
                continue
            names = [
                name
                for name, pair in self.stand_ins.items()
                if self.adapters[name](connection.ops, pair[0]) == first
                and self.adapters[name](connection.ops, pair[1]) == second
            ]
            if len(names) != 1:
                raise NotPreparable(f"parameter {position} changes with no one value")
            slots.append((position, names[0]))
        missing = set(self.stand_ins) - {name for _, name in slots}
        if missing:
            raise NotPreparable(f"no parameter carries {', '.join(sorted(missing))}")
        # What Django's ModelIterable works out at each query, worked out once (compiling filled
        # the compiler's select, klass_info and annotation_col_map).
        select, klass_info = compiler.select, compiler.klass_info
        columns = [column[0] for column in select[: compiler.col_count]]
        if compiler.has_composite_fields(columns):
            raise NotPreparable("a composite primary key is not prepared")
        first_field, last_field = klass_info["select_fields"][0], klass_info["select_fields"][-1]
        return _Compiled(
            model=queryset.model,
            sql=sql,
            params=params,
            slots=slots,
            converters=compiler.get_converters(columns),
            apply_converters=compiler.apply_converters,
            fields=slice(first_field, last_field + 1),
            init_list=[column[0].target.attname for column in select[first_field : last_field + 1]],
            populators=get_related_populators(klass_info, select, alias),
            annotations=tuple(compiler.annotation_col_map.items()),
            connection=connection,
        )

    def __call__(self, **values) -> list:
        """The rows of `build(**values)`, as a list of model instances."""
        (rows,) = run_together((self, values))
        return rows

    def _bind(self, values: dict) -> _Bound:
        if values.keys() != self.stand_ins.keys():
            raise TypeError(f"values for {', '.join(sorted(self.stand_ins))} are expected")
        alias = router.db_for_read(self._model())
        compiled_by_alias = self._local.__dict__.setdefault("compiled", {})
        compiled = compiled_by_alias.get(alias)
        if compiled is None or compiled.connection is not connections[alias]:
            compiled = compiled_by_alias[alias] = self._compile(alias)
        ops = connections[alias].ops
        params = list(compiled.params)
        for position, name in compiled.slots:
            params[position] = self.adapters[name](ops, values[name])
        return _Bound(compiled, alias, connections[alias], compiled.sql, tuple(params))

    def _model(self):
        if self._model_class is None:
            self._model_class = self.build(**{name: pair[0] for name, pair in self.stand_ins.items()}).model
        return self._model_class
