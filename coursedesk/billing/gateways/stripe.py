"""The Stripe gateway: the only module that imports the `stripe` library.

Each creator has their own client with their own secret key; `settings.STRIPE_API_BASE` points it
elsewhere (tests use a local fake Stripe). Stripe's objects are turned into plain values here, so
nothing outside this module depends on the library's types.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import time
from typing import Any

import stripe
from django.conf import settings

from coursedesk.billing.gateways.base import (
    CardDeclined,
    GatewayCard,
    GatewayCharge,
    GatewayError,
    GatewayRefund,
    HostedCheckout,
    PaymentGateway,
)


def _error(error: stripe.StripeError) -> GatewayError:
    message = getattr(error, "user_message", None) or str(error) or "Stripe did not answer."
    if isinstance(error, stripe.CardError):
        return CardDeclined(message)
    return GatewayError(message, code=getattr(error, "code", None) or "stripe_error")


def _plain(obj: Any) -> Any:
    """A Stripe object as plain dicts and lists."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if hasattr(obj, "to_dict"):
        return json.loads(json.dumps(obj.to_dict(), default=str))
    return obj


def _id(value: Any) -> str:
    """An id whether Stripe sent the id or the expanded object."""
    if not value:
        return ""
    if isinstance(value, str):
        return value
    return value.get("id", "") if isinstance(value, dict) else getattr(value, "id", "")


def invoice_subscription_id(invoice: dict) -> str:
    """The subscription of an invoice, in the older shape or in `parent.subscription_details`."""
    if invoice.get("subscription"):
        return _id(invoice["subscription"])
    parent = invoice.get("parent") or {}
    return _id((parent.get("subscription_details") or {}).get("subscription"))


def pause_resumes_at(resume_on: dt.date) -> dt.datetime:
    """The moment a pause until `resume_on` asks Stripe to resume collecting: that day's midnight, UTC."""
    return dt.datetime.combine(resume_on, dt.time.min, tzinfo=dt.UTC)


def invoice_period_end(invoice: dict) -> dt.datetime | None:
    """When the period this invoice paid for ends: the next payment's date."""
    lines = (invoice.get("lines") or {}).get("data") or []
    ends = [line["period"]["end"] for line in lines if (line.get("period") or {}).get("end")]
    if not ends:
        return None
    return dt.datetime.fromtimestamp(max(ends), tz=dt.UTC)


def hosted_checkout_from(session: dict) -> HostedCheckout:
    """Reads a Checkout Session (Stripe's documented JSON) into what fulfilment needs."""
    mode = session.get("mode") or "payment"
    if mode == "subscription":
        payment_reference = _id(session.get("invoice"))
    else:
        payment_reference = _id(session.get("payment_intent"))
    complete = session.get("status") == "complete" and (
        mode == "setup" or session.get("payment_status") in ("paid", "no_payment_required")
    )
    return HostedCheckout(
        id=session["id"],
        url=session.get("url") or "",
        complete=complete,
        mode=mode,
        client_reference=session.get("client_reference_id") or "",
        customer_reference=_id(session.get("customer")),
        payment_reference=payment_reference,
        subscription_reference=_id(session.get("subscription")),
        setup_reference=_id(session.get("setup_intent")),
        amount=session.get("amount_total"),
        currency=(session.get("currency") or ""),
    )


# Stripe signs with its own clock: a signature up to this many seconds ahead of ours is clock skew,
# further ahead it is refused (the library refuses only signatures older than its tolerance).
WEBHOOK_FUTURE_SKEW = 60


def webhook_event_verified(*, payload: bytes, signature: str, secret: str) -> dict:
    """The event if Stripe signed it with `secret`, neither more than 5 minutes ago nor more than a
    minute ahead; GatewayError `bad_signature` otherwise. A signed body that is not an event (not
    JSON, not an object, no id or type) is GatewayError `not_an_event`."""
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, signature, secret, stripe.Webhook.DEFAULT_TOLERANCE)
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise GatewayError("The webhook signature does not match.", code="bad_signature") from error
    # The signature library reads the same wall clock for the past; a frozen test clock is not it.
    stamps = [int(part[2:]) for part in signature.split(",") if part.startswith("t=") and part[2:].isdigit()]
    signed_at = max(stamps, default=0)
    if signed_at > time.time() + WEBHOOK_FUTURE_SKEW:
        raise GatewayError("The webhook's signature is dated in the future.", code="bad_signature")
    try:
        event = json.loads(text)
    except ValueError as error:
        raise GatewayError("The signed body is not JSON.", code="not_an_event") from error
    if not isinstance(event, dict):
        raise GatewayError("The signed body is not a JSON object.", code="not_an_event")
    if not (isinstance(event.get("id"), str) and 0 < len(event["id"]) <= 255):
        raise GatewayError("The signed body has no event id.", code="not_an_event")
    if not (isinstance(event.get("type"), str) and 0 < len(event["type"]) <= 100):
        raise GatewayError("The signed body has no event type.", code="not_an_event")
    if "\\u0000" in text:
        raise GatewayError("The signed body holds a NUL character.", code="not_an_event")
    return event


class StripeGateway(PaymentGateway):
    name = "stripe"

    def __init__(self, account):
        self.account = account
        if not account.stripe_secret_key:
            raise GatewayError(
                "Stripe is not set up: add your secret key in Payments.", code="not_configured"
            )
        options: dict[str, Any] = {"max_network_retries": 2}
        if settings.STRIPE_API_BASE:
            options["base_addresses"] = {"api": settings.STRIPE_API_BASE}
        self.client = stripe.StripeClient(account.stripe_secret_key, **options)

    @property
    def is_test_mode(self) -> bool:
        # The keys decide, not the gateway the creator sells through now: a Stripe payment made
        # with live keys stays real after a switch to the sandbox.
        return self.account.has_stripe_test_keys

    # Cards ----------------------------------------------------------------------------------------

    def card_attach(self, *, number: str, idempotency_key: str) -> GatewayCard:
        raise GatewayError(
            "Stripe takes card numbers on its own page, never in CourseDesk's forms.", code="not_supported"
        )

    def _payment_method_attach(self, *, customer_reference: str, payment_method_id: str) -> GatewayCard:
        """Attaches a card (from Stripe.js, a SetupIntent or a test token) and makes it the default."""
        try:
            method = self.client.v1.payment_methods.attach(
                payment_method_id, params={"customer": customer_reference}
            )
            self.client.v1.customers.update(
                customer_reference, params={"invoice_settings": {"default_payment_method": method.id}}
            )
        except stripe.StripeError as error:
            raise _error(error) from error
        card = method.card
        return GatewayCard(
            payment_method_id=method.id, brand=card.brand, last4=card.last4, customer_id=customer_reference
        )

    def charge(
        self, *, payment_method_id: str, amount: int, currency: str, idempotency_key: str
    ) -> GatewayCharge:
        raise GatewayError(
            "Stripe charges subscriptions on its own schedule and reports them by webhook.",
            code="not_supported",
        )

    # Refunds -----------------------------------------------------------------------------------

    def _payment_intent_of_invoice(self, invoice_id: str) -> dict[str, str]:
        invoice = _plain(self.client.v1.invoices.retrieve(invoice_id))
        if invoice.get("payment_intent"):
            return {"payment_intent": _id(invoice["payment_intent"])}
        if invoice.get("charge"):
            return {"charge": _id(invoice["charge"])}
        payments = _plain(self.client.v1.invoice_payments.list(params={"invoice": invoice_id}))
        for entry in payments.get("data", []):
            payment = entry.get("payment") or {}
            if payment.get("payment_intent"):
                return {"payment_intent": _id(payment["payment_intent"])}
        raise GatewayError("Stripe has no payment for this invoice.", code="no_payment")

    def refund(
        self, *, payment_reference: str, amount: int, currency: str, idempotency_key: str
    ) -> GatewayRefund:
        try:
            if payment_reference.startswith("in_"):
                target = self._payment_intent_of_invoice(payment_reference)
            elif payment_reference.startswith("ch_"):
                target = {"charge": payment_reference}
            else:
                target = {"payment_intent": payment_reference}
            # The amount is always explicit: Stripe's "refund what is left" would be computed on its
            # side, and CourseDesk has already decided what is left under its lock.
            refund = self.client.v1.refunds.create(
                params={**target, "amount": amount, "metadata": {"coursedesk_refund": idempotency_key}},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise _error(error) from error
        if refund.status in ("failed", "canceled"):
            raise GatewayError("Stripe could not make the refund.", code="refund_failed")
        return GatewayRefund(id=refund.id, status="succeeded" if refund.status == "succeeded" else "pending")

    def invoice_of_payment_intent(self, *, payment_intent: str) -> str:
        """The invoice a payment intent paid, or "" (subscription payments are kept by invoice)."""
        try:
            intent = _plain(self.client.v1.payment_intents.retrieve(payment_intent))
            if intent.get("invoice"):
                return _id(intent["invoice"])
            listing = _plain(
                self.client.v1.invoice_payments.list(
                    params={"payment": {"type": "payment_intent", "payment_intent": payment_intent}}
                )
            )
        except stripe.StripeError:
            return ""
        for entry in listing.get("data", []):
            if entry.get("invoice"):
                return _id(entry["invoice"])
        return ""

    def refunds_of_charge(self, *, charge_reference: str) -> list[dict]:
        """Every refund of a charge, as Stripe's JSON (webhooks no longer carry them)."""
        try:
            listing = self.client.v1.refunds.list(params={"charge": charge_reference, "limit": 100})
        except stripe.StripeError as error:
            raise _error(error) from error
        return [_plain(refund) for refund in listing.data]

    def refunds_of_payment(self, *, payment_reference: str) -> list[dict]:
        """Every refund of a payment CourseDesk recorded (a payment intent, a charge, or the invoice
        of a subscription payment), as Stripe's JSON, oldest first."""
        try:
            if payment_reference.startswith("in_"):
                invoice = _plain(self.client.v1.invoices.retrieve(payment_reference))
                intent, charge = _id(invoice.get("payment_intent")), _id(invoice.get("charge"))
                params = {"payment_intent": intent} if intent else {"charge": charge} if charge else None
            elif payment_reference.startswith("ch_"):
                params = {"charge": payment_reference}
            else:
                params = {"payment_intent": payment_reference}
            if params is None:
                return []
            listing = self.client.v1.refunds.list(params={**params, "limit": 100})
        except stripe.StripeError as error:
            raise _error(error) from error
        return sorted((_plain(refund) for refund in listing.data), key=lambda r: r.get("created") or 0)

    def subscription_invoices(self, *, subscription_reference: str) -> list[dict]:
        """A subscription's invoices (the latest 100), as Stripe's JSON, oldest first."""
        try:
            listing = self.client.v1.invoices.list(
                params={"subscription": subscription_reference, "limit": 100}
            )
        except stripe.StripeError as error:
            raise _error(error) from error
        return sorted((_plain(invoice) for invoice in listing.data), key=lambda i: i.get("created") or 0)

    def subscription_state(self, *, subscription_reference: str) -> dict:
        """A subscription as Stripe holds it now (its documented JSON)."""
        try:
            return _plain(self.client.v1.subscriptions.retrieve(subscription_reference))
        except stripe.StripeError as error:
            raise _error(error) from error

    # Subscriptions -----------------------------------------------------------------------------

    def price_ensure(self, page) -> str:
        """The recurring price of a payment page at Stripe, created once and kept on the page.

        A plan (Stripe's older name for a recurring price) is used: it is accepted wherever a price
        id is, and works with every Stripe account.
        """
        if page.gateway_price_id:
            return page.gateway_price_id
        try:
            if not page.gateway_product_id:
                product = self.client.v1.products.create(
                    params={"name": f"{page.course.title}: {page.name}"},
                    options={"idempotency_key": f"product-page-{page.pk}"},
                )
                page.gateway_product_id = product.id
            plan = self.client.v1.plans.create(
                params={
                    "amount": page.amount,
                    "currency": page.currency,
                    "interval": page.interval,
                    "product": page.gateway_product_id,
                },
                options={"idempotency_key": f"plan-page-{page.pk}-{page.amount}-{page.currency}"},
            )
        except stripe.StripeError as error:
            raise _error(error) from error
        page.gateway_price_id = plan.id
        page.save(update_fields=["gateway_product_id", "gateway_price_id"])
        return plan.id

    def coupon_ensure(self, *, coupon) -> str:
        """The coupon at Stripe, created once and kept on the coupon. Its uses are counted by
        CourseDesk under its lock, so Stripe's coupon carries the rule (percent or amount off, once or
        forever) and CourseDesk's checks decide who may use it."""
        if coupon.gateway_coupon_id:
            return coupon.gateway_coupon_id
        params: dict[str, Any] = {
            "id": f"coursedesk-{coupon.pk}-{coupon.code}",
            "duration": coupon.duration,
            "metadata": {"coursedesk_coupon": str(coupon.pk)},
        }
        if coupon.percent_off:
            params["percent_off"] = coupon.percent_off
        else:
            params["amount_off"] = coupon.amount_off
            params["currency"] = coupon.currency
        try:
            made = self.client.v1.coupons.create(
                params=params, options={"idempotency_key": f"coupon-{coupon.pk}"}
            )
        except stripe.InvalidRequestError as error:
            # Made before (a crash between Stripe's answer and our save): it is the same coupon.
            try:
                made = self.client.v1.coupons.retrieve(params["id"])
            except stripe.StripeError:
                raise _error(error) from error
        except stripe.StripeError as error:
            raise _error(error) from error
        coupon.gateway_coupon_id = made.id
        coupon.save(update_fields=["gateway_coupon_id"])
        return made.id

    def subscription_cancel(self, *, subscription_reference: str) -> None:
        try:
            self.client.v1.subscriptions.cancel(subscription_reference)
        except stripe.InvalidRequestError as error:
            if self._already_canceled(subscription_reference):
                return
            raise _error(error) from error
        except stripe.StripeError as error:
            raise _error(error) from error

    def _already_canceled(self, subscription_reference: str) -> bool:
        try:
            return self.client.v1.subscriptions.retrieve(subscription_reference).status == "canceled"
        except stripe.StripeError:
            return False

    def subscription_cancel_at_period_end(self, *, subscription_reference: str, cancel: bool) -> None:
        try:
            self.client.v1.subscriptions.update(
                subscription_reference, params={"cancel_at_period_end": cancel}
            )
        except stripe.StripeError as error:
            raise _error(error) from error

    def subscription_pause(self, *, subscription_reference: str, resume_on: dt.date) -> None:
        resumes_at = calendar.timegm(pause_resumes_at(resume_on).timetuple())
        try:
            self.client.v1.subscriptions.update(
                subscription_reference,
                params={"pause_collection": {"behavior": "void", "resumes_at": resumes_at}},
            )
        except stripe.StripeError as error:
            raise _error(error) from error

    def subscription_resume(self, *, subscription_reference: str) -> None:
        try:
            self.client.v1.subscriptions.update(subscription_reference, params={"pause_collection": ""})
        except stripe.StripeError as error:
            raise _error(error) from error

    def subscription_open_invoice_pay(self, *, subscription_reference: str) -> None:
        try:
            invoices = self.client.v1.invoices.list(
                params={"subscription": subscription_reference, "limit": 10}
            )
            for invoice in invoices.data:
                if invoice.status == "open":
                    self.client.v1.invoices.pay(invoice.id)
        except stripe.StripeError as error:
            raise _error(error) from error

    def subscription_payment_method_set(
        self, *, subscription_reference: str, customer_reference: str, payment_method_id: str
    ) -> GatewayCard:
        card = self._payment_method_attach(
            customer_reference=customer_reference, payment_method_id=payment_method_id
        )
        try:
            self.client.v1.subscriptions.update(
                subscription_reference, params={"default_payment_method": card.payment_method_id}
            )
        except stripe.StripeError as error:
            raise _error(error) from error
        return card

    # Hosted checkout ---------------------------------------------------------------------------

    def hosted_checkout_create(
        self,
        *,
        page,
        email: str,
        client_reference: str,
        success_url: str,
        cancel_url: str,
        customer_reference: str = "",
        coupon_reference: str = "",
        idempotency_key: str,
    ) -> HostedCheckout:
        metadata = {"coursedesk_checkout": client_reference, "payment_page": str(page.pk)}
        params: dict[str, Any] = {
            "success_url": success_url,
            "cancel_url": cancel_url,
            "client_reference_id": client_reference,
            "metadata": metadata,
        }
        if customer_reference:
            params["customer"] = customer_reference
        else:
            params["customer_email"] = email
        if page.is_recurring:
            params["mode"] = "subscription"
            params["line_items"] = [{"price": self.price_ensure(page), "quantity": 1}]
            params["subscription_data"] = {"metadata": metadata}
            if page.trial_days:
                params["subscription_data"]["trial_period_days"] = page.trial_days
        else:
            params["mode"] = "payment"
            params["line_items"] = [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": page.currency,
                        "unit_amount": page.amount,
                        "product_data": {"name": f"{page.course.title}: {page.name}"},
                    },
                }
            ]
            params["payment_intent_data"] = {"metadata": metadata}
            if not customer_reference:
                params["customer_creation"] = "always"
        if coupon_reference:
            params["discounts"] = [{"coupon": coupon_reference}]
        try:
            session = self.client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as error:
            raise _error(error) from error
        return hosted_checkout_from(_plain(session))

    def hosted_card_update_create(
        self,
        *,
        customer_reference: str,
        subscription_reference: str,
        currency: str,
        success_url: str,
        cancel_url: str,
    ) -> HostedCheckout:
        """A Checkout Session in setup mode: the student enters a new card on Stripe's page."""
        metadata = {"coursedesk_subscription": subscription_reference}
        try:
            session = self.client.v1.checkout.sessions.create(
                params={
                    "mode": "setup",
                    "currency": currency,
                    "customer": customer_reference,
                    "success_url": success_url,
                    "cancel_url": cancel_url,
                    "metadata": metadata,
                    "setup_intent_data": {"metadata": metadata},
                }
            )
        except stripe.StripeError as error:
            raise _error(error) from error
        return hosted_checkout_from(_plain(session))

    def hosted_checkout_retrieve(self, *, checkout_reference: str) -> HostedCheckout:
        try:
            session = self.client.v1.checkout.sessions.retrieve(checkout_reference)
        except stripe.StripeError as error:
            raise _error(error) from error
        return hosted_checkout_from(_plain(session))

    def setup_payment_method(self, *, setup_reference: str) -> str:
        """The card a completed setup-mode checkout saved."""
        try:
            intent = self.client.v1.setup_intents.retrieve(setup_reference)
        except stripe.StripeError as error:
            raise _error(error) from error
        return _id(intent.payment_method)
