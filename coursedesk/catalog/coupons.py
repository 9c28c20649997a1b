"""Coupons: codes a buyer types at checkout for a lower price.

A coupon takes a percentage or an amount off, may end on a date, may be used a limited number of
times and may be limited to some payment pages. On a subscription it lowers the first payment only
("once") or every payment ("forever"). The quote says what a code does to a page's price, or why it
does not apply; the redemption counts one use under the coupon's row lock, inside the checkout's
transaction, so a code with one use left sells once however many buyers race for it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from coursedesk.audit.services import Actor, audit_record, change
from coursedesk.audit.types import AuditEventType
from coursedesk.catalog.models import Coupon, PaymentPage
from coursedesk.core import clock
from coursedesk.core.errors import DomainError, InvalidValue
from coursedesk.core.money import Money

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$"
CODE_MAX = Coupon._meta.get_field("code").max_length
AMOUNT_MAX = 100_000_000
REDEMPTIONS_MAX = 1_000_000
Duration = Coupon.Duration


@dataclass(frozen=True)
class Quote:
    """A page's price with a coupon: what the buyer pays (`amount`) and what was taken off."""

    amount: int
    discount: int
    currency: str
    coupon: Coupon | None = None

    @property
    def price(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def full_price(self) -> Money:
        return Money(self.amount + self.discount, self.currency)

    @property
    def saving(self) -> Money:
        return Money(self.discount, self.currency)


def coupon_code_clean(code: str) -> str:
    """A code as stored: capitals, letters, digits, hyphens and underscores."""
    code = (code or "").strip().upper()
    if not re.match(CODE_PATTERN, code):
        raise InvalidValue(
            f"A code has 2 to {CODE_MAX} letters, digits, hyphens or underscores, e.g. SPRING25.",
            code="invalid_code",
        )
    return code


def _whole(value, *, low: int, high: int, message: str, code: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidValue(message, code=code)
    return value


def _audit(coupon: Coupon, type: AuditEventType, actor: Actor, source: str, **data) -> None:
    audit_record(
        creator=coupon.creator,
        type=type,
        actor=actor,
        source=source,
        subject=coupon,
        data={"subject": coupon.code, **data},
    )


def coupon_create(
    *,
    creator,
    code: str,
    percent_off: int | None = None,
    amount_off: int | None = None,
    currency: str = "",
    duration: str = Duration.ONCE,
    expires_at: dt.datetime | None = None,
    max_redemptions: int | None = None,
    payment_pages: list[PaymentPage] | None = None,
    actor: Actor,
    source: str,
) -> Coupon:
    """A new active coupon. `amount_off` is in the currency's minor unit (pages convert what the
    creator types with Money.from_decimal). No payment page given: it applies to all of them."""
    code = coupon_code_clean(code)
    if (percent_off is None) == (amount_off is None):
        raise InvalidValue("Give either a percentage or an amount off, not both.", code="invalid_discount")
    if percent_off is not None:
        percent_off = _whole(
            percent_off,
            low=1,
            high=99,
            message="A percentage off is a whole number from 1 to 99 (for free, add a free payment page).",
            code="invalid_percent_off",
        )
        currency = ""
    else:
        amount_off = _whole(
            amount_off,
            low=1,
            high=AMOUNT_MAX,
            message="Enter an amount off above zero.",
            code="invalid_amount_off",
        )
        currency = (currency or "").strip().lower()
        if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
            raise InvalidValue(
                "An amount off needs its currency, a three-letter code such as usd.", code="invalid_currency"
            )
    if duration not in Duration.values:
        raise InvalidValue("Choose the first payment only or every payment.", code="invalid_duration")
    if max_redemptions is not None:
        max_redemptions = _whole(
            max_redemptions,
            low=1,
            high=REDEMPTIONS_MAX,
            message="The number of uses is a whole number above zero (empty: unlimited).",
            code="invalid_max_redemptions",
        )
    if expires_at is not None and timezone.is_naive(expires_at):
        raise InvalidValue("The end needs a time zone, e.g. 2027-01-01T00:00:00Z.", code="invalid_expires_at")
    if expires_at is not None and not clock.in_range(expires_at):
        raise InvalidValue(f"The end is out of range. {clock.RANGE_MESSAGE}", code="invalid_expires_at")
    if expires_at is not None and expires_at <= clock.now():
        raise InvalidValue("The end date must be in the future.", code="invalid_expires_at")
    pages = list(payment_pages or [])
    if any(page.course.creator_id != creator.pk for page in pages):
        raise InvalidValue("A coupon applies to your own payment pages only.", code="invalid_payment_pages")
    if currency and any(page.currency != currency for page in pages):
        raise InvalidValue(
            f"An amount off in {currency.upper()} fits only payment pages priced in {currency.upper()}.",
            code="invalid_payment_pages",
        )
    try:
        with transaction.atomic():
            if Coupon.objects.filter(creator=creator, code=code).exists():
                raise _code_taken(code)
            coupon = Coupon.objects.create(
                creator=creator,
                code=code,
                percent_off=percent_off,
                amount_off=amount_off,
                currency=currency,
                duration=duration,
                expires_at=expires_at,
                max_redemptions=max_redemptions,
                limited_to_pages=bool(pages),
                created_at=clock.now(),
            )
            coupon.payment_pages.set(pages)
            _audit(
                coupon,
                AuditEventType.COUPON_CREATED,
                actor,
                source,
                percent_off=percent_off,
                amount_off=amount_off,
                currency=currency,
                duration=duration,
                expires_at=clock.iso(expires_at),
                max_redemptions=max_redemptions,
                payment_page_ids=sorted(page.pk for page in pages),
            )
    except IntegrityError as error:  # another request took the code in between
        raise _code_taken(code) from error
    return coupon


def _code_taken(code: str) -> DomainError:
    return DomainError(
        f"You already have a coupon {code}. Choose another code.", code="coupon_code_taken", status=409
    )


def coupon_update(*, coupon: Coupon, active: bool, actor: Actor, source: str) -> Coupon:
    """Deactivates a coupon (no new checkout takes it) or activates it again."""
    if not isinstance(active, bool):
        raise InvalidValue("Active is true or false.", code="invalid_active")
    with transaction.atomic():
        coupon = Coupon.objects.select_for_update().select_related("creator").get(pk=coupon.pk)
        if coupon.active == active:
            return coupon
        _audit(coupon, AuditEventType.COUPON_UPDATED, actor, source, active=change(coupon.active, active))
        coupon.active = active
        coupon.save(update_fields=["active"])
    return coupon


def _refused(reason: str) -> DomainError:
    return DomainError(reason, code="coupon_invalid", status=409)


def _applies(coupon: Coupon, page: PaymentPage) -> int:
    """The discount `coupon` gives on `page` now, or the reason it does not apply."""
    if not coupon.active:
        raise _refused(f"The code {coupon.code} is no longer valid.")
    if coupon.expires_at is not None and coupon.expires_at <= clock.now():
        raise _refused(f"The code {coupon.code} has expired.")
    if coupon.max_redemptions is not None and coupon.times_redeemed >= coupon.max_redemptions:
        raise _refused(f"The code {coupon.code} has been used up.")
    if page.is_free:
        raise _refused("This course is free; it needs no code.")
    if coupon.limited_to_pages and not coupon.payment_pages.filter(pk=page.pk).exists():
        raise _refused(f"The code {coupon.code} is not valid for {page.name}.")
    if coupon.currency and coupon.currency != page.currency:
        raise _refused(f"The code {coupon.code} is for prices in {coupon.currency.upper()}.")
    discount = coupon.discount_on(page.amount)
    if discount >= page.amount:
        raise _refused(f"The code {coupon.code} would take off the whole price, so it cannot be used here.")
    return discount


def _find(*, page: PaymentPage, code: str) -> Coupon:
    typed = (code or "").strip().upper()
    coupon = Coupon.objects.filter(creator_id=page.course.creator_id, code=typed).first() if typed else None
    if coupon is None:
        raise _refused(f"There is no code {typed or '(empty)'}. Check its spelling.")
    return coupon


def coupon_quote(*, page: PaymentPage, code: str) -> Quote:
    """What the buyer pays on `page` with `code` (empty: the page's price). A code that does not
    apply (unknown, another creator's, inactive, expired, used up, not for this page) is refused
    with the reason, as DomainError "coupon_invalid"."""
    if not (code or "").strip():
        return Quote(amount=page.amount, discount=0, currency=page.currency)
    coupon = _find(page=page, code=code)
    discount = _applies(coupon, page)
    return Quote(amount=page.amount - discount, discount=discount, currency=page.currency, coupon=coupon)


def coupon_redeem(*, page: PaymentPage, code: str, paid_already: bool = False) -> Quote:
    """Counts one use of `code` on `page` and returns the price it gives; call it inside the
    checkout's transaction, before taking any money, so a refused code changes nothing. The coupon's
    row lock makes buyers racing for the last use wait for each other: one sells, the others are
    refused. `paid_already` (a checkout paid on the gateway's own page) counts the use even when
    the code has meanwhile run out, since the buyer has paid the discounted price."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("coupon_redeem runs inside the checkout's transaction")
    found = _find(page=page, code=code)
    coupon = Coupon.objects.select_for_update().get(pk=found.pk)
    discount = coupon.discount_on(page.amount) if paid_already else _applies(coupon, page)
    Coupon.objects.filter(pk=coupon.pk).update(times_redeemed=coupon.times_redeemed + 1)
    coupon.times_redeemed += 1
    return Quote(amount=page.amount - discount, discount=discount, currency=page.currency, coupon=coupon)
