"""Shapes of the API (API.md "Shapes"), each declared once: routes return model instances (or the
profile's lists) and `response=` serialises them through these schemas. The shapes of the objects
themselves live in integrations.shapes, because public events carry them too."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Schema

from coursedesk.audit.describe import event_sentence
from coursedesk.billing.selectors import payments_with_refund_amounts
from coursedesk.catalog.lessons import course_outline
from coursedesk.catalog.links import absolute, checkout_url, sales_url
from coursedesk.integrations.shapes import (  # noqa: F401  (the API's shapes, imported from here)
    CustomerOut,
    EmailOut,
    EnrolmentOut,
    Id,
    PaymentOut,
    RefundOut,
    SubscriptionOut,
)


class ErrorDetail(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorDetail


class CustomerProfileOut(CustomerOut):
    enrolments: list[EnrolmentOut]
    payments: list[PaymentOut]
    subscriptions: list[SubscriptionOut]
    emails: list[EmailOut]


class ActorOut(Schema):
    kind: str
    label: str


class EventOut(Schema):
    id: Id
    type: str
    occurred_at: dt.datetime
    actor: ActorOut
    source: str
    customer_id: Id | None
    summary: str
    data: dict[str, Any]

    @staticmethod
    def resolve_actor(event) -> dict:
        return {"kind": event.actor_kind, "label": event.actor_label}

    @staticmethod
    def resolve_summary(event) -> str:
        return event_sentence(event)


class CustomerList(Schema):
    results: list[CustomerOut]
    next: str | None


class NoteOut(Schema):
    id: Id
    body: str
    author: str
    created_at: dt.datetime

    @staticmethod
    def resolve_author(note) -> str:
        return note.author_label


class NoteList(Schema):
    results: list[NoteOut]
    next: str | None


class EventList(Schema):
    results: list[EventOut]
    next: str | None


# --- Finding the creator's objects by their string id ---------------------------------------------


def owned(queryset, object_id: str):
    """The object with this id among the creator's; anything else (foreign, missing, not a number)
    is the same 404."""
    # isdigit() alone accepts "¹8" or Arabic-Indic digits, which int() refuses.
    if not (object_id.isascii() and object_id.isdigit()):
        raise Http404
    return get_object_or_404(queryset, pk=int(object_id))


def payment_with_refunds(queryset, object_id: str):
    return owned(payments_with_refund_amounts(queryset), object_id)


# --- The studio: courses with their outline, lessons, payment pages, coupons ---------------------


class LessonSummary(Schema):  # a lesson in its course's outline
    id: Id
    title: str
    position: int
    available_after_days: int | None
    free_preview: bool


class SectionOut(Schema):  # from an outline group (section or None, lessons); id null: no section
    id: Id | None
    title: str
    lessons: list[LessonSummary]


class CourseDetailOut(Schema):
    id: Id
    title: str
    slug: str
    description: str
    contact_email: str
    published: bool
    archived_at: dt.datetime | None
    thumbnail_url: str | None
    sales_url: str
    sections: list[SectionOut]

    @staticmethod
    def resolve_thumbnail_url(course) -> str | None:
        return absolute(course.thumbnail.url) if course.thumbnail else None

    @staticmethod
    def resolve_sales_url(course) -> str:
        return sales_url(course)

    @staticmethod
    def resolve_sections(course) -> list[dict]:
        return [
            {
                "id": section.pk if section else None,
                "title": section.title if section else "",
                "lessons": lessons,
            }
            for section, lessons in course_outline(course=course)
        ]


class LessonOut(Schema):
    id: Id
    course_id: Id
    section_id: Id | None
    title: str
    position: int
    body_markdown: str
    video_url: str
    available_after_days: int | None
    free_preview: bool


class PaymentPageOut(Schema):
    id: Id
    course_id: Id
    name: str
    kind: str
    amount: int
    currency: str
    interval: str | None
    installments: int | None
    access_days: int | None
    trial_days: int | None
    active: bool
    checkout_url: str

    @staticmethod
    def resolve_interval(page) -> str | None:
        return page.interval or None

    @staticmethod
    def resolve_checkout_url(page) -> str:
        return checkout_url(page)


class PaymentPageList(Schema):
    results: list[PaymentPageOut]
    next: str | None


class CouponOut(Schema):
    id: Id
    code: str
    percent_off: int | None
    amount_off: int | None
    currency: str | None
    duration: str
    expires_at: dt.datetime | None
    max_redemptions: int | None
    times_redeemed: int
    payment_page_ids: list[Id]
    active: bool

    @staticmethod
    def resolve_currency(coupon) -> str | None:
        return coupon.currency or None

    @staticmethod
    def resolve_payment_page_ids(coupon) -> list[str]:
        return [str(pk) for pk in sorted(page.pk for page in coupon.payment_pages.all())]


class CouponList(Schema):
    results: list[CouponOut]
    next: str | None


class QuoteOut(Schema):
    amount: int
    discount: int
    currency: str
