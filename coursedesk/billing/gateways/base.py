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
class GatewayRefund:
    id: str
    status: str  # "succeeded", "pending" or "failed", as the gateway says


class PaymentGateway(abc.ABC):
    """One implementation per provider. Ids it returns are what the records store."""

    name: str = ""

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
