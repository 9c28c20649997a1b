"""The send task on the production path: django-tasks' database backend and its db_worker."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from coursedesk.audit.services import Actor
from coursedesk.core import clock
from coursedesk.mail.models import OutboundEmail
from coursedesk.mail.services import email_queue

REFUSE = "451 4.3.0 Mailbox temporarily unavailable"


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def run_worker():
    call_command("db_worker", batch=True, no_startup_delay=True, interval=0, verbosity=0)


def test_worker_sends_and_schedules_retries_with_run_after(database_tasks, creator, customer, mailbox):
    from django_tasks_db.models import DBTaskResult

    # given the mail server refuses, an email is queued: a task row waits, nothing is sent yet
    mailbox.refuse_with = REFUSE
    email = email_queue(
        creator=creator,
        kind="receipt",
        to="zoe@example.com",
        subject="Receipt",
        text_body="Thanks",
        customer=customer,
        actor=Actor.system(),
        source="checkout",
    )
    assert DBTaskResult.objects.count() == 1
    assert mailbox.messages == []

    # when the worker runs, the attempt fails and a retry task is due at next_attempt_at
    run_worker()
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("queued", 1)
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after == email.next_attempt_at
    assert retry.args_kwargs == {"args": [email.pk], "kwargs": {}}

    # and running the worker again before then does nothing
    mailbox.refuse_with = None
    run_worker()
    assert DBTaskResult.objects.get(pk=retry.pk).status == "READY"
    assert mailbox.messages == []

    # when the time has come (moved back instead of waiting), the worker sends it
    due = clock.now() - dt.timedelta(seconds=1)
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=due)
    OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=due)
    run_worker()
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 2)
    assert DBTaskResult.objects.get(pk=retry.pk).status == "SUCCESSFUL"
    assert len(mailbox.messages) == 1


def test_a_request_only_queues_and_the_worker_sends(database_tasks, client, customer, course, mailbox):
    from django_tasks_db.models import DBTaskResult

    # when a student asks for a reset link
    response = client.post(f"/c/{course.slug}/password-reset/", {"email": customer.email})

    # then the request answered with the email still queued, its task waiting for the worker
    assert response.status_code == 200
    assert mailbox.messages == []
    assert OutboundEmail.objects.get().status == "queued"
    assert DBTaskResult.objects.get().status == "READY"

    # and the worker delivers it
    run_worker()
    assert OutboundEmail.objects.get().status == "sent"
    assert [m["To"] for m in mailbox.messages] == ["zoe@example.com"]
