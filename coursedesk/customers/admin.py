from django.contrib import admin

from coursedesk.customers.models import Customer, Enrolment, PasswordResetToken


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["email", "first_name", "last_name", "creator", "created_at", "last_login_at"]
    search_fields = ["email", "first_name", "last_name"]
    list_select_related = ["creator"]
    readonly_fields = ["password", "search_text", "created_at", "last_login_at", "erased_at"]
    raw_id_fields = ["creator"]

    def has_delete_permission(self, request, obj=None):
        # Customers are never deleted: `manage.py erase_customer` anonymises on request.
        return False


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["customer", "course", "granted_at", "revoked_at", "expires_at", "source"]
    list_select_related = ["customer", "course"]
    raw_id_fields = ["customer", "course", "payment_page"]
    search_fields = ["customer__email"]


@admin.register(PasswordResetToken)
class PasswordResetTokenAdmin(admin.ModelAdmin):
    list_display = ["customer", "course", "created_at", "expires_at", "used_at"]
    readonly_fields = ["token_hash"]
    raw_id_fields = ["customer", "course"]
