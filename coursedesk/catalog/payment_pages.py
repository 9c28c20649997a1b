"""Payment pages made by creators: how a course is sold (one-time, subscription, payment plan, free).

A price change is for new buyers only: running subscriptions keep the amount they were sold at (each
subscription holds its own amount), and on Stripe the page's next buyer gets a new price while the
old one stays on the subscriptions that use it. A page with sales is deactivated, never deleted.
"""

from __future__ import annotations

from django.db import transaction

from coursedesk.audit.services import Actor, audit_record, change
from coursedesk.audit.types import AuditEventType
from coursedesk.catalog.models import Course, PaymentPage
from coursedesk.core import clock
from coursedesk.core.errors import DomainError, InvalidValue
from coursedesk.core.money import Money

NAME_MAX = PaymentPage._meta.get_field("name").max_length
AMOUNT_MAX = 100_000_000  # a million in a two-decimal currency
DAYS_MAX = 36_500
TRIAL_MAX = 730
INSTALLMENTS_MAX = 60
Kind = PaymentPage.Kind


def _whole(value, *, low: int, high: int, message: str, code: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidValue(message, code=code)
    return value


def _name_clean(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidValue("Give the payment page a name, e.g. Lifetime access.", code="name_missing")
    if len(name) > NAME_MAX:
        raise InvalidValue(f"Keep the name under {NAME_MAX} characters.", code="name_too_long")
    return name


def _amount_clean(amount, *, kind: str, currency: str) -> int:
    if kind == Kind.FREE:
        if amount not in (None, 0):
            raise InvalidValue("A free page has no price.", code="invalid_amount")
        return 0
    amount = _whole(
        amount,
        low=1,
        high=AMOUNT_MAX,
        message="Enter a price above zero.",
        code="invalid_amount",
    )
    Money(amount, currency)  # a valid currency code, or ValueError below
    return amount


def _currency_clean(currency: str) -> str:
    currency = (currency or "").strip().lower()
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
        raise InvalidValue("Use a three-letter currency code such as usd or eur.", code="invalid_currency")
    return currency


def _audit(page: PaymentPage, type: AuditEventType, actor: Actor, source: str, **data) -> None:
    course = page.course
    audit_record(
        creator=course.creator,
        type=type,
        actor=actor,
        source=source,
        subject=page,
        data={"course": course.title, "course_id": course.pk, "payment_page": page.name, **data},
    )


def payment_page_create(
    *,
    course: Course,
    name: str,
    kind: str,
    amount: int | None = None,
    currency: str = "usd",
    interval: str = "",
    installments: int | None = None,
    access_days: int | None = None,
    trial_days: int | None = None,
    actor: Actor,
    source: str,
) -> PaymentPage:
    """A new active payment page. Amounts are in the currency's minor unit (pages convert what the
    creator types, "1,299.50", with Money.from_decimal)."""
    if kind not in Kind.values:
        raise InvalidValue("Choose one-time, subscription, payment plan or free.", code="invalid_kind")
    name = _name_clean(name)
    currency = _currency_clean(currency) if kind != Kind.FREE or currency else "usd"
    amount = _amount_clean(amount, kind=kind, currency=currency)
    if kind in (Kind.SUBSCRIPTION, Kind.PAYMENT_PLAN):
        if interval not in PaymentPage.Interval.values:
            raise InvalidValue("Choose monthly or yearly.", code="invalid_interval")
    else:
        interval = ""
    if kind == Kind.PAYMENT_PLAN:
        installments = _whole(
            installments,
            low=2,
            high=INSTALLMENTS_MAX,
            message=f"A payment plan has 2 to {INSTALLMENTS_MAX} payments.",
            code="invalid_installments",
        )
    elif installments is not None:
        raise InvalidValue("Only a payment plan has a number of payments.", code="invalid_installments")
    if access_days is not None:
        access_days = _whole(
            access_days,
            low=1,
            high=DAYS_MAX,
            message="Access days must be a whole number above zero (empty: lifetime).",
            code="invalid_access_days",
        )
    if trial_days is not None:
        if kind != Kind.SUBSCRIPTION:
            raise InvalidValue("Only a subscription can start with a free trial.", code="invalid_trial")
        trial_days = _whole(
            trial_days,
            low=1,
            high=TRIAL_MAX,
            message=f"A free trial lasts 1 to {TRIAL_MAX} days.",
            code="invalid_trial",
        )
    with transaction.atomic():
        course = Course.objects.select_for_update().get(pk=course.pk)
        page = PaymentPage.objects.create(
            course=course,
            name=name,
            kind=kind,
            amount=amount,
            currency=currency,
            interval=interval,
            installments=installments,
            access_days=access_days,
            trial_days=trial_days,
            created_at=clock.now(),
        )
        _audit(
            page,
            AuditEventType.PAYMENT_PAGE_CREATED,
            actor,
            source,
            kind=kind,
            amount=amount,
            currency=currency,
            interval=interval,
            installments=installments,
            trial_days=trial_days,
        )
    return page


def payment_page_has_sales(*, page: PaymentPage) -> bool:
    """Anyone bought (or started buying) through it, or holds access or a subscription from it."""
    return (
        page.payments.exists()
        or page.subscriptions.exists()
        or page.checkout_sessions.exists()
        or page.enrolments.exists()
    )


def payment_page_update(
    *,
    page: PaymentPage,
    name: str | None = None,
    active: bool | None = None,
    amount: int | None = None,
    actor: Actor,
    source: str,
) -> PaymentPage:
    """Renames, (de)activates or reprices a page. A new price is for new buyers only."""
    cleaned_name = _name_clean(name) if name is not None else None
    if active is not None and not isinstance(active, bool):
        raise InvalidValue("Active is true or false.", code="invalid_active")
    with transaction.atomic():
        page = PaymentPage.objects.select_for_update().select_related("course__creator").get(pk=page.pk)
        cleaned_amount = (
            _amount_clean(amount, kind=page.kind, currency=page.currency) if amount is not None else None
        )
        data, fields = {}, []
        for field, value in (("name", cleaned_name), ("active", active), ("amount", cleaned_amount)):
            if value is not None and getattr(page, field) != value:
                data[field] = change(getattr(page, field), value)
                setattr(page, field, value)
                fields.append(field)
        if not data:
            return page
        if "amount" in data and page.gateway_price_id:
            # The gateway's price belongs to the subscriptions sold at it; the next buyer gets a new one.
            page.gateway_price_id = ""
            fields.append("gateway_price_id")
        page.save(update_fields=fields)
        if "amount" in data:
            data["currency"] = page.currency
        _audit(page, AuditEventType.PAYMENT_PAGE_UPDATED, actor, source, **data)
    return page


def payment_page_delete(*, page: PaymentPage, actor: Actor, source: str) -> None:
    """Deletes a page nobody has bought through; one with sales is refused (deactivate it instead)."""
    with transaction.atomic():
        page = PaymentPage.objects.select_for_update().select_related("course__creator").get(pk=page.pk)
        if payment_page_has_sales(page=page):
            raise DomainError(
                "This payment page has sales, so it cannot be deleted. Deactivate it instead: "
                "nobody new can buy, and its buyers keep what they bought.",
                code="payment_page_delete_not_allowed",
                status=405,
            )
        _audit(page, AuditEventType.PAYMENT_PAGE_DELETED, actor, source)
        page.delete()
