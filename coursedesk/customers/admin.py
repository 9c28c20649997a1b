from django.contrib import admin

from coursedesk.core.admin_mixins import ReadOnlyAdmin
from coursedesk.customers.models import Customer, Enrolment, PasswordResetToken

# Customers and enrolments change only through the services, which audit every change (the desk,
# the API, the operator commands): in the admin, operators look and never edit.


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ["email", "first_name", "last_name", "creator", "created_at", "last_login_at"]
    search_fields = ["email", "first_name", "last_name"]
    list_select_related = ["creator"]
    readonly_fields = ["password", "search_text", "created_at", "last_login_at", "erased_at"]
    raw_id_fields = ["creator"]


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdmin):
    list_display = ["customer", "course", "granted_at", "revoked_at", "expires_at", "source"]
    list_select_related = ["customer", "course"]
    raw_id_fields = ["customer", "course", "payment_page"]
    search_fields = ["customer__email"]


@admin.register(PasswordResetToken)
class PasswordResetTokenAdmin(admin.ModelAdmin):
    list_display = ["customer", "course", "created_at", "expires_at", "used_at"]
    readonly_fields = ["token_hash"]
    raw_id_fields = ["customer", "course"]
