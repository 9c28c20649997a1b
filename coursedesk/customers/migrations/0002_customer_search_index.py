"""Substring search over `Customer.search_text`, fast at a million customers.

PostgreSQL: a pg_trgm GIN index serves `search_text LIKE '%term%'`.
SQLite: an FTS5 trigram table over search_text (external content), kept in step by triggers, so
every write path (services, admin, bulk inserts that set search_text) stays searchable.

Neither index is part of the model state: each exists on one database only. Note for later
migrations on SQLite: a table rebuild of customers_customer drops its triggers; recreate them with
`SQLITE_TRIGGERS` if a migration ever rebuilds that table.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

SQLITE_TABLE = "customers_customer_search"

SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_TABLE} USING fts5("
    "search_text, content='customers_customer', content_rowid='id', tokenize='trigram')",
]
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS {SQLITE_TABLE}_insert AFTER INSERT ON customers_customer BEGIN
      INSERT INTO {SQLITE_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {SQLITE_TABLE}_delete AFTER DELETE ON customers_customer BEGIN
      INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {SQLITE_TABLE}_update AFTER UPDATE OF search_text
      ON customers_customer BEGIN
      INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
      INSERT INTO {SQLITE_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    f"INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}) VALUES ('rebuild')",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {SQLITE_TABLE}_insert",
    f"DROP TRIGGER IF EXISTS {SQLITE_TABLE}_delete",
    f"DROP TRIGGER IF EXISTS {SQLITE_TABLE}_update",
    f"DROP TABLE IF EXISTS {SQLITE_TABLE}",
]


class OnlyOn(migrations.operations.base.Operation):
    """Runs `operation` against one database vendor only, and never touches the model state."""

    reversible = True

    def __init__(self, vendor, operation):
        self.vendor = vendor
        self.operation = operation

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            self.operation.database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            self.operation.database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return f"On {self.vendor} only: {self.operation.describe()}"

    def deconstruct(self):
        return self.__class__.__name__, [self.vendor, self.operation], {}


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0001_initial"),
    ]

    operations = [
        OnlyOn("postgresql", TrigramExtension()),
        OnlyOn(
            "postgresql",
            migrations.AddIndex(
                model_name="customer",
                index=GinIndex(
                    fields=["search_text"], opclasses=["gin_trgm_ops"], name="customer_search_trgm"
                ),
            ),
        ),
        OnlyOn("sqlite", migrations.RunSQL(SQLITE_CREATE + SQLITE_TRIGGERS, SQLITE_DROP)),
    ]
