"""Merging duplicate customers: the survivor's aliases, the duplicate's mark and survivor."""

import importlib

import django.db.models.deletion

from django.db import migrations, models

# A column with a default rebuilds customers_customer on SQLite and drops the search table's
# triggers (see 0002): they are made again, and the search table rebuilt, right after.
_search = importlib.import_module("coursedesk.customers.migrations.0002_customer_search_index")


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0007_customer_tags_and_notes'),
    ]

    operations = [
        migrations.AddField(
            model_name='customer',
            name='email_aliases',
            field=models.JSONField(blank=True, default=list, editable=False),
        ),
        _search.OnlyOn("sqlite", migrations.RunSQL(_search.SQLITE_TRIGGERS, migrations.RunSQL.noop)),
        migrations.AddField(
            model_name='customer',
            name='merged_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='customer',
            name='merged_into',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='merged_customers', to='customers.customer'),
        ),
    ]
