"""The gateway interface: every method is declared once and implemented by both gateways."""

from __future__ import annotations

import inspect

import pytest

from coursedesk.billing.gateways import gateway_named
from coursedesk.billing.gateways.base import GatewayError, PaymentGateway
from coursedesk.billing.gateways.sandbox import SandboxGateway
from coursedesk.billing.gateways.stripe import StripeGateway

DECLARED = sorted(PaymentGateway.__abstractmethods__)


def test_the_interface_declares_what_callers_use():
    assert set(DECLARED) >= {
        "is_test_mode",
        "card_attach",
        "charge",
        "hosted_checkout_create",
        "hosted_checkout_retrieve",
        "hosted_card_update_create",
        "setup_payment_method",
        "refund",
        "refunds_of_charge",
        "invoice_of_payment_intent",
        "subscription_cancel",
        "subscription_pause",
        "subscription_resume",
        "subscription_payment_method_set",
    }


@pytest.mark.parametrize("gateway_class", [SandboxGateway, StripeGateway])
@pytest.mark.parametrize("method", DECLARED)
def test_each_gateway_implements_each_method_itself_with_the_declared_arguments(gateway_class, method):
    assert method in vars(gateway_class), f"{gateway_class.__name__} inherits {method}"
    declared, implemented = getattr(PaymentGateway, method), getattr(gateway_class, method)
    if isinstance(declared, property):
        return
    assert inspect.signature(implemented).parameters.keys() == inspect.signature(declared).parameters.keys()


@pytest.mark.parametrize(
    ("method", "arguments"),
    [
        ("hosted_checkout_retrieve", {"checkout_reference": "cs_1"}),
        ("setup_payment_method", {"setup_reference": "seti_1"}),
        ("refunds_of_charge", {"charge_reference": "ch_1"}),
        ("invoice_of_payment_intent", {"payment_intent": "pi_1"}),
    ],
)
def test_the_sandbox_answers_not_supported_where_it_has_no_such_thing(creator, method, arguments):
    sandbox = gateway_named("sandbox", creator=creator)

    with pytest.raises(GatewayError) as refused:
        getattr(sandbox, method)(**arguments)

    assert refused.value.code == "not_supported"
