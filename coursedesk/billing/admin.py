from django.contrib import admin

from coursedesk.billing.models import (
    CheckoutSession,
    GatewayAccount,
    Payment,
    Refund,
    Subscription,
    WebhookEvent,
)
from coursedesk.core.admin_mixins import ReadOnlyAdmin


@admin.register(GatewayAccount)
class GatewayAccountAdmin(admin.ModelAdmin):
    list_display = ["creator", "gateway", "webhook_endpoint_id", "updated_at"]
    exclude = ["stripe_secret_key", "stripe_webhook_secret"]
    raw_id_fields = ["creator"]


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # refunds go through the desk so the gateway and the timeline see them

    def has_change_permission(self, request, obj=None):
        return False


# Payments and subscriptions change only through the services (desk, API, webhooks, commands), which
# audit every change: in the admin, operators look and never edit.
@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["pk", "customer", "course", "amount", "currency", "status", "gateway", "paid_at"]
    list_filter = ["status", "gateway"]
    list_select_related = ["customer", "course"]
    raw_id_fields = ["customer", "course", "payment_page", "subscription"]
    inlines = [RefundInline]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["pk", "payment", "amount", "currency", "status", "source", "created_at"]
    list_filter = ["status", "source"]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "customer", "course", "status", "amount", "interval", "next_payment_at", "gateway"]
    list_filter = ["status", "gateway", "interval"]
    list_select_related = ["customer", "course"]
    raw_id_fields = ["customer", "course", "payment_page"]


@admin.register(CheckoutSession)
class CheckoutSessionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "email", "payment_page", "gateway", "status", "created_at", "completed_at"]
    exclude = ["password_hash"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "creator", "status", "attempts", "received_at", "processed_at"]
    list_filter = ["status", "type"]
    search_fields = ["event_id", "type"]
