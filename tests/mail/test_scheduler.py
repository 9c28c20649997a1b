import datetime as dt
from io import StringIO

from django.core import mail
from django.core.management import call_command

from coursedesk.core import clock
from coursedesk.mail.models import OutboundEmail


def queued(creator, customer, *, minutes_ago: int) -> OutboundEmail:
    return OutboundEmail.objects.create(
        creator=creator,
        customer=customer,
        kind="welcome",
        to=customer.email,
        subject="Welcome",
        text_body="Hello",
        created_at=clock.now() - dt.timedelta(minutes=minutes_ago),
    )


def test_the_scheduler_sends_a_lost_email_and_leaves_a_fresh_one_to_the_worker(
    creator, customer, frozen_now, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    lost = queued(creator, customer, minutes_ago=30)
    fresh = queued(creator, customer, minutes_ago=1)

    out = StringIO()
    call_command("run_scheduler", "--once", stdout=out)

    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert (lost.status, fresh.status) == ("sent", "queued")
    assert [message.to for message in mail.outbox] == [[customer.email]]
    assert "Overdue emails: {'sent': 1}." in out.getvalue()
