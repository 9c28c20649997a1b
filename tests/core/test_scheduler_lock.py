"""One acting scheduler: the PostgreSQL advisory lock, its hand-over, and the command around it."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from coursedesk.core.leader import SchedulerLock

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's; on SQLite the only scheduler always acts")


@pytest.fixture
def locks():
    made = []

    def make(name):
        lock = SchedulerLock(name=name, key=4242)
        made.append(lock)
        return lock

    yield make
    for lock in made:
        lock.close()


def _terminate(lock):
    """What the server does when the acting process dies: its connection and lock go away.

    The timeout makes pg_terminate_backend wait until the backend has exited (and freed its lock);
    without it the signal is only sent, and the next tick could still find the lock held."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [lock.backend_pid()])
        assert cursor.fetchone() == (True,)


def test_exactly_one_scheduler_acts_each_tick(locks):
    first, second = locks("node-a"), locks("node-b")
    ticks = [(first.acting(), second.acting()) for _ in range(3)]
    assert ticks == [(True, False)] * 3


def test_another_takes_over_at_its_next_tick_when_the_acting_one_dies(locks):
    first, second = locks("node-a"), locks("node-b")
    assert (first.acting(), second.acting()) == (True, False)

    _terminate(first)

    assert second.acting() is True  # the very next tick
    assert first.acting() is False  # the dead one's connection is noticed; it now stands by
    assert second.acting() is True


def test_closing_gives_the_lock_up(locks):
    first, second = locks("node-a"), locks("node-b")
    assert first.acting() is True
    first.close()
    assert second.acting() is True


def test_the_lock_holder_is_named_in_pg_stat_activity(locks):
    first = locks("node-a")
    first.acting()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
            "WHERE l.locktype = 'advisory' AND l.objid = 4242 AND l.granted"
        )
        assert cursor.fetchall() == [("coursedesk-scheduler node-a",)]


def test_the_lock_is_not_on_djangos_connection(locks):
    # The lock has its own connection, so a pooled connection handed to other work never carries it.
    first, second = locks("node-a"), locks("node-b")
    first.acting()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        assert cursor.fetchone() == (0,)
    assert second.acting() is False


def test_a_standing_by_scheduler_runs_no_job(locks, creator, customer, settings, frozen_now):
    from coursedesk.core import clock
    from coursedesk.mail.models import OutboundEmail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    lost = OutboundEmail.objects.create(
        creator=creator,
        customer=customer,
        kind="welcome",
        to=customer.email,
        subject="Welcome",
        text_body="Hello",
        created_at=clock.now() - dt.timedelta(hours=1),
    )
    other = SchedulerLock()  # the default key: what run_scheduler uses
    assert other.acting() is True
    try:
        out = StringIO()
        call_command("run_scheduler", "--once", stdout=out)
        assert "stands by: another scheduler acts." in out.getvalue()
        lost.refresh_from_db()
        assert lost.status == "queued"
    finally:
        other.close()

    out = StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    assert " acts." in out.getvalue()
    lost.refresh_from_db()
    assert lost.status == "sent"
