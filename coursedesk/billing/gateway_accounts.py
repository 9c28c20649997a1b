"""A creator's payment settings: which gateway takes their payments, and their Stripe keys."""

from __future__ import annotations

from django.db import transaction

from coursedesk.audit.services import Actor, audit_record, change
from coursedesk.audit.types import AuditEventType
from coursedesk.billing.models import Gateway, GatewayAccount
from coursedesk.core.errors import InvalidValue


def gateway_account_update(
    *,
    creator,
    gateway: str,
    publishable_key: str = "",
    secret_key: str = "",
    webhook_secret: str = "",
    actor: Actor,
    source: str,
) -> GatewayAccount:
    """Chooses the gateway and saves Stripe keys. Empty keys keep the saved ones; none is logged."""
    if gateway not in Gateway.values:
        raise InvalidValue("Choose a payment gateway.", code="invalid_gateway")
    with transaction.atomic():
        account, _ = GatewayAccount.objects.select_for_update().get_or_create(creator=creator)
        old_gateway = account.gateway
        changed = []
        for field, value in (
            ("stripe_publishable_key", publishable_key),
            ("stripe_secret_key", secret_key),
            ("stripe_webhook_secret", webhook_secret),
        ):
            if value and value != getattr(account, field):
                setattr(account, field, value)
                changed.append(field)
        if gateway == Gateway.STRIPE and not account.stripe_secret_key:
            raise InvalidValue(
                "Enter your Stripe secret key to take payments with Stripe.", code="stripe_key_missing"
            )
        account.gateway = gateway
        if not changed and old_gateway == gateway:
            return account
        account.save()
        audit_record(
            creator=creator,
            type=AuditEventType.GATEWAY_ACCOUNT_UPDATED,
            actor=actor,
            source=source,
            subject=account,
            data={
                "gateway": change(old_gateway, gateway),
                "keys_changed": changed,
                "test_mode": account.is_test_mode,
            },
        )
    return account
