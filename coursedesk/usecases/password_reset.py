"""Sending a student the link to set a new password: the student's own request on a course's reset
page, and the creator's "Send password reset link" on the desk and through the API."""

from __future__ import annotations

from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor, audit_record
from coursedesk.audit.types import AuditEventType
from coursedesk.catalog.links import absolute, course_links
from coursedesk.core import clock
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import Customer
from coursedesk.customers.passwords import RESET_LINK_VALIDITY, password_reset_token_create
from coursedesk.customers.selectors import enrolment_required
from coursedesk.mail.models import OutboundEmail
from coursedesk.mail.services import email_queue


def password_reset_url(course, token: str) -> str:
    return absolute(
        reverse("classroom:password_reset_confirm", kwargs={"course_slug": course.slug, "token": token})
    )


def password_reset_send(*, customer: Customer, course, actor: Actor, source: str) -> OutboundEmail:
    """Creates a link valid for 24 hours and usable once, and queues the email that carries it.

    A creator sends it only for a course the customer is enrolled in (`not_enrolled` otherwise). A
    student asking on a course's reset page is answered like on its sign-in page, which lets in any
    customer of the course's creator. Earlier links stay valid until they expire or a new password
    is set through any of them.
    """
    if course.creator_id != customer.creator_id:
        raise DomainError("This customer does not belong to this course's creator.", code="wrong_creator")
    if actor.kind != AuditEvent.ActorKind.CUSTOMER:
        enrolment_required(customer=customer, course=course)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.erased_at is not None:
            raise DomainError("This customer was erased; no email can be sent.", code="customer_erased")
        reset, token = password_reset_token_create(customer=customer, course=course)
        context = {
            "customer": customer,
            "course": course,
            "creator_name": course.creator.name,
            "reset_url": password_reset_url(course, token),
            "new_link_url": course_links(course)["password_reset_url"],
            "hours": int(RESET_LINK_VALIDITY.total_seconds() // 3600),
        }
        email = email_queue(
            creator=course.creator,
            customer=customer,
            course=course,
            kind=OutboundEmail.Kind.PASSWORD_RESET,
            to=customer.email,
            subject=f"Set a new password for {course.title}".replace("\n", " "),
            text_body=render_to_string("mail/password_reset.txt", context),
            html_body=render_to_string("mail/password_reset.html", context),
            actor=actor,
            source=source,
        )
        audit_record(
            creator=course.creator,
            customer=customer,
            type=AuditEventType.CUSTOMER_PASSWORD_RESET_REQUESTED,
            actor=actor,
            source=source,
            subject=customer,
            data={
                "course": course.title,
                "to": customer.email,
                "expires_at": clock.iso(reset.expires_at),
                "email_id": email.pk,
            },
        )
    return email
