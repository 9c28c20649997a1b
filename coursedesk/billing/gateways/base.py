"""The one gateway interface: what CourseDesk asks of a payment provider, in its own words."""

from __future__ import annotations

import abc
import datetime as dt
from dataclasses import dataclass


class GatewayError(Exception):
    """The gateway refused or could not do what was asked; `message` is safe to show a person.
    A gateway asked for something it has no concept of answers with code "not_supported"."""

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
    """One implementation per provider; every method CourseDesk calls is declared here.

    Ids a gateway returns are what the records store. A gateway without a concept (the sandbox has
    no hosted pages, Stripe takes no card numbers here) still implements the method, and answers
    with a GatewayError of code "not_supported".
    """

    name: str = ""

    @property
    @abc.abstractmethod
    def is_test_mode(self) -> bool:
        """True when no real money moves (sandbox, Stripe test keys)."""

    # Taking payments on a card field of CourseDesk's own (the sandbox) -------------------------

    @abc.abstractmethod
    def card_attach(self, *, number: str, idempotency_key: str) -> GatewayCard:
        """Saves a card typed into CourseDesk's form for later charges."""

    @abc.abstractmethod
    def charge(
        self, *, payment_method_id: str, amount: int, currency: str, idempotency_key: str
    ) -> GatewayCharge:
        """Charges a saved card now. A decline is a failed charge, not an error."""

    # Taking payments on the gateway's own page (Stripe Checkout) --------------------------------

    @abc.abstractmethod
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
        """Opens a checkout of `page` on the gateway's page; its `url` is where the buyer goes. The same
        idempotency key opens the same checkout (the purchase intent's key). `coupon_reference` (from
        `coupon_ensure`) lowers the price."""

    @abc.abstractmethod
    def coupon_ensure(self, *, coupon) -> str:
        """The gateway's own coupon for a CourseDesk coupon, made once; "" when CourseDesk applies the
        coupon itself (the sandbox charges the discounted amount)."""

    @abc.abstractmethod
    def hosted_checkout_retrieve(self, *, checkout_reference: str) -> HostedCheckout:
        """A hosted checkout as it stands now (complete or not)."""

    @abc.abstractmethod
    def hosted_card_update_create(
        self,
        *,
        customer_reference: str,
        subscription_reference: str,
        currency: str,
        success_url: str,
        cancel_url: str,
    ) -> HostedCheckout:
        """Opens the gateway's page on which a student enters a new card for a subscription."""

    @abc.abstractmethod
    def setup_payment_method(self, *, setup_reference: str) -> str:
        """The card that a completed card-update page saved."""

    # Refunds --------------------------------------------------------------------------------------

    @abc.abstractmethod
    def refund(
        self, *, payment_reference: str, amount: int, currency: str, idempotency_key: str
    ) -> GatewayRefund:
        """Refunds `amount` of the charge; the same idempotency key never refunds twice."""

    @abc.abstractmethod
    def refunds_of_charge(self, *, charge_reference: str) -> list[dict]:
        """Every refund of a charge as the gateway reports it (for refunds made at the gateway)."""

    @abc.abstractmethod
    def invoice_of_payment_intent(self, *, payment_intent: str) -> str:
        """The invoice a payment paid, or "" (renewal payments are recorded by invoice)."""

    # Subscriptions ---------------------------------------------------------------------------------

    @abc.abstractmethod
    def subscription_cancel(self, *, subscription_reference: str) -> None:
        """Stops further charges at once."""

    @abc.abstractmethod
    def subscription_cancel_at_period_end(self, *, subscription_reference: str, cancel: bool) -> None:
        """Stops charging after the period already paid (`cancel`), or takes that back."""

    @abc.abstractmethod
    def subscription_pause(self, *, subscription_reference: str, resume_on: dt.date) -> None:
        """No charges until `resume_on`."""

    @abc.abstractmethod
    def subscription_resume(self, *, subscription_reference: str) -> None:
        """Ends a pause now."""

    @abc.abstractmethod
    def subscription_open_invoice_pay(self, *, subscription_reference: str) -> None:
        """Tries the subscription's unpaid invoice again now (after a card update); the outcome
        arrives as the gateway's usual report (webhook)."""

    @abc.abstractmethod
    def subscription_payment_method_set(
        self, *, subscription_reference: str, customer_reference: str, payment_method_id: str
    ) -> GatewayCard:
        """Future charges of the subscription use this card (saved at the gateway)."""
