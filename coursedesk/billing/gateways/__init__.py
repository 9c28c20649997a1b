"""Picking the gateway for a creator or for a record. Only `stripe.py` imports the stripe library."""

from __future__ import annotations

from coursedesk.billing.gateways.base import GatewayError, PaymentGateway
from coursedesk.billing.gateways.sandbox import SandboxGateway
from coursedesk.billing.gateways.stripe import StripeGateway
from coursedesk.billing.models import Gateway, GatewayAccount
from coursedesk.core.errors import DomainError


def gateway_account(creator) -> GatewayAccount:
    account, _ = GatewayAccount.objects.get_or_create(creator=creator)
    return account


def gateway_named(name: str, *, creator) -> PaymentGateway:
    """The gateway that holds a record (a payment made in the sandbox stays a sandbox payment)."""
    if name == Gateway.STRIPE:
        return StripeGateway(gateway_account(creator))
    return SandboxGateway()


def gateway_refusal(error: GatewayError) -> DomainError:
    """A gateway's refusal as the domain error pages and the API show (502: the gateway's answer)."""
    return DomainError(f"The payment gateway refused: {error.message}", code="gateway_error", status=502)
