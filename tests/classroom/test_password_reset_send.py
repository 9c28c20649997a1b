"""password_reset_send: a hashed single-use token, 24 hours, the email queued, the request audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import PasswordResetToken
from coursedesk.mail.models import OutboundEmail
from coursedesk.usecases.password_reset import password_reset_send
from tests.factories import make_course, make_customer, make_enrolment

LINK = re.compile(r"http://[^\s\"<]+/c/watercolor/password-reset/([A-Za-z0-9_-]+)/")


def test_creates_hashed_token_and_queues_email(customer, course, enrolment, creator, frozen_now, mailbox):
    # when the creator asks for a reset link for the customer
    email = password_reset_send(customer=customer, course=course, actor=Actor.creator(creator), source="desk")

    # then one token exists, stored only as the hash of the emailed token, valid 24 hours
    email.refresh_from_db()
    token = LINK.search(mailbox.text(mailbox.messages[0])).group(1)
    reset = PasswordResetToken.objects.get()
    assert reset.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in reset.token_hash
    assert (reset.customer, reset.course, reset.used_at) == (customer, course, None)
    assert reset.expires_at == frozen_now + dt.timedelta(hours=24)
    # and the email is an outbox row of kind password_reset, sent
    assert (email.kind, email.to, email.status, email.customer, email.course) == (
        "password_reset",
        "zoe@example.com",
        "sent",
        customer,
        course,
    )
    assert email.subject == "Set a new password for Watercolor Foundations"
    # and the request is audited, without the token
    event = AuditEvent.objects.get(type="customer.password_reset_requested")
    assert (event.customer, event.actor_kind, event.actor_label, event.source) == (
        customer,
        "creator",
        "maya@example.com",
        "desk",
    )
    assert event.data["course"] == "Watercolor Foundations"
    assert event.data["to"] == "zoe@example.com"
    assert token not in str(event.data)


def test_sent_email_keeps_no_usable_link_in_the_outbox(customer, course, enrolment, creator, mailbox):
    # when the reset email has been delivered
    email = password_reset_send(customer=customer, course=course, actor=Actor.creator(creator), source="desk")

    # then the stored copy no longer holds the token
    token = LINK.search(mailbox.text(mailbox.messages[0])).group(1)
    email.refresh_from_db()
    assert token not in email.text_body
    assert token not in email.html_body
    assert "/c/watercolor/password-reset/" in email.text_body


def test_refused_for_another_creators_course(customer, other_creator, mailbox):
    # given a course of another creator
    foreign = make_course(other_creator, slug="foreign")

    # when a reset is asked for it, it is refused
    with pytest.raises(DomainError):
        password_reset_send(customer=customer, course=foreign, actor=Actor.system(), source="desk")

    # and nothing changed, nothing was sent, nothing audited
    assert PasswordResetToken.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
    assert mailbox.messages == []
    assert not AuditEvent.objects.filter(type="customer.password_reset_requested").exists()


def test_a_creator_sends_it_only_for_an_enrolled_course(customer, course, creator, mailbox):
    # given a customer of the creator with no enrolment in the course
    # when the creator asks for a reset link for that course, it is refused
    with pytest.raises(DomainError) as refused:
        password_reset_send(customer=customer, course=course, actor=Actor.creator(creator), source="api")

    # and nothing changed, nothing was sent, nothing audited
    assert refused.value.code == "not_enrolled"
    assert PasswordResetToken.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
    assert mailbox.messages == []
    assert not AuditEvent.objects.filter(type="customer.password_reset_requested").exists()


def test_a_student_asking_on_a_course_page_needs_no_enrolment_in_it(customer, course, mailbox):
    # given a customer of the creator with no enrolment in the course (the sign-in page lets them in)
    # when they ask for a link on that course's reset page, it is sent
    password_reset_send(customer=customer, course=course, actor=Actor.customer(customer), source="student")

    assert PasswordResetToken.objects.get().customer == customer
    assert len(mailbox.messages) == 1


def test_refused_for_an_erased_customer(creator, course, mailbox, frozen_now):
    gone = make_customer(creator, erased_at=frozen_now)
    make_enrolment(gone, course)

    with pytest.raises(DomainError) as refused:
        password_reset_send(customer=gone, course=course, actor=Actor.creator(creator), source="desk")

    assert refused.value.code == "customer_erased"

    assert PasswordResetToken.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
    assert mailbox.messages == []
