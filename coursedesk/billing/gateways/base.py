"""The one gateway interface: what CourseDesk asks of a payment provider, in its own words."""

from __future__ import annotations

import abc
import datetime as dt
from dataclasses import dataclass


class GatewayError(Exception):
    """The gateway refused or could not do what was asked; `message` is safe to show a person."""

    def __init__(self, message: str, *, code: str = "gateway_error"):
        super().__init__(message)
        self.message = message
        self.code = code


class CardDeclined(GatewayError):
    def __init__(self, message: str = "Your card was declined.", *, code: str = "card_declined"):
        super().__init__(message, code=code)


@dataclass(frozen=True, slots=True)
class GatewayCard:
    """A card saved at the gateway for later charges."""

    payment_method_id: str
    brand: str
    last4: str
    customer_id: str = ""


@dataclass(frozen=True, slots=True)
class GatewayCharge:
    id: str
    succeeded: bool
    failure_message: str = ""


@dataclass(frozen=True, slots=True)
class HostedCheckout:
    """A checkout on the gateway's own page, as CourseDesk needs it for fulfilment."""

    id: str
    url: str = ""
    complete: bool = False
    mode: str = "payment"  # "payment", "subscription" or "setup"
    client_reference: str = ""
    customer_reference: str = ""
    payment_reference: str = ""  # payment intent (one-time) or first invoice (subscription)
    subscription_reference: str = ""
    setup_reference: str = ""
    amount: int | None = None
    currency: str = ""


@dataclass(frozen=True, slots=True)
class GatewayRefund:
    id: str
    status: str  # "succeeded", "pending" or "failed", as the gateway says


class PaymentGateway(abc.ABC):
    """One implementation per provider. Ids it returns are what the records store."""

    name: str = ""
    # True when buyers pay on the gateway's own page (Stripe Checkout) rather than a card field here.
    hosted_checkout: bool = False

    @property
    @abc.abstractmethod
    def is_test_mode(self) -> bool:
        """True when no real money moves (sandbox, Stripe test keys)."""

    @abc.abstractmethod
    def refund(
        self, *, payment_reference: str, amount: int, currency: str, idempotency_key: str
    ) -> GatewayRefund:
        """Refunds `amount` of the charge; the same idempotency key never refunds twice."""

    @abc.abstractmethod
    def subscription_cancel(self, *, subscription_reference: str) -> None:
        """Stops further charges at once."""

    @abc.abstractmethod
    def subscription_pause(self, *, subscription_reference: str, resume_on: dt.date) -> None:
        """No charges until `resume_on`."""

    @abc.abstractmethod
    def subscription_resume(self, *, subscription_reference: str) -> None:
        """Ends a pause now."""

    # Taking payments. A gateway implements the card-field pair or the hosted pair.
    def card_attach(self, *, number: str, idempotency_key: str) -> GatewayCard:
        raise GatewayError("This gateway takes cards on its own page.", code="not_supported")

    def charge(
        self, *, payment_method_id: str, amount: int, currency: str, idempotency_key: str
    ) -> GatewayCharge:
        raise GatewayError("This gateway charges on its own schedule.", code="not_supported")

    def hosted_checkout_create(
        self,
        *,
        page,
        email: str,
        client_reference: str,
        success_url: str,
        cancel_url: str,
        customer_reference: str = "",
    ) -> HostedCheckout:
        raise GatewayError("This gateway has no hosted checkout.", code="not_supported")

    def hosted_checkout_retrieve(self, *, checkout_reference: str) -> HostedCheckout:
        raise GatewayError("This gateway has no hosted checkout.", code="not_supported")
