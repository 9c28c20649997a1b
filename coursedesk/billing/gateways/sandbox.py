"""The sandbox gateway: in-process, no network, behaves like Stripe's test mode with its test cards.

Ids are derived from the caller's idempotency keys, so they are deterministic and a retried call
returns what the first one did. It never claims real money moved: it is always test mode.
"""

from __future__ import annotations

import datetime as dt
import re

from coursedesk.billing.gateways.base import (
    CardDeclined,
    GatewayCard,
    GatewayCharge,
    GatewayError,
    GatewayRefund,
    HostedCheckout,
    PaymentGateway,
)

# Stripe's public test cards, by number.
CARD_SUCCEEDS = "4242424242424242"
CARD_DECLINED = "4000000000000002"
CARD_FAILS_LATER = "4000000000000341"  # attaches fine, every later charge fails
TEST_CARDS = {
    CARD_SUCCEEDS: "visa",
    CARD_DECLINED: "visa",
    CARD_FAILS_LATER: "visa",
    "5555555555554444": "mastercard",
    "378282246310005": "amex",
}
DECLINE_MESSAGE = "Your card was declined."
HOSTED_PAGES_MESSAGE = "The sandbox has no pages of its own: cards are typed into CourseDesk's forms."


def _key(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", value).strip("_")


class SandboxGateway(PaymentGateway):
    name = "sandbox"

    @property
    def is_test_mode(self) -> bool:
        return True

    def card_attach(self, *, number: str, idempotency_key: str) -> GatewayCard:
        """Saves a test card. Any other number is refused, as Stripe's test mode does."""
        number = re.sub(r"[\s-]", "", number or "")
        brand = TEST_CARDS.get(number)
        if brand is None:
            raise GatewayError(
                "Test mode takes Stripe's test cards only, such as 4242 4242 4242 4242.",
                code="invalid_number",
            )
        if number == CARD_DECLINED:
            raise CardDeclined(DECLINE_MESSAGE)
        kind = "fails" if number == CARD_FAILS_LATER else "ok"
        return GatewayCard(
            payment_method_id=f"sbx_pm_{kind}_{number[-4:]}_{_key(idempotency_key)}",
            brand=brand,
            last4=number[-4:],
        )

    def charge(
        self, *, payment_method_id: str, amount: int, currency: str, idempotency_key: str
    ) -> GatewayCharge:
        """Charges a saved card. A card that fails later gives a failed charge, not an error."""
        if not payment_method_id:
            raise GatewayError("No card is on file for this subscription.", code="no_card")
        if not payment_method_id.startswith("sbx_pm_"):
            raise GatewayError("This card is not known to the sandbox.", code="unknown_card")
        charge_id = f"sbx_ch_{_key(idempotency_key)}"
        if payment_method_id.startswith("sbx_pm_fails_"):
            return GatewayCharge(id=charge_id, succeeded=False, failure_message=DECLINE_MESSAGE)
        return GatewayCharge(id=charge_id, succeeded=True)

    def refund(
        self, *, payment_reference: str, amount: int, currency: str, idempotency_key: str
    ) -> GatewayRefund:
        if amount <= 0:
            raise GatewayError("A refund needs a positive amount.", code="invalid_amount")
        return GatewayRefund(id=f"sbx_re_{_key(idempotency_key)}", status="succeeded")

    def refunds_of_charge(self, *, charge_reference: str) -> list[dict]:
        raise GatewayError(
            "The sandbox makes no refunds of its own: every sandbox refund starts in CourseDesk.",
            code="not_supported",
        )

    def invoice_of_payment_intent(self, *, payment_intent: str) -> str:
        raise GatewayError("The sandbox has no invoices.", code="not_supported")

    # Buyers type the card into CourseDesk's own form, and students update it on their billing page.
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
        raise GatewayError(HOSTED_PAGES_MESSAGE, code="not_supported")

    def coupon_ensure(self, *, coupon) -> str:
        # The sandbox charges what CourseDesk asks, so CourseDesk takes the discount off itself.
        return ""

    def hosted_checkout_retrieve(self, *, checkout_reference: str) -> HostedCheckout:
        raise GatewayError(HOSTED_PAGES_MESSAGE, code="not_supported")

    def hosted_card_update_create(
        self,
        *,
        customer_reference: str,
        subscription_reference: str,
        currency: str,
        success_url: str,
        cancel_url: str,
    ) -> HostedCheckout:
        raise GatewayError(HOSTED_PAGES_MESSAGE, code="not_supported")

    def setup_payment_method(self, *, setup_reference: str) -> str:
        raise GatewayError(HOSTED_PAGES_MESSAGE, code="not_supported")

    # Sandbox subscriptions live in CourseDesk's own rows (renewals read them), so these moves
    # have nothing to tell a remote party.
    def subscription_cancel(self, *, subscription_reference: str) -> None:
        return None

    def subscription_pause(self, *, subscription_reference: str, resume_on: dt.date) -> None:
        return None

    def subscription_resume(self, *, subscription_reference: str) -> None:
        return None

    def subscription_cancel_at_period_end(self, *, subscription_reference: str, cancel: bool) -> None:
        # The sandbox's renewals read the subscription's row, which says it ends.
        return None

    def subscription_open_invoice_pay(self, *, subscription_reference: str) -> None:
        # The sandbox has no invoices: CourseDesk charges the new card itself (subscription_charge_now).
        raise GatewayError("The sandbox has no open invoices.", code="not_supported")

    def subscription_payment_method_set(
        self, *, subscription_reference: str, customer_reference: str, payment_method_id: str
    ) -> GatewayCard:
        # A sandbox card is saved with card_attach and kept on the subscription's row.
        raise GatewayError(
            "The sandbox keeps a subscription's card in CourseDesk: attach a test card instead.",
            code="not_supported",
        )
