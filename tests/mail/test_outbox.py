"""The outbox: rows queued -> sent/failed, sent after commit by the task, retried with backoff."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import transaction

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.core import clock
from coursedesk.mail.models import OutboundEmail
from coursedesk.mail.services import email_queue, welcome_email_queue
from coursedesk.mail.tasks import MAX_ATTEMPTS, send_due_emails, send_outbound_email
from tests.factories import make_enrolment

REFUSE = "451 4.3.0 Mailbox temporarily unavailable"


def queue(creator, customer=None, **fields):
    fields.setdefault("subject", "Your receipt")
    fields.setdefault("text_body", "Thank you.")
    return email_queue(
        creator=creator,
        kind="receipt",
        to="zoe@example.com",
        customer=customer,
        actor=Actor.system(),
        source="checkout",
        **fields,
    )


def event_types():
    return list(AuditEvent.objects.order_by("pk").values_list("type", flat=True))


def test_sent_only_after_the_transaction_commits(creator, customer, mailbox):
    with transaction.atomic():
        email = queue(creator, customer)
        assert mailbox.messages == []
        assert OutboundEmail.objects.get().status == "queued"

    [message] = mailbox.messages
    assert message["Subject"] == "Your receipt"
    assert mailbox.html(message) == ""
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == ("sent", 1, "")
    assert event_types() == ["email.queued", "email.sent"]
    event = AuditEvent.objects.get(type="email.sent")
    assert (event.customer, event.actor_kind, event.source, event.data["kind"], event.data["to"]) == (
        customer,
        "system",
        "outbox",
        "receipt",
        "zoe@example.com",
    )


def test_nothing_is_sent_when_the_transaction_rolls_back(creator, customer, mailbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue(creator, customer)
        raise RuntimeError("the action failed")

    assert mailbox.messages == []
    assert OutboundEmail.objects.count() == 0
    assert event_types() == []


def test_welcome_email_has_both_parts_and_working_links(client, customer, course, mailbox):
    make_enrolment(customer, course)
    welcome_email_queue(customer=customer, course=course, actor=Actor.system(), source="checkout")

    [message] = mailbox.messages
    text, html = mailbox.text(message), mailbox.html(message)
    assert message["Subject"] == "Welcome to Watercolor Foundations"
    assert message["From"] == "Maya Studio <no-reply@coursedesk.test>"
    assert message["Reply-To"] == "help@example.com"
    assert text.startswith("Hi Zoë,\n\nWelcome to Watercolor Foundations!")
    assert "<p>Hi Zoë,</p>" in html
    for path in ("/c/watercolor/login/", "/c/watercolor/password-reset/"):
        assert path in text and f'{path}">' in html
        assert client.get(path).status_code == 200
    assert event_types() == ["email.queued", "email.sent"]


def test_a_failed_attempt_is_retried_after_the_backoff(creator, customer, mailbox, frozen_now):
    # given the mail server refuses for now
    mailbox.refuse_with = REFUSE
    email = queue(creator, customer)

    # then the row stays queued with the error and the time of the next try
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("queued", 1)
    assert "Mailbox temporarily unavailable" in email.last_error
    assert email.next_attempt_at == frozen_now + dt.timedelta(minutes=1)
    assert event_types() == ["email.queued"]

    # and nothing is tried before it is due
    mailbox.refuse_with = None
    assert send_due_emails() == {}
    assert send_outbound_email.call(email.pk) == "skipped"
    assert mailbox.messages == []

    # when the time comes, it is sent
    clock.advance(dt.timedelta(minutes=1))
    assert send_due_emails() == {"sent": 1}
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error, email.sent_at) == (
        "sent",
        2,
        "",
        frozen_now + dt.timedelta(minutes=1),
    )
    assert len(mailbox.messages) == 1
    assert event_types() == ["email.queued", "email.sent"]


def test_gives_up_after_the_last_attempt(creator, customer, mailbox, frozen_now):
    mailbox.refuse_with = REFUSE
    email = queue(creator, customer)
    waits = []
    for _ in range(MAX_ATTEMPTS - 1):
        email.refresh_from_db()
        waits.append(email.next_attempt_at - clock.now())
        clock.set_now(email.next_attempt_at)
        send_due_emails()

    email.refresh_from_db()
    assert waits == [dt.timedelta(minutes=m) for m in (1, 4, 16, 64)]
    assert (email.status, email.attempts, email.next_attempt_at) == ("failed", MAX_ATTEMPTS, None)
    assert event_types() == ["email.queued", "email.failed"]
    assert "Mailbox temporarily unavailable" in AuditEvent.objects.get(type="email.failed").data["error"]
    assert send_due_emails() == {}


def test_a_duplicate_task_never_sends_twice(creator, customer, mailbox):
    email = queue(creator, customer)

    assert send_outbound_email.call(email.pk) == "skipped"
    assert len(mailbox.messages) == 1


def test_command_sends_what_is_due(creator, customer, mailbox, settings, capsys):
    # given a row whose task was lost (the dummy backend never runs tasks)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    queue(creator, customer)
    assert mailbox.messages == []

    call_command("send_queued_emails")

    assert "1 sent" in capsys.readouterr().out
    assert len(mailbox.messages) == 1


def test_the_message_id_is_the_outbox_rows_on_every_attempt(creator, customer, mailbox):
    from coursedesk.mail.models import OutboundEmail as Outbox
    from coursedesk.mail.tasks import _message, send_outbound_email

    email = Outbox.objects.create(
        creator=creator, customer=customer, kind="welcome", to=customer.email, subject="Hi", text_body="Hello"
    )
    first, second = _message(email).message(), _message(email).message()
    assert first["Message-ID"] == second["Message-ID"] == f"<outbox-{email.pk}@coursedesk.test>"
    assert send_outbound_email.call(email.pk) == "sent"
    [message] = mailbox.messages
    assert message["Message-ID"] == f"<outbox-{email.pk}@coursedesk.test>"
