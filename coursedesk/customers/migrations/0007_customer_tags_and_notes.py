"""Customers' tags and notes."""

import importlib

import coursedesk.core.clock
import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

# Adding a column with a default rebuilds customers_customer on SQLite, which drops the search
# table's triggers (see 0002): they are made again, and the search table rebuilt, right after.
_search = importlib.import_module("coursedesk.customers.migrations.0002_customer_search_index")


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0006_customer_erasure_requested_at'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='customer',
            name='tag_names',
            field=models.JSONField(blank=True, default=list, editable=False),
        ),
        _search.OnlyOn("sqlite", migrations.RunSQL(_search.SQLITE_TRIGGERS, migrations.RunSQL.noop)),
        migrations.CreateModel(
            name='Tag',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=40)),
                ('created_at', models.DateTimeField(default=coursedesk.core.clock.now)),
                ('creator', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tags', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['name', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='CustomerTag',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=coursedesk.core.clock.now)),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='customer_tags', to='customers.customer')),
                ('tag', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='customer_tags', to='customers.tag')),
            ],
        ),
        migrations.CreateModel(
            name='CustomerNote',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('body', models.TextField(max_length=5000)),
                ('author_kind', models.CharField(max_length=20)),
                ('author_label', models.CharField(max_length=255)),
                ('created_at', models.DateTimeField(default=coursedesk.core.clock.now)),
                ('author_creator', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='notes', to='customers.customer')),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
                'indexes': [models.Index(fields=['customer', '-created_at'], name='note_customer_newest')],
            },
        ),
        migrations.AddConstraint(
            model_name='tag',
            constraint=models.UniqueConstraint(models.F('creator'), django.db.models.functions.text.Lower('name'), name='tag_name_unique_per_creator'),
        ),
        migrations.AddIndex(
            model_name='customertag',
            index=models.Index(fields=['customer'], name='customer_tag_customer'),
        ),
        migrations.AddConstraint(
            model_name='customertag',
            constraint=models.UniqueConstraint(fields=('tag', 'customer'), name='customer_tag_once'),
        ),
    ]
