"""A real SMTP server (aiosmtpd) on loopback for tests that check delivered email.

`smtp_server` runs one server per test process; `mailbox` empties it and points Django's SMTP
backend at it for one test, so every email the code sends arrives there as parsed messages.
"""

from __future__ import annotations

import email
import email.policy
import socket
from email.message import EmailMessage

import pytest


def _free_port() -> int:
    # aiosmtpd 1.4.6 cannot bind port 0, so pick a free port first.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """What the SMTP server received, parsed. Appended before the server answers 250."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.envelopes: list[dict] = []
        self.refuse_with: str | None = None  # e.g. "451 Try again later" to make sending fail

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_with:
            return self.refuse_with
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.envelopes.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos)})
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        self.messages.clear()
        self.envelopes.clear()
        self.refuse_with = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["To"]]

    @staticmethod
    def text(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")

    @staticmethod
    def html(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("html",))
        if part is None or part.get_content_type() != "text/html":
            return ""
        return part.get_content().replace("\r\n", "\n")


@pytest.fixture(scope="session")
def smtp_server():
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    mailbox.port = port
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp_server, settings, transactional_db):
    """An empty mailbox for this test; Django sends through SMTP to it.

    Emails are sent by a task enqueued when the transaction commits, so tests using the mailbox run
    with real commits (transactional_db) and see the email as soon as the action returns.
    """
    smtp_server.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    yield smtp_server
    smtp_server.clear()
