"""Payment settings: pick the gateway, store Stripe keys encrypted, never show them back in full."""

from __future__ import annotations

from django.db import connection

from coursedesk.audit.models import AuditEvent
from coursedesk.billing.models import GatewayAccount, PaymentPolicy

URL = "/payments/settings/"


def test_settings_page_shows_sandbox_test_mode_and_the_webhook_url(creator_client, creator):
    response = creator_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    account = GatewayAccount.objects.get(creator=creator)
    assert "Test mode" in html
    assert f"/webhooks/stripe/{account.webhook_endpoint_id}/" in html
    assert "whsec_" in html


def test_saving_stripe_keys_stores_them_encrypted_and_masks_them(creator_client, creator):
    response = creator_client.post(
        URL,
        {
            "gateway": "stripe",
            "stripe_publishable_key": "pk_test_abc",
            "stripe_secret_key": "sk_test_SECRETVALUE1234",
            "stripe_webhook_secret": "whsec_SIGNING9876",
        },
    )
    assert response.status_code == 302

    account = GatewayAccount.objects.get(creator=creator)
    assert (account.gateway, account.stripe_secret_key) == ("stripe", "sk_test_SECRETVALUE1234")
    assert account.is_test_mode
    with connection.cursor() as cursor:
        cursor.execute("SELECT stripe_secret_key, stripe_webhook_secret FROM billing_gatewayaccount")
        stored = cursor.fetchone()
    assert "SECRETVALUE" not in stored[0] and "SIGNING" not in stored[1]
    html = creator_client.get(URL).content.decode()
    assert "SECRETVALUE" not in html and "SIGNING" not in html
    assert "sk_test_…1234" in html and "whsec_…9876" in html
    event = AuditEvent.objects.get(type="gateway_account.updated")
    assert event.data == {
        "gateway": {"old": "sandbox", "new": "stripe"},
        "keys_changed": ["stripe_publishable_key", "stripe_secret_key", "stripe_webhook_secret"],
        "test_mode": True,
    }
    assert "SECRETVALUE" not in str(event.data)


def test_stripe_without_a_secret_key_is_refused(creator_client, creator):
    response = creator_client.post(URL, {"gateway": "stripe"})
    assert response.status_code == 422
    assert "Enter your Stripe secret key" in response.content.decode()
    assert GatewayAccount.objects.get(creator=creator).gateway == "sandbox"
    assert AuditEvent.objects.count() == 0


def test_a_key_of_the_wrong_kind_is_refused(creator_client, creator):
    response = creator_client.post(URL, {"gateway": "stripe", "stripe_secret_key": "pk_live_oops"})
    assert response.status_code == 422
    assert GatewayAccount.objects.get(creator=creator).stripe_secret_key == ""


def test_settings_need_a_signed_in_creator(client):
    assert client.get(URL).status_code == 302


def test_the_payment_policy_is_saved_from_its_page_and_audited(creator_client, creator):
    page = creator_client.get("/payments/policy/")
    assert page.status_code == 200
    assert 'value="3, 5, 7"' in page.content.decode()

    response = creator_client.post(
        "/payments/policy/",
        {
            "retry_days": "2, 4",
            "final_action": "cancel_and_revoke",
            "expiry_reminder_days": "",
            "customer_cancel_at_period_end": "true",
            "business_name": "Maya Studio LLC",
            "business_address": "1 Paint Street",
            "tax_id": "EU123",
        },
    )

    assert response.status_code == 302
    policy = PaymentPolicy.objects.get(creator=creator)
    assert (policy.retry_days, policy.final_action, policy.access_while_past_due) == (
        [2, 4],
        "cancel_and_revoke",
        False,
    )
    assert (policy.expiry_reminder_days, policy.customer_cancel_at_period_end) == (None, True)
    assert policy.business_name == "Maya Studio LLC"
    assert AuditEvent.objects.get(type="payment_policy.updated").data["retry_days"] == {
        "old": [3, 5, 7],
        "new": [2, 4],
    }


def test_a_payment_policy_with_days_out_of_order_is_refused_and_nothing_changes(creator_client, creator):
    response = creator_client.post(
        "/payments/policy/",
        {"retry_days": "7, 3", "final_action": "cancel", "customer_cancel_at_period_end": "false"},
    )

    assert response.status_code == 422
    assert "each comes after the one before" in response.content.decode()
    assert not PaymentPolicy.objects.exists()
    assert not AuditEvent.objects.exists()
