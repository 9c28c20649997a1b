"""Email delivery tracking: providers' signed tracking webhooks, received and verified by
django-anymail, move outbox rows to delivered, opened, bounced or complained; a hard bounce or a
complaint suppresses the address, and later emails to it are stored as suppressed, not sent.

Each provider's payload is the one its documentation shows, signed as the provider signs it:
Postmark with basic auth, SendGrid with its ECDSA event-webhook signature, Mailgun with its HMAC.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.mail.models import EmailSuppression, OutboundEmail
from coursedesk.mail.services import email_queue, email_suppression_clear

WEBHOOK_SECRET = "tracking:correct-horse-battery"


def basic_auth(credentials: str = WEBHOOK_SECRET) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()}


def queue(creator, customer, subject="Your receipt"):
    return email_queue(
        creator=creator,
        customer=customer,
        kind="receipt",
        to=customer.email,
        subject=subject,
        text_body="Thank you.",
        actor=Actor.system(),
        source="checkout",
    )


def sent(creator, customer, on_commit, subject="Your receipt") -> OutboundEmail:
    with on_commit(execute=True):
        email = queue(creator, customer, subject)
    email.refresh_from_db()
    assert email.status == "sent"
    return email


def timeline(customer):
    return list(AuditEvent.objects.filter(customer=customer).order_by("pk").values_list("type", flat=True))


@pytest.fixture
def postmark(settings, email_provider):
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {
        "POSTMARK_SERVER_TOKEN": "server-token",
        "POSTMARK_API_URL": email_provider.base_url,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
    }
    return email_provider


def postmark_bounce(email: OutboundEmail, **fields) -> dict:
    """Postmark's bounce webhook, as in its documentation (Webhooks → Bounce webhook)."""
    return {
        "RecordType": "Bounce",
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": "receipt",
        "MessageID": email.provider_message_id,
        "Metadata": {"coursedesk_email_id": str(email.pk)},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email.to,
        "From": "no-reply@coursedesk.test",
        "BouncedAt": "2026-11-21T10:05:00.0000000Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": email.subject,
        **fields,
    }


def post_postmark(client, payload, credentials=WEBHOOK_SECRET):
    return client.post(
        "/anymail/postmark/tracking/",
        data=json.dumps(payload),
        content_type="application/json",
        **basic_auth(credentials),
    )


def test_postmark_hard_bounce_suppresses_the_address(
    client, creator, customer, postmark, django_capture_on_commit_callbacks
):
    # given an email sent through Postmark, which gave it a message id
    email = sent(creator, customer, django_capture_on_commit_callbacks)
    assert email.provider_message_id == postmark.message_ids[0]
    assert postmark.received[0]["body"]["Metadata"] == {"coursedesk_email_id": str(email.pk)}

    # when Postmark reports a hard bounce (found by its message id alone)
    payload = postmark_bounce(email, Metadata={})
    response = post_postmark(client, payload)

    # then the email is bounced with Postmark's reason, and the address is suppressed
    assert response.status_code == 200
    email.refresh_from_db()
    assert email.status == "bounced"
    assert email.delivery_detail == (
        "The server was unable to deliver your message (ex: unknown user, mailbox not found). "
        "smtp;550 5.1.1 The email account that you tried to reach does not exist."
    )
    suppression = EmailSuppression.objects.get()
    assert (suppression.creator, suppression.address, suppression.reason, suppression.email) == (
        creator,
        "zoe@example.com",
        "bounced",
        email,
    )
    bounce = AuditEvent.objects.get(type="email.bounced")
    assert (bounce.customer, bounce.source, bounce.actor_kind) == (customer, "email_provider", "system")
    assert bounce.data == {
        "kind": "receipt",
        "to": "zoe@example.com",
        "subject": "Your receipt",
        "provider": "Postmark",
        "reason": email.delivery_detail,
        "permanent": True,
        "suppressed": True,
    }

    # and the next email to the address is stored as suppressed, not sent
    postmark.received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        later = queue(creator, customer, subject="Your refund")
    later.refresh_from_db()
    assert later.status == "suppressed"
    assert later.attempts == 0
    assert later.last_error.startswith("Not sent: an email to zoe@example.com bounced on 2026-")
    assert postmark.received == []
    assert timeline(customer) == ["email.queued", "email.sent", "email.bounced", "email.suppressed"]
    assert AuditEvent.objects.get(type="email.suppressed").data["reason"] == later.last_error


def test_postmark_report_without_the_webhook_secret_is_refused(
    client, creator, customer, postmark, django_capture_on_commit_callbacks
):
    email = sent(creator, customer, django_capture_on_commit_callbacks)

    response = post_postmark(client, postmark_bounce(email), credentials="tracking:guess")

    assert response.status_code == 400
    email.refresh_from_db()
    assert email.status == "sent"
    assert EmailSuppression.objects.count() == 0
    assert timeline(customer) == ["email.queued", "email.sent"]


def test_tracking_webhooks_refuse_to_run_without_any_secret(
    client, creator, customer, postmark, settings, django_capture_on_commit_callbacks
):
    email = sent(creator, customer, django_capture_on_commit_callbacks)
    settings.ANYMAIL = {key: value for key, value in settings.ANYMAIL.items() if key != "WEBHOOK_SECRET"}

    response = client.post(
        "/anymail/postmark/tracking/",
        data=json.dumps(postmark_bounce(email)),
        content_type="application/json",
    )

    assert response.status_code == 503
    email.refresh_from_db()
    assert email.status == "sent"
    assert EmailSuppression.objects.count() == 0


def test_postmark_soft_bounce_is_shown_but_does_not_suppress(
    client, creator, customer, postmark, django_capture_on_commit_callbacks
):
    email = sent(creator, customer, django_capture_on_commit_callbacks)

    post_postmark(client, postmark_bounce(email, Type="SoftBounce", TypeCode=4096, Name="Soft bounce"))

    email.refresh_from_db()
    assert email.status == "bounced"
    assert EmailSuppression.objects.count() == 0
    assert AuditEvent.objects.get(type="email.bounced").data["suppressed"] is False


def test_postmark_delivery_and_open_move_forward_never_back(
    client, creator, customer, postmark, django_capture_on_commit_callbacks
):
    email = sent(creator, customer, django_capture_on_commit_callbacks)
    delivery = {  # Postmark's delivery webhook
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": email.provider_message_id,
        "Recipient": email.to,
        "Tag": "receipt",
        "DeliveredAt": "2026-11-21T10:01:00Z",
        "Details": "Test delivery webhook details",
        "Metadata": {"coursedesk_email_id": str(email.pk)},
    }
    opened = {  # Postmark's open webhook
        "RecordType": "Open",
        "MessageStream": "outbound",
        "FirstOpen": True,
        "Client": {"Name": "Chrome 35.0.1916.153", "Company": "Google", "Family": "Chrome"},
        "OS": {"Name": "OS X 10.7 Lion", "Company": "Apple Computer, Inc.", "Family": "OS X 10"},
        "Platform": "WebMail",
        "UserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_7_5)",
        "ReadSeconds": 5,
        "Geo": {},
        "MessageID": email.provider_message_id,
        "Metadata": {"coursedesk_email_id": str(email.pk)},
        "ReceivedAt": "2026-11-21T10:02:00Z",
        "Tag": "receipt",
        "Recipient": email.to,
    }

    post_postmark(client, opened)
    email.refresh_from_db()
    assert email.status == "opened"
    post_postmark(client, delivery)  # arrives late: the email stays opened
    email.refresh_from_db()
    assert email.status == "opened"
    assert EmailSuppression.objects.count() == 0
    assert timeline(customer) == ["email.queued", "email.sent"]


def test_postmark_spam_complaint_suppresses(
    client, creator, customer, postmark, django_capture_on_commit_callbacks
):
    email = sent(creator, customer, django_capture_on_commit_callbacks)
    complaint = postmark_bounce(
        email,
        RecordType="SpamComplaint",
        Type="SpamComplaint",
        TypeCode=512,
        Name="Spam complaint",
        Description="The subscriber explicitly marked this message as spam.",
        Details="Test spam complaint details",
    )

    post_postmark(client, complaint)

    email.refresh_from_db()
    assert email.status == "complained"
    assert EmailSuppression.objects.get().reason == "complained"
    assert timeline(customer) == ["email.queued", "email.sent", "email.complained"]


def test_a_report_about_another_address_changes_nothing(
    client, creator, customer, postmark, django_capture_on_commit_callbacks
):
    email = sent(creator, customer, django_capture_on_commit_callbacks)

    post_postmark(client, postmark_bounce(email, Email="someone-else@example.com"))

    email.refresh_from_db()
    assert email.status == "sent"
    assert EmailSuppression.objects.count() == 0


# --- SendGrid: the signed event webhook ------------------------------------------------------------


@pytest.fixture
def sendgrid_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def sendgrid(settings, email_provider, sendgrid_key):
    public = sendgrid_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    settings.EMAIL_BACKEND = "anymail.backends.sendgrid.EmailBackend"
    settings.ANYMAIL = {
        "SENDGRID_API_KEY": "SG.test",
        "SENDGRID_API_URL": email_provider.base_url + "v3/",
        # SendGrid's "Signed Event Webhook": the verification key it shows, base64 DER.
        "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": base64.b64encode(public).decode(),
    }
    return email_provider


def post_sendgrid(client, events, key):
    body = json.dumps(events).encode()
    timestamp = str(int(time.time()))
    signature = key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return client.post(
        "/anymail/sendgrid/tracking/",
        data=body,
        content_type="application/json",
        HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE=base64.b64encode(signature).decode(),
        HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP=timestamp,
    )


def sent_custom_args(sent_request) -> dict:
    """The message's custom args and its recipient's (anymail_id), which SendGrid adds to events."""
    body = sent_request["body"]
    return {**body.get("custom_args", {}), **body["personalizations"][0]["custom_args"]}


def sendgrid_bounce(email, sent_request) -> dict:
    """SendGrid's bounce event (Event Webhook reference), with the custom args the email was sent
    with merged in as SendGrid does."""
    custom_args = sent_custom_args(sent_request)
    return {
        "email": email.to,
        "timestamp": 1763719569,
        "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
        "event": "bounce",
        "category": ["receipt"],
        "sg_event_id": "6g4ZI7SA-xmRDv57GoPIPw==",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        "reason": "500 unknown recipient",
        "status": "5.0.0",
        "type": "bounce",
        **custom_args,
    }


def test_sendgrid_signed_bounce_suppresses_the_address(
    client, creator, customer, sendgrid, sendgrid_key, django_capture_on_commit_callbacks
):
    email = sent(creator, customer, django_capture_on_commit_callbacks)
    [request] = sendgrid.received
    assert request["body"]["custom_args"] == {"coursedesk_email_id": str(email.pk)}

    response = post_sendgrid(client, [sendgrid_bounce(email, request)], sendgrid_key)

    assert response.status_code == 200
    email.refresh_from_db()
    assert (email.status, email.delivery_detail) == ("bounced", "500 unknown recipient")
    assert EmailSuppression.objects.get().address == "zoe@example.com"
    assert timeline(customer) == ["email.queued", "email.sent", "email.bounced"]


def test_sendgrid_report_with_a_forged_signature_is_refused(
    client, creator, customer, sendgrid, django_capture_on_commit_callbacks
):
    email = sent(creator, customer, django_capture_on_commit_callbacks)
    forger = ec.generate_private_key(ec.SECP256R1())

    response = post_sendgrid(client, [sendgrid_bounce(email, sendgrid.received[0])], forger)

    assert response.status_code == 400
    email.refresh_from_db()
    assert email.status == "sent"
    assert EmailSuppression.objects.count() == 0


def test_sendgrid_delivered_then_spam_report(
    client, creator, customer, sendgrid, sendgrid_key, django_capture_on_commit_callbacks
):
    email = sent(creator, customer, django_capture_on_commit_callbacks)
    custom_args = sent_custom_args(sendgrid.received[0])
    delivered = {
        "email": email.to,
        "timestamp": 1763719569,
        "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
        "event": "delivered",
        "category": ["receipt"],
        "sg_event_id": "rWVYmVk90MjZJ9iohOBa3w==",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        "response": "250 OK",
        **custom_args,
    }
    spam = {
        "email": email.to,
        "timestamp": 1763719600,
        "event": "spamreport",
        "sg_event_id": "37nvH5QBz858KGVYCM4uOA==",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        **custom_args,
    }

    post_sendgrid(client, [delivered], sendgrid_key)
    email.refresh_from_db()
    assert (email.status, email.delivery_detail) == ("delivered", "250 OK")

    post_sendgrid(client, [spam], sendgrid_key)
    email.refresh_from_db()
    assert email.status == "complained"
    assert EmailSuppression.objects.get().reason == "complained"


# --- Mailgun: HMAC-signed webhooks ------------------------------------------------------------------


def test_mailgun_signed_permanent_failure_suppresses(
    client, creator, customer, settings, django_capture_on_commit_callbacks
):
    settings.ANYMAIL = {"MAILGUN_API_KEY": "key-test", "MAILGUN_WEBHOOK_SIGNING_KEY": "signing-key"}
    email = sent(creator, customer, django_capture_on_commit_callbacks)  # through SMTP: no provider id
    timestamp, token = str(int(time.time())), "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"
    payload = {  # Mailgun's "failed" (permanent) event, webhooks documentation
        "signature": {
            "timestamp": timestamp,
            "token": token,
            "signature": hmac.new(b"signing-key", f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest(),
        },
        "event-data": {
            "event": "failed",
            "id": "G9Bn5sl1TC6nu79C8C0bwg",
            "timestamp": float(timestamp),
            "severity": "permanent",
            "reason": "bounce",
            "recipient": email.to,
            "log-level": "error",
            "delivery-status": {
                "code": 550,
                "message": "5.1.1 The email account that you tried to reach does not exist.",
                "description": "Not delivered",
            },
            "message": {"headers": {"message-id": "20130503182626.18666.16540@example.com"}},
            "user-variables": {"coursedesk_email_id": str(email.pk)},
        },
    }

    response = client.post(
        "/anymail/mailgun/tracking/", data=json.dumps(payload), content_type="application/json"
    )

    assert response.status_code == 200
    email.refresh_from_db()
    assert email.status == "bounced"
    assert EmailSuppression.objects.get().address == "zoe@example.com"


# --- Try again -------------------------------------------------------------------------------------


def test_try_again_clears_the_suppression_and_is_audited(
    creator, customer, postmark, client, django_capture_on_commit_callbacks
):
    email = sent(creator, customer, django_capture_on_commit_callbacks)
    post_postmark(client, postmark_bounce(email))
    postmark.received.clear()

    cleared = email_suppression_clear(
        creator=creator,
        address="ZOE@example.com",
        customer=customer,
        actor=Actor.creator(creator),
        source="desk",
    )

    assert cleared is True
    suppression = EmailSuppression.objects.get()
    assert (suppression.cleared_by, suppression.cleared_at is not None) == ("maya@example.com", True)
    event = AuditEvent.objects.get(type="email.suppression_cleared")
    assert (event.customer, event.actor_label, event.source, event.data["to"]) == (
        customer,
        "maya@example.com",
        "desk",
        "zoe@example.com",
    )
    later = sent(creator, customer, django_capture_on_commit_callbacks, subject="Your refund")
    assert later.status == "sent"
    assert len(postmark.received) == 1
    # clearing again changes nothing
    assert (
        email_suppression_clear(creator=creator, address=email.to, actor=Actor.system(), source="desk")
        is False
    )


def test_suppression_belongs_to_one_creator(
    creator, other_creator, customer, postmark, client, django_capture_on_commit_callbacks
):
    from tests.factories import make_customer

    email = sent(creator, customer, django_capture_on_commit_callbacks)
    post_postmark(client, postmark_bounce(email))
    namesake = make_customer(other_creator, email="zoe@example.com")

    elsewhere = sent(other_creator, namesake, django_capture_on_commit_callbacks)

    assert elsewhere.status == "sent"
