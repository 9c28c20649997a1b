"""Two creators with one of everything each, to prove that neither can reach the other's data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import transaction

from coursedesk.accounts.models import ApiToken, Creator, Invitation, Membership
from coursedesk.audit.services import Actor, audit_record
from coursedesk.billing.models import Payment, Receipt, Refund, Subscription
from coursedesk.billing.receipts import receipt_issue
from coursedesk.catalog.models import Coupon, Course, Lesson, LessonFile, PaymentPage, Section
from coursedesk.customers.models import BulkAction, Customer, Enrolment
from coursedesk.integrations.models import PublicEvent, WebhookDelivery, WebhookEndpoint
from coursedesk.mail.models import OutboundEmail
from tests.factories import make_course, make_creator, make_customer, make_enrolment, make_page


@dataclass
class Tenant:
    """One creator's objects, each kind once."""

    creator: Creator
    token: str
    course: Course
    page: PaymentPage
    subscription_page: PaymentPage
    customer: Customer
    enrolment: Enrolment
    payment: Payment
    subscription: Subscription
    refund: Refund
    email: OutboundEmail
    api_token: ApiToken
    webhook_endpoint: WebhookEndpoint
    webhook_delivery: WebhookDelivery
    section: Section
    lesson: Lesson
    lesson_file: LessonFile
    membership: Membership
    invitation: Invitation
    coupon: Coupon
    receipt: Receipt
    bulk_action: BulkAction

    def url_values(self) -> dict[str, str]:
        """Values for every URL parameter name the routes use, pointing at this tenant's objects."""
        values = {
            "course_slug": self.course.slug,
            "slug": self.course.slug,
            "course_id": self.course.pk,
            "page_id": self.page.pk,
            "payment_page_id": self.page.pk,
            "customer_id": self.customer.pk,
            "enrolment_id": self.enrolment.pk,
            "payment_id": self.payment.pk,
            "subscription_id": self.subscription.pk,
            "refund_id": self.refund.pk,
            "email_id": self.email.pk,
            "token_id": self.api_token.pk,
            "webhook_endpoint_id": self.webhook_endpoint.pk,
            "webhook_delivery_id": self.webhook_delivery.pk,
            "endpoint_id": "we_unknown",
            "uidb64": "MQ",
            "token": "set-password",
            "position": 1,  # a lesson's place in its course
            "section_id": self.section.pk,
            "lesson_id": self.lesson.pk,
            "lesson_file_id": self.lesson_file.pk,
            "membership_id": self.membership.pk,
            "invitation_id": self.invitation.pk,
            "key": "inv_unknown",  # a team invitation's link
            "coupon_id": self.coupon.pk,
            "receipt_id": self.receipt.pk,
            "bulk_action_id": self.bulk_action.pk,
        }
        return {name: str(value) for name, value in values.items()}


def make_tenant(email: str, slug: str, name: str) -> Tenant:
    creator = make_creator(email=email, display_name=name)
    api_token, key = ApiToken.issue(creator=creator)
    course = make_course(creator, title=f"{name} course", slug=slug)
    page = make_page(course, "one_time", name="Lifetime access")
    subscription_page = make_page(course, "subscription", name="Monthly", interval="month")
    customer = make_customer(creator, email=f"student@{slug}.example", first_name="Ada", last_name="Lovelace")
    enrolment = make_enrolment(customer, course, payment_page=subscription_page, source="checkout")
    subscription = Subscription.objects.create(
        customer=customer,
        course=course,
        payment_page=subscription_page,
        amount=1900,
        currency="usd",
        interval="month",
        gateway="sandbox",
        gateway_subscription_id=f"sub_{slug}",
        next_payment_at=dt.datetime(2026, 12, 21, 10, tzinfo=dt.UTC),
        card_brand="visa",
        card_last4="4242",
    )
    payment = Payment.objects.create(
        customer=customer,
        course=course,
        payment_page=subscription_page,
        subscription=subscription,
        amount=1900,
        currency="usd",
        status="succeeded",
        gateway="sandbox",
        gateway_payment_id=f"pay_{slug}",
    )
    refund = Refund.objects.create(
        payment=payment, amount=100, currency="usd", status="succeeded", gateway_refund_id=f"re_{slug}"
    )
    with transaction.atomic():
        receipt = receipt_issue(payment=payment)
    email_row = OutboundEmail.objects.create(
        creator=creator,
        customer=customer,
        course=course,
        kind="welcome",
        to=customer.email,
        subject="Welcome",
        text_body="Hello",
        status="sent",
    )
    audit_record(
        creator=creator,
        customer=customer,
        type="customer.created",
        actor=Actor.creator(creator),
        source="desk",
        subject=customer,
        data={},
    )
    webhook_endpoint = WebhookEndpoint.objects.create(
        creator=creator,
        url=f"https://hooks.{slug}.example/in",
        events=["customer.created"],
        secret="whsec_" + "A" * 43,
    )
    webhook_delivery = WebhookDelivery.objects.create(
        endpoint=webhook_endpoint, event=PublicEvent.objects.filter(creator=creator).get(), status="succeeded"
    )
    section = Section.objects.create(course=course, title="Basics", position=1)
    lesson = course.lessons.get()
    lesson.section = section
    lesson.save()
    lesson_file = LessonFile.objects.create(
        lesson=lesson, file=f"lesson-files/{slug}/notes.pdf", name="notes.pdf", size=5
    )
    helper = make_creator(email=f"helper@{slug}.example")
    membership = Membership.objects.create(account=creator, person=helper, role="support")
    invitation = Invitation.objects.create(
        account=creator,
        email=f"invited@{slug}.example",
        role="viewer",
        key_hash=f"{slug:0<64}"[:64],
        expires_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    )
    coupon = Coupon.objects.create(creator=creator, code="SPRING", percent_off=10)
    bulk_action = BulkAction.objects.create(
        creator=creator,
        action="add_tag",
        params={"tag": "x"},
        actor_kind="creator",
        actor_label=creator.email,
        source="api",
    )
    return Tenant(
        bulk_action=bulk_action,
        creator=creator,
        token=key,
        course=course,
        page=page,
        subscription_page=subscription_page,
        customer=customer,
        enrolment=enrolment,
        payment=payment,
        subscription=subscription,
        refund=refund,
        email=email_row,
        api_token=api_token,
        webhook_endpoint=webhook_endpoint,
        webhook_delivery=webhook_delivery,
        section=section,
        lesson=lesson,
        lesson_file=lesson_file,
        membership=membership,
        invitation=invitation,
        coupon=coupon,
        receipt=receipt,
    )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Two creators and their customers per test: Argon2 would make this sweep slow, and what is
    # proven here does not depend on the hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


@pytest.fixture
def mine(db):
    return make_tenant("maya@example.com", "watercolor", "Maya Studio")


@pytest.fixture
def theirs(db):
    return make_tenant("rival@example.com", "rival-course", "Rival Academy")
