"""PostgreSQL keeps a finer picture of customers' search text, so it plans a search for how common
its word is.

A search ("oka") is one of two plans: walk the creator's customers newest first until a page of
matches (customer_newest), or read every match from the trigram index and sort them. With the
column's default statistics (a histogram of 100 values), a word found in no sampled value is
estimated at 100 customers in a million, so a common one ("oka", "che", "okafor": 20,000
customers each) took the trigram path and sorted 20,000 rows: 70 to 160 ms, where the walk
answers in 3 to 7 ms. With 1,000 values the estimates follow the data: common words walk, rare
ones ("moreau5001", a typo) still read the trigram index. ANALYZE reads the column's larger sample
once a table changes enough, as before.
"""

from django.db import migrations

TABLE, COLUMN = "customers_customer", "search_text"


def finer(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN {COLUMN} SET STATISTICS 1000")
        schema_editor.execute(f"ANALYZE {TABLE} ({COLUMN})")


def default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN {COLUMN} SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [("customers", "0010_merge_20261201_1404")]

    operations = [migrations.RunPython(finer, default, elidable=False)]
