from django.contrib import admin

from coursedesk.audit.models import AuditEvent
from coursedesk.core.admin_mixins import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "type", "creator", "customer", "actor_label", "source"]
    list_filter = ["type", "actor_kind", "source"]
    search_fields = ["type", "actor_label", "customer__email"]
    list_select_related = ["creator", "customer"]
