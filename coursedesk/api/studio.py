"""The studio's objects that live under their own id: lessons, payment pages and coupons."""

from __future__ import annotations

from typing import Annotated, Literal

from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from coursedesk.api.fields import Flag, Moment, Number, Text, model_text
from coursedesk.api.pagination import reject_unknown_parameters
from coursedesk.api.schemas import (
    CouponList,
    CouponOut,
    ErrorOut,
    Id,
    LessonOut,
    PaymentPageOut,
    QuoteOut,
    owned,
)
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.catalog.coupons import (
    AMOUNT_MAX,
    CODE_MAX,
    CODE_PATTERN,
    REDEMPTIONS_MAX,
    coupon_create,
    coupon_quote,
    coupon_update,
)
from coursedesk.catalog.lessons import BODY_MAX, lesson_delete, lesson_update
from coursedesk.catalog.models import Coupon, Lesson, PaymentPage
from coursedesk.catalog.payment_pages import payment_page_delete, payment_page_update

router = Router(tags=["studio"])
SOURCE = AuditSource.API


class LessonPatch(Schema):
    title: model_text(Lesson, "title") | None = None
    body_markdown: Text(BODY_MAX, multiline=True) | None = None
    video_url: model_text(Lesson, "video_url") | None = None
    section: Id | None = None
    position: Number | None = None
    available_after_days: Number | None = None
    free_preview: Flag | None = None


class PaymentPagePatch(Schema):
    name: model_text(PaymentPage, "name") | None = None
    active: Flag | None = None
    amount: Number | None = None


class CouponIn(Schema):
    code: Text(CODE_MAX, pattern=CODE_PATTERN)
    percent_off: Annotated[Number, Field(ge=1, le=99)] = None
    amount_off: Annotated[Number, Field(ge=1, le=AMOUNT_MAX)] = None
    currency: Text(3, pattern=r"^[A-Za-z]{3}$") = ""
    payment_page_ids: list[Id] | None = Field(None, max_length=200)
    max_redemptions: Annotated[Number, Field(ge=1, le=REDEMPTIONS_MAX)] | None = None
    expires_at: Moment | None = None
    duration: Literal["once", "forever"] = "once"

    # Either a percentage, or an amount with its currency: the schema says so, and the service
    # refuses anything else with a sentence.
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["percent_off"],
                    "not": {"anyOf": [{"required": ["amount_off"]}, {"required": ["currency"]}]},
                },
                {"required": ["amount_off", "currency"], "not": {"required": ["percent_off"]}},
            ]
        }
    )


class CouponPatch(Schema):
    active: Flag


def _lesson(request, lesson_id: str) -> Lesson:
    return owned(Lesson.objects.for_creator(request.auth).select_related("course"), lesson_id)


def _page(request, payment_page_id: str) -> PaymentPage:
    return owned(PaymentPage.objects.for_creator(request.auth).select_related("course"), payment_page_id)


@router.patch(
    "/lessons/{lesson_id}",
    response={200: LessonOut, 422: ErrorOut},
    summary="Change a lesson; `section` null takes it out of its section",
)
def lesson_patch(request, lesson_id: str, changes: LessonPatch):
    given = changes.model_dump(exclude_unset=True)
    if "section" in given:
        given["section_id"] = given.pop("section")
    # Null for a value that cannot be empty leaves it unchanged; drip days may be cleared with null.
    given = {
        field: value
        for field, value in given.items()
        if value is not None or field in ("section_id", "available_after_days")
    }
    return lesson_update(
        lesson=_lesson(request, lesson_id), actor=Actor.creator(request.auth), source=SOURCE, **given
    )


@router.delete(
    "/lessons/{lesson_id}", response={204: None}, summary="Delete a lesson, its files and progress"
)
def lesson_remove(request, lesson_id: str):
    lesson_delete(lesson=_lesson(request, lesson_id), actor=Actor.creator(request.auth), source=SOURCE)
    return Status(204, None)


@router.patch(
    "/payment-pages/{payment_page_id}",
    response={200: PaymentPageOut, 422: ErrorOut},
    summary="Rename, (de)activate or reprice a page; a new price is for new buyers only",
)
def payment_page_patch(request, payment_page_id: str, changes: PaymentPagePatch):
    return payment_page_update(
        page=_page(request, payment_page_id),
        actor=Actor.creator(request.auth),
        source=SOURCE,
        **changes.model_dump(exclude_unset=True, exclude_none=True),
    )


@router.delete(
    "/payment-pages/{payment_page_id}",
    response={204: None, 405: ErrorOut},
    summary="Delete a page nobody has bought through (else 405: deactivate it)",
)
def payment_page_remove(request, payment_page_id: str):
    payment_page_delete(
        page=_page(request, payment_page_id), actor=Actor.creator(request.auth), source=SOURCE
    )
    return Status(204, None)


@router.get(
    "/payment-pages/{payment_page_id}/quote",
    response={200: QuoteOut, 409: ErrorOut},
    summary="The page's price with a coupon code, or why the code does not apply",
)
def payment_page_quote(request, payment_page_id: str, coupon: Text(40) = ""):
    reject_unknown_parameters(request, "coupon")
    quote = coupon_quote(page=_page(request, payment_page_id), code=coupon)
    return {"amount": quote.amount, "discount": quote.discount, "currency": quote.currency}


@router.get("/coupons", response=CouponList, summary="The creator's coupons, newest first")
def coupon_list(request):
    reject_unknown_parameters(request)
    coupons = Coupon.objects.for_creator(request.auth).prefetch_related("payment_pages")
    return {"results": list(coupons), "next": None}


@router.post(
    "/coupons",
    response={201: CouponOut, 409: ErrorOut, 422: ErrorOut},
    summary="Add a coupon: a percentage or an amount off, for some payment pages or all",
)
def coupon_create_route(request, body: CouponIn):
    pages = [_page(request, page_id) for page_id in body.payment_page_ids or []]
    coupon = coupon_create(
        creator=request.auth,
        code=body.code,
        percent_off=body.percent_off,
        amount_off=body.amount_off,
        currency=body.currency,
        duration=body.duration,
        expires_at=body.expires_at,
        max_redemptions=body.max_redemptions,
        payment_pages=pages,
        actor=Actor.creator(request.auth),
        source=SOURCE,
    )
    return Status(201, coupon)


@router.patch(
    "/coupons/{coupon_id}",
    response={200: CouponOut, 422: ErrorOut},
    summary="Deactivate or activate a coupon",
)
def coupon_patch(request, coupon_id: str, changes: CouponPatch):
    coupon = owned(Coupon.objects.for_creator(request.auth), coupon_id)
    return coupon_update(
        coupon=coupon, active=changes.active, actor=Actor.creator(request.auth), source=SOURCE
    )
