"""The welcome email editor: tenancy, saving with audit, preview with a real customer, test sends."""

from __future__ import annotations

from coursedesk.audit.models import AuditEvent
from coursedesk.catalog.models import DEFAULT_WELCOME_BODY, DEFAULT_WELCOME_SUBJECT
from coursedesk.mail.models import OutboundEmail
from tests.factories import make_course, make_customer, make_enrolment

BODY = "Hi {{ first_name }} {{ last_name }},\nstart at {{ login_url }}\n{{ creator_name }}"


def url(course, suffix=""):
    return f"/desk/courses/{course.pk}/welcome-email/{suffix}"


def test_needs_a_creator_session(client, course):
    response = client.get(url(course))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_another_creators_course_is_404(creator_client, other_creator):
    foreign = make_course(other_creator, slug="foreign")

    assert creator_client.get(url(foreign)).status_code == 404
    assert creator_client.post(url(foreign), {"subject": "x", "body": "y"}).status_code == 404
    assert creator_client.post(url(foreign, "preview/"), {"subject": "x", "body": "y"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.welcome_email_subject == DEFAULT_WELCOME_SUBJECT
    assert not AuditEvent.objects.exists()


def test_shows_the_saved_email_and_previews_with_the_latest_student(creator_client, course, customer):
    make_enrolment(customer, course)

    page = creator_client.get(url(course)).content.decode()

    assert "Welcome to {{ course_title }}" in page  # the editable text
    assert "Welcome to Watercolor Foundations" in page  # the preview
    assert "Hi Zoë," in page
    assert "{{ password_reset_url }}" in page  # the placeholder list


def test_save_updates_the_course_and_audits_old_and_new(creator_client, course, creator):
    response = creator_client.post(
        url(course),
        {
            "action": "save",
            "subject": "Hello {{ first_name }}",
            "body": BODY + "\r\n",
        },
    )

    assert response.status_code == 302
    course.refresh_from_db()
    assert course.welcome_email_subject == "Hello {{ first_name }}"
    assert course.welcome_email_body == BODY
    event = AuditEvent.objects.get()
    assert (event.type, event.creator, event.customer, event.actor_kind, event.source) == (
        "course.welcome_email_updated",
        creator,
        None,
        "creator",
        "desk",
    )
    assert event.data["welcome_email_subject"] == {
        "old": DEFAULT_WELCOME_SUBJECT,
        "new": "Hello {{ first_name }}",
    }
    assert event.data["welcome_email_body"] == {"old": DEFAULT_WELCOME_BODY, "new": BODY}


def test_saving_the_same_text_writes_no_event(creator_client, course):
    creator_client.post(
        url(course),
        {
            "action": "save",
            "subject": DEFAULT_WELCOME_SUBJECT,
            "body": DEFAULT_WELCOME_BODY,
        },
    )
    assert not AuditEvent.objects.exists()


def test_refuses_empty_subject_and_unknown_placeholders(creator_client, course):
    empty = creator_client.post(url(course), {"action": "save", "subject": " ", "body": BODY})
    typo = creator_client.post(
        url(course),
        {
            "action": "save",
            "subject": "Hi",
            "body": "Hi {{ frist_name }}",
        },
    )

    assert empty.status_code == 422
    assert "The subject cannot be empty." in empty.content.decode()
    assert typo.status_code == 422
    assert "Unknown placeholder: {{ frist_name }}" in typo.content.decode()
    assert "Hi {{ frist_name }}" in typo.content.decode()  # the draft is kept in the form
    course.refresh_from_db()
    assert course.welcome_email_subject == DEFAULT_WELCOME_SUBJECT
    assert not AuditEvent.objects.exists()


def test_preview_of_a_draft_with_a_chosen_customer(creator_client, course, creator):
    other = make_customer(creator, first_name="Ada", last_name="<b>Lovelace</b>")
    make_enrolment(other, course)

    response = creator_client.post(
        url(course, "preview/"),
        {
            "subject": "For {{ first_name }}",
            "body": BODY,
            "customer": other.pk,
        },
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "For Ada" in text
    assert "Hi Ada &lt;b&gt;Lovelace&lt;/b&gt;," in text
    assert "<b>Lovelace</b>" not in text
    course.refresh_from_db()
    assert course.welcome_email_body == DEFAULT_WELCOME_BODY  # a preview saves nothing


def test_preview_refuses_another_creators_customer(creator_client, course, other_creator):
    stranger = make_customer(other_creator, first_name="Stranger")

    response = creator_client.post(
        url(course, "preview/"),
        {
            "subject": "s",
            "body": "b",
            "customer": stranger.pk,
        },
    )

    assert response.status_code == 404


def test_preview_without_students_uses_sample_data(creator_client, course):
    assert "Hi Alex," in creator_client.get(url(course)).content.decode()


def test_send_a_test_to_yourself(creator_client, course, creator, customer, mailbox):
    make_enrolment(customer, course)

    response = creator_client.post(
        url(course),
        {
            "action": "test",
            "subject": "Hi {{ first_name }}",
            "body": BODY,
            "customer": customer.pk,
        },
    )

    assert response.status_code == 200
    assert "A test email is on its way to maya@example.com." in response.content.decode()
    [message] = mailbox.messages
    assert message["To"] == "maya@example.com"
    assert message["Subject"] == "[Test] Hi Zoë"
    assert "Hi Zoë Okafor," in mailbox.text(message)
    email = OutboundEmail.objects.get()
    assert (email.kind, email.status, email.customer) == ("test", "sent", None)
    course.refresh_from_db()
    assert course.welcome_email_body == DEFAULT_WELCOME_BODY  # testing a draft does not save it
    events = AuditEvent.objects.values_list("type", flat=True).order_by("pk")
    assert list(events) == ["email.queued", "email.sent"]


def test_preview_button_works_without_javascript(creator_client, course):
    response = creator_client.post(
        url(course),
        {
            "action": "preview",
            "subject": "Draft for {{ first_name }}",
            "body": "Draft body",
        },
    )

    assert response.status_code == 200
    assert "Draft for Alex" in response.content.decode()
    course.refresh_from_db()
    assert course.welcome_email_subject == DEFAULT_WELCOME_SUBJECT
    assert not AuditEvent.objects.exists()
