"""System checks on stored data, run by `manage.py check --database default` and before every
`manage.py migrate`: dates a person or a client gave that lie outside the range the services accept
(core.clock.in_range) were stored before the services checked it, and break every read of their row
on PostgreSQL. The check names the rows; `manage.py dates_repair` brings them back into range."""

from __future__ import annotations

from django.core import checks
from django.db import connections
from django.db.models import Q

from coursedesk.billing.models import Subscription
from coursedesk.core import clock
from coursedesk.customers.models import Enrolment

# (model, field) pairs whose values come from people and clients.
GIVEN_DATES = [
    (Enrolment, "expires_at"),
    (Subscription, "paused_until"),
    (Subscription, "next_payment_at"),
]


def out_of_range(model, field: str):
    """The rows of `model` whose `field` lies outside the accepted range (only their ids are read)."""
    date_only = model._meta.get_field(field).get_internal_type() == "DateField"
    earliest = clock.EARLIEST.date() if date_only else clock.EARLIEST
    latest = clock.LATEST.date() if date_only else clock.LATEST
    return model.objects.filter(Q(**{f"{field}__lt": earliest}) | Q(**{f"{field}__gte": latest}))


@checks.register(checks.Tags.database)
def dates_in_range(app_configs=None, databases=None, **kwargs):
    if not databases or "default" not in databases:
        return []
    # migrate runs the checks before it creates the tables: a table not made yet holds no rows.
    tables = set(connections["default"].introspection.table_names())
    found = []
    for model, field in GIVEN_DATES:
        if model._meta.db_table not in tables:
            continue
        ids = list(out_of_range(model, field).values_list("pk", flat=True)[:20])
        if ids:
            found.append(
                checks.Warning(
                    f"{model._meta.verbose_name_plural} {', '.join(map(str, ids))} have a {field} outside "
                    "1970 to 2199, which cannot be read back.",
                    hint="Run `manage.py dates_repair` to bring them back into range (audited).",
                    obj=f"{model._meta.label}.{field}",
                    id="coursedesk.W001",
                )
            )
    return found
