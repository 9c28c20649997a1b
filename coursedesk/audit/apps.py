from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "coursedesk.audit"
    label = "audit"
