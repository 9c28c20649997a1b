"""Payment settings: pick the gateway, store Stripe keys encrypted, never show them back in full."""

from __future__ import annotations

from django.db import connection

from coursedesk.audit.models import AuditEvent
from coursedesk.billing.models import GatewayAccount

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
