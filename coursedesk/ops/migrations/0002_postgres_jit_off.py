"""PostgreSQL's JIT compiler off for CourseDesk's database.

CourseDesk's queries are short (a page, a profile, a search) or stream one course's rows (the
students CSV). JIT compiles a query whose estimated cost passes `jit_above_cost` (100,000) into
machine code before running it, which costs hundreds of milliseconds and is done again by each
parallel worker: at a million customers the students CSV's SELECT crossed that line and spent more
time compiling than reading (COPY of the 200,000-row course: about 10,000 rows/s with JIT, 15,000
to 24,000 without, side by side on the same data). The setting is the database's (ALTER DATABASE),
so it holds for every new connection, through PgBouncer too. An operator whose role may not alter
the database is told so by a notice and can run the statement themselves (README, PostgreSQL).
"""

from django.db import migrations

JIT_OFF = """
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'CourseDesk could not turn JIT off for this database; run: ALTER DATABASE % SET jit = off',
        current_database();
END
$$;
"""
JIT_DEFAULT = """
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I RESET jit', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    NULL;
END
$$;
"""


def jit_off(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(JIT_OFF, params=None)
        schema_editor.execute("SET jit = off")  # this connection too, as later ones will be


def jit_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(JIT_DEFAULT, params=None)


class Migration(migrations.Migration):
    dependencies = [("ops", "0001_worker_lease")]

    operations = [migrations.RunPython(jit_off, jit_default, elidable=False)]
