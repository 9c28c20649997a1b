"""Password reset as a student does it: the form, the email on a real SMTP server, the link."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.classroom.auth import COOKIE_NAME
from coursedesk.core import clock
from coursedesk.customers.models import PasswordResetToken
from coursedesk.mail.models import OutboundEmail
from coursedesk.usecases.password_reset import password_reset_send
from tests.classroom.conftest import sign_in
from tests.factories import TEST_PASSWORD, make_course, make_customer

LINK = re.compile(r"http://[^\s\"<]+(/c/watercolor/password-reset/[A-Za-z0-9_-]+/)")
NEW_PASSWORD = "a brand new passphrase"
CSRF = re.compile(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"')


def request_link(client, email):
    return client.post("/c/watercolor/password-reset/", {"email": email})


def emailed_path(mailbox, message=None):
    message = message or mailbox.messages[-1]
    return LINK.search(mailbox.text(message)).group(1)


def set_password(client, path, password=NEW_PASSWORD, again=None):
    return client.post(path, {"password": password, "password_again": again or password})


def test_the_whole_reset(client, customer, course, enrolment, mailbox, frozen_now):
    # when the student asks for a link
    response = request_link(client, "Zoe@Example.com")

    # then the page says to look in spam, and one email arrives with both parts and a working link
    assert response.status_code == 200
    assert "spam" in response.content.decode()
    [message] = mailbox.messages
    assert message["To"] == "zoe@example.com"
    assert message["Subject"] == "Set a new password for Watercolor Foundations"
    assert message["From"] == "Maya Studio <no-reply@coursedesk.test>"
    assert message["Reply-To"] == "help@example.com"
    text, html = mailbox.text(message), mailbox.html(message)
    path = emailed_path(mailbox)
    assert "Hello Zoë," in text
    assert "24 hours" in text
    assert f'href="{LINK.search(text).group(0)}"' in html
    assert OutboundEmail.objects.get().status == "sent"

    # when the student opens the link and sets a new password
    form = client.get(path)
    assert form.status_code == 200
    assert "zoe@example.com" in form.content.decode()
    done = set_password(client, path)

    # then they are signed in and see their lessons
    assert done.status_code == 302
    assert done["Location"] == "/c/watercolor/"
    course_page = client.get("/c/watercolor/").content.decode()
    assert "Your new password is set and you are signed in." in course_page
    assert "First lesson" in course_page
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)
    assert not customer.check_password(TEST_PASSWORD)
    assert customer.last_login_at == frozen_now
    assert PasswordResetToken.objects.get().used_at == frozen_now
    events = AuditEvent.objects.filter(customer=customer).order_by("pk")
    assert list(events.values_list("type", flat=True)) == [
        "email.queued",
        "customer.password_reset_requested",
        "email.sent",
        "customer.password_reset",
        "customer.signed_in",
    ]

    # and the old password no longer signs in, the new one does
    client.post("/c/watercolor/logout/")
    assert sign_in(client, course, customer.email, TEST_PASSWORD).status_code == 400
    assert sign_in(client, course, customer.email, NEW_PASSWORD).status_code == 302


def test_unknown_address_gets_the_same_answer_and_no_email(client, customer, course, mailbox):
    known = request_link(client, "zoe@example.com")
    unknown = request_link(client, "nobody@example.com")

    def normalised(response, email):
        return CSRF.sub("CSRF", response.content.decode().replace(email, "EMAIL"))

    assert known.status_code == unknown.status_code == 200
    assert normalised(known, "zoe@example.com") == normalised(unknown, "nobody@example.com")
    assert [m["To"] for m in mailbox.messages] == ["zoe@example.com"]
    assert OutboundEmail.objects.count() == 1
    assert PasswordResetToken.objects.count() == 1


def test_a_customer_of_another_creator_gets_no_link_here(client, course, other_creator, mailbox):
    make_customer(other_creator, email="someone@example.com")

    response = request_link(client, "someone@example.com")

    assert response.status_code == 200
    assert mailbox.messages == []
    assert PasswordResetToken.objects.count() == 0


@pytest.mark.parametrize(
    ("after", "works"),
    [(dt.timedelta(hours=23, minutes=59), True), (dt.timedelta(hours=24, minutes=1), False)],
)
def test_link_works_for_24_hours(client, customer, course, mailbox, frozen_now, after, works):
    request_link(client, customer.email)
    path = emailed_path(mailbox)

    clock.advance(after)

    response = client.get(path)
    if works:
        assert response.status_code == 200
        assert set_password(client, path).status_code == 302
    else:
        assert response.status_code == 410
        assert "This link has expired" in response.content.decode()
        assert 'href="/c/watercolor/password-reset/"' in response.content.decode()
        assert set_password(client, path).status_code == 410
        customer.refresh_from_db()
        assert customer.check_password(TEST_PASSWORD)


def test_a_link_works_once(client, customer, course, mailbox):
    request_link(client, customer.email)
    path = emailed_path(mailbox)
    set_password(client, path)

    again = set_password(client, path, "yet another passphrase")

    assert again.status_code == 410
    assert "already used" in again.content.decode()
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)


def test_setting_a_password_ends_other_links_and_sessions(client, customer, course, enrolment, mailbox):
    # given the student is signed in on another device and asked for two links
    from django.test import Client

    other_device = Client()
    sign_in(other_device, course, customer.email)
    assert "First lesson" in other_device.get("/c/watercolor/").content.decode()
    request_link(client, customer.email)
    request_link(client, customer.email)
    first, second = (emailed_path(mailbox, m) for m in mailbox.messages)

    # when a new password is set with the second link
    set_password(client, second)

    # then the first link is spent and the other device is signed out
    assert client.get(first).status_code == 410
    assert "First lesson" not in other_device.get("/c/watercolor/").content.decode()


def test_mismatched_or_weak_passwords_keep_the_link(client, customer, course, mailbox):
    request_link(client, customer.email)
    path = emailed_path(mailbox)

    mismatch = set_password(client, path, NEW_PASSWORD, "something else entirely")
    weak = set_password(client, path, "12345678")

    assert mismatch.status_code == 400
    assert "not the same" in mismatch.content.decode()
    assert weak.status_code == 400
    assert COOKIE_NAME not in weak.cookies
    assert PasswordResetToken.objects.get().used_at is None
    customer.refresh_from_db()
    assert customer.check_password(TEST_PASSWORD)
    assert set_password(client, path).status_code == 302


def test_a_link_belongs_to_its_course(client, customer, course, creator, mailbox):
    make_course(creator, slug="other-course")
    request_link(client, customer.email)
    token_path = emailed_path(mailbox)

    response = client.get(token_path.replace("/c/watercolor/", "/c/other-course/"))

    assert response.status_code == 410
    assert "not valid" in response.content.decode()


def test_made_up_link_is_refused(client, course, db):
    response = client.get("/c/watercolor/password-reset/" + "x" * 43 + "/")
    assert response.status_code == 410


def test_repeated_requests_stop_sending(client, customer, course, mailbox):
    for _ in range(8):
        assert request_link(client, customer.email).status_code == 200

    # At most three reset emails an hour go to one account, whoever asks.
    assert len(mailbox.messages) == 3


def test_creator_can_send_the_link_for_the_customer(client, customer, course, enrolment, creator, mailbox):
    password_reset_send(customer=customer, course=course, actor=Actor.creator(creator), source="desk")

    assert set_password(client, emailed_path(mailbox)).status_code == 302
