from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from coursedesk.accounts.models import ApiToken, Creator, Invitation, Membership
from coursedesk.core.admin_mixins import ReadOnlyAdmin


@admin.register(Creator)
class CreatorAdmin(UserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "display_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["display_name", "first_name", "last_name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "creator", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
    list_select_related = ["creator"]
    search_fields = ["creator__email", "name", "prefix"]


# Team changes go through the Team page, which audits them: operators look here.
@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["person", "account", "role", "refund_limit", "refund_limit_currency", "created_at"]
    list_select_related = ["person", "account"]
    search_fields = ["person__email", "account__email"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["email", "account", "role", "created_at", "expires_at", "accepted_at", "canceled_at"]
    list_select_related = ["account"]
    exclude = ["key_hash"]
