"""Django's SQLite backend, converting each statement's placeholders once instead of at every run.

Django writes SQL with `%s` placeholders; Python's sqlite3 takes `?`. Django's cursor converts them
with a regular expression at every execute, which for the customer profile's statements (0.5 to 3 kB
of SQL each) cost more than SQLite took to answer some of them. The same statement text always
converts to the same text, so the conversion is kept per statement (the newest 1,024, each under
64 kB; a longer one, such as a bulk insert, is converted as before). Everything else is Django's.
"""

from __future__ import annotations

import functools

from django.db.backends.sqlite3 import base

KEPT_STATEMENTS = 1024
LONGEST_KEPT = 64 * 1024


@functools.lru_cache(maxsize=KEPT_STATEMENTS)
def _qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")  # as Django converts it


class SQLiteCursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query, *, param_names=None):
        if param_names is None and len(query) < LONGEST_KEPT:
            return _qmark(query)
        return super().convert_query(query, param_names=param_names)


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name=None):
        return self.connection.cursor(factory=SQLiteCursorWrapper)
